// Delta table features (PROTOCOL.md "Table Features", "Valid Feature Names"): a closed enum
// plus a static info table saying which side needs each one and whether silt implements it.
// Unknown names are parsed as Unknown and refused by name. Pure functions, thread-safe.
#pragma once

#include <string_view>

#include "delta/model/actions.h"
#include "util/result.h"

namespace silt::delta {

enum class TableFeature {
  AppendOnly,
  Invariants,
  CheckConstraints,
  GeneratedColumns,
  AllowColumnDefaults,
  ChangeDataFeed,
  ColumnMapping,
  IdentityColumns,
  DeletionVectors,
  RowTracking,
  TimestampNtz,
  DomainMetadata,
  V2Checkpoint,
  CatalogManaged,
  IcebergCompatV1,
  IcebergCompatV2,
  Clustering,
  VacuumProtocolCheck,
  InCommitTimestamp,
  TypeWidening,
  TypeWideningPreview,
  VariantType,
  VariantTypePreview,
  VariantShreddingPreview,
  CatalogOwnedPreview,
  Unknown,
};

struct FeatureInfo {
  TableFeature feature;
  std::string_view name;
  bool reader;         // a reader must understand it (reader+writer feature)
  bool silt_can_read;  // silt's reader implements it
};

const FeatureInfo& feature_info(TableFeature f);
TableFeature parse_feature(std::string_view name);

// OK when silt can read a table with this protocol; otherwise Unsupported naming the
// feature(s) or reader version it lacks.
Status check_readable(const Protocol& protocol);
// OK when silt may write to a table with this protocol and metadata; otherwise Unsupported
// naming what silt's writer lacks (e.g. a writer feature, CHECK constraints, invariants).
Status check_writable(const Protocol& protocol, const Metadata& metadata);

// Whether the protocol lists `feature` among reader features (version 3) or writer features (7).
bool protocol_has_feature(const Protocol& protocol, TableFeature feature);

}  // namespace silt::delta
