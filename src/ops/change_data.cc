// Change data files through the data writer. See change_data.h.
#include "ops/change_data.h"

#include <algorithm>

#include "delta/cdf/commit_changes.h"
#include "util/sql_text.h"

namespace silt::ops {

Result<std::vector<delta::AddCdcFile>> write_change_data_files(db::Connection& conn,
                                                               const std::string& table_root,
                                                               const std::string& select_sql,
                                                               const delta::StructType& schema,
                                                               const DataWriteOptions& options) {
  const std::string change_type = delta::kChangeTypeColumn;
  if (delta::find_field(schema, change_type)) {
    return Error(ErrorKind::InvalidArgument, "the table schema must not contain " + change_type);
  }
  SILT_ASSIGN_OR_RETURN(delta::StructType query, schema_of_query(conn, select_sql));
  if (!delta::find_field(query, change_type)) {
    return Error(ErrorKind::InvalidArgument, "change data rows need a " + change_type + " column");
  }
  delta::StructType with_type = schema;
  delta::StructField field{change_type, delta::PrimitiveKind::String};
  field.nullable = false;
  field.physical_name = change_type;  // the same name under column mapping, as Spark writes it
  with_type.fields.push_back(std::move(field));

  // A bad value stops the write as DuckDB reaches it: the rows are streamed, never held.
  std::string checked = "SELECT * REPLACE (CASE WHEN " + quote_ident(change_type) +
                        " IN ('insert', 'delete', 'update_preimage', 'update_postimage') THEN " +
                        quote_ident(change_type) + " ELSE error('bad " + change_type +
                        " value: ' || coalesce(" + quote_ident(change_type) + ", 'NULL')) END AS " +
                        quote_ident(change_type) + ") FROM (" + select_sql + ")";

  DataWriteOptions cdc_options = options;
  cdc_options.subdirectory = "_change_data";
  cdc_options.file_prefix = "cdc";
  cdc_options.num_indexed_cols = 0;
  SILT_ASSIGN_OR_RETURN(auto adds, write_data_files(conn, table_root, checked, with_type, cdc_options));
  std::vector<delta::AddCdcFile> out;
  out.reserve(adds.size());
  for (delta::AddFile& add : adds) {
    delta::AddCdcFile cdc;
    cdc.path = std::move(add.path);
    cdc.partition_values = std::move(add.partition_values);
    cdc.size = add.size;
    cdc.data_change = false;
    out.push_back(std::move(cdc));
  }
  return out;
}

}  // namespace silt::ops
