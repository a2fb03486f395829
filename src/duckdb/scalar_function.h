// Registration of vectorized scalar functions written in C++ (DuckDB's C API), for SQL that
// must run per-value code without a round trip per value. DuckDB runs the body on its worker
// threads, one chunk (up to 2048 rows, flattened) per call, so the body and its state must be
// safe to use from several threads at once; the state is shared read-only.
#pragma once

#include <duckdb.h>

#include <memory>
#include <string>
#include <vector>

#include "duckdb/engine.h"
#include "util/result.h"

namespace silt::db {

struct ScalarOverload {
  std::vector<duckdb_type> parameters;
  duckdb_type result;
};

// Registers `name` with `overloads` (all run by `body`) on conn's database, visible to every
// connection of it. `state` lives as long as the function; body reads it with
// scalar_function_state(). Fails (InvalidArgument, DuckDB's message) if the name is taken.
Status register_scalar_function(Connection& conn, const std::string& name,
                                const std::vector<ScalarOverload>& overloads, duckdb_scalar_function_t body,
                                std::shared_ptr<const void> state);

// The state passed to register_scalar_function, from inside the function body.
const void* scalar_function_state(duckdb_function_info info);

// A VARCHAR/BLOB element as a view (valid while its vector is).
inline std::string_view string_view_of(const duckdb_string_t& s) {
  uint32_t n = s.value.inlined.length;
  return {n <= 12 ? s.value.inlined.inlined : s.value.pointer.ptr, n};
}

// Marks row `row` of an output vector NULL.
inline void set_null(duckdb_vector out, idx_t row) {
  duckdb_vector_ensure_validity_writable(out);
  duckdb_validity_set_row_invalid(duckdb_vector_get_validity(out), row);
}

}  // namespace silt::db
