// Feature table and the reader-side support check.
#include "delta/model/table_features.h"

#include <array>
#include <string>

namespace silt::delta {
namespace {

using F = TableFeature;
constexpr std::array<FeatureInfo, 26> kFeatures{{
    {F::AppendOnly, "appendOnly", false, true},
    {F::Invariants, "invariants", false, true},
    {F::CheckConstraints, "checkConstraints", false, true},
    {F::GeneratedColumns, "generatedColumns", false, true},
    {F::AllowColumnDefaults, "allowColumnDefaults", false, true},
    {F::ChangeDataFeed, "changeDataFeed", false, true},
    {F::ColumnMapping, "columnMapping", true, true},
    {F::IdentityColumns, "identityColumns", false, true},
    {F::DeletionVectors, "deletionVectors", true, true},
    {F::RowTracking, "rowTracking", false, true},
    {F::TimestampNtz, "timestampNtz", true, true},
    {F::DomainMetadata, "domainMetadata", false, true},
    {F::V2Checkpoint, "v2Checkpoint", true, true},
    {F::CatalogManaged, "catalogManaged", true, false},
    {F::IcebergCompatV1, "icebergCompatV1", false, true},
    {F::IcebergCompatV2, "icebergCompatV2", false, true},
    {F::Clustering, "clustering", false, true},
    {F::VacuumProtocolCheck, "vacuumProtocolCheck", true, true},
    {F::InCommitTimestamp, "inCommitTimestamp", false, true},
    {F::TypeWidening, "typeWidening", true, true},
    {F::TypeWideningPreview, "typeWidening-preview", true, true},
    {F::VariantType, "variantType", true, false},
    {F::VariantTypePreview, "variantType-preview", true, false},
    {F::VariantShreddingPreview, "variantShredding-preview", true, false},
    {F::CatalogOwnedPreview, "catalogOwned-preview", true, false},
    {F::Unknown, "unknown", true, false},
}};

}  // namespace

const FeatureInfo& feature_info(TableFeature f) {
  for (const auto& info : kFeatures) {
    if (info.feature == f) return info;
  }
  return kFeatures.back();
}

TableFeature parse_feature(std::string_view name) {
  for (const auto& info : kFeatures) {
    if (info.name == name && info.feature != F::Unknown) return info.feature;
  }
  return F::Unknown;
}

Status check_readable(const Protocol& p) {
  if (p.min_reader_version < 1 || p.min_reader_version > 3) {
    std::string features;
    for (const std::string& name : p.reader_features.value_or(std::vector<std::string>{})) {
      if (!feature_info(parse_feature(name)).silt_can_read) features += (features.empty() ? "" : ", ") + name;
    }
    return Error(ErrorKind::Unsupported,
                 "unsupported Delta reader version " + std::to_string(p.min_reader_version) +
                     " (silt reads 1 to 3)" +
                     (features.empty() ? "" : "; unsupported reader feature(s): " + features));
  }
  if (p.min_reader_version < 3) return ok_status();  // version 2 means column mapping, which silt reads
  if (!p.reader_features) {
    return Error(ErrorKind::Corruption, "protocol has reader version 3 but no readerFeatures");
  }
  std::string missing;
  for (const std::string& name : *p.reader_features) {
    if (feature_info(parse_feature(name)).silt_can_read) continue;
    missing += (missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty()) {
    return Error(ErrorKind::Unsupported, "table uses reader feature(s) silt does not support: " + missing);
  }
  return ok_status();
}

namespace {

// Writer features whose rules silt's writer keeps (the rest are refused by name).
bool silt_can_write(TableFeature f) {
  switch (f) {
    case F::AppendOnly:
    case F::Invariants:
    case F::ChangeDataFeed:
    case F::ColumnMapping:
    case F::DeletionVectors:
    case F::TimestampNtz:
    case F::DomainMetadata:
    case F::VacuumProtocolCheck:
    case F::TypeWidening:
    case F::TypeWideningPreview:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status check_writable(const Protocol& p, const Metadata& m) {
  SILT_TRY(check_readable(p));
  if (p.min_writer_version > 7) {
    return Error(ErrorKind::Unsupported,
                 "unsupported Delta writer version " + std::to_string(p.min_writer_version));
  }
  if (p.min_writer_version == 7) {
    std::string missing;
    for (const std::string& name : p.writer_features.value_or(std::vector<std::string>{})) {
      if (!silt_can_write(parse_feature(name))) missing += (missing.empty() ? "" : ", ") + name;
    }
    if (!missing.empty()) {
      return Error(ErrorKind::Unsupported, "silt cannot write tables with writer feature(s): " + missing);
    }
  } else if (p.min_writer_version == 6) {
    return Error(ErrorKind::Unsupported, "silt cannot write tables at writer version 6 (identity columns)");
  }
  for (const auto& [key, value] : m.configuration) {
    if (key.rfind("delta.constraints.", 0) == 0) {
      return Error(ErrorKind::Unsupported, "silt cannot write tables with CHECK constraints (" + key + ")");
    }
  }
  if (m.schema_string.find("delta.invariants") != std::string::npos) {
    return Error(ErrorKind::Unsupported, "silt cannot write tables with column invariants");
  }
  if (m.schema_string.find("delta.generationExpression") != std::string::npos) {
    return Error(ErrorKind::Unsupported, "silt cannot write tables with generated columns");
  }
  if (m.schema_string.find("delta.identity.") != std::string::npos) {
    return Error(ErrorKind::Unsupported, "silt cannot write tables with identity columns");
  }
  return ok_status();
}

bool protocol_has_feature(const Protocol& p, TableFeature feature) {
  std::string_view name = feature_info(feature).name;
  for (const auto* list : {&p.reader_features, &p.writer_features}) {
    if (!*list) continue;
    for (const std::string& n : **list) {
      if (n == name) return true;
    }
  }
  return false;
}

}  // namespace silt::delta
