// Scalar function registration through DuckDB's C API. Each overload holds its own heap copy of
// the shared_ptr to the state, freed by DuckDB's delete callback when the function goes.
#include "duckdb/scalar_function.h"

namespace silt::db {
namespace {

using SharedState = std::shared_ptr<const void>;

struct DestroyFunction {
  void operator()(duckdb_scalar_function f) const { duckdb_destroy_scalar_function(&f); }
};
struct DestroySet {
  void operator()(duckdb_scalar_function_set s) const { duckdb_destroy_scalar_function_set(&s); }
};
struct DestroyType {
  void operator()(duckdb_logical_type t) const { duckdb_destroy_logical_type(&t); }
};
using LogicalType = std::unique_ptr<_duckdb_logical_type, DestroyType>;

LogicalType logical_type(duckdb_type t) { return LogicalType(duckdb_create_logical_type(t)); }

void delete_state(void* p) { delete static_cast<SharedState*>(p); }

std::unique_ptr<_duckdb_scalar_function, DestroyFunction> make_overload(const std::string& name,
                                                                        const ScalarOverload& overload,
                                                                        duckdb_scalar_function_t body,
                                                                        const SharedState& state) {
  std::unique_ptr<_duckdb_scalar_function, DestroyFunction> f(duckdb_create_scalar_function());
  duckdb_scalar_function_set_name(f.get(), name.c_str());
  for (duckdb_type p : overload.parameters)
    duckdb_scalar_function_add_parameter(f.get(), logical_type(p).get());
  duckdb_scalar_function_set_return_type(f.get(), logical_type(overload.result).get());
  duckdb_scalar_function_set_function(f.get(), body);
  // Ownership of the heap copy passes to DuckDB, which calls delete_state when done with it.
  duckdb_scalar_function_set_extra_info(f.get(), new SharedState(state), delete_state);
  return f;
}

}  // namespace

Status register_scalar_function(Connection& conn, const std::string& name,
                                const std::vector<ScalarOverload>& overloads, duckdb_scalar_function_t body,
                                std::shared_ptr<const void> state) {
  std::unique_ptr<_duckdb_scalar_function_set, DestroySet> set(
      duckdb_create_scalar_function_set(name.c_str()));
  for (const auto& overload : overloads) {
    auto f = make_overload(name, overload, body, state);
    if (duckdb_add_scalar_function_to_set(set.get(), f.get()) != DuckDBSuccess)
      return Error(ErrorKind::InvalidArgument, "scalar function " + name + " has two identical overloads");
  }
  if (duckdb_register_scalar_function_set(conn.raw(), set.get()) != DuckDBSuccess)
    return Error(ErrorKind::InvalidArgument, "cannot register scalar function " + name);
  return ok_status();
}

const void* scalar_function_state(duckdb_function_info info) {
  return static_cast<const SharedState*>(duckdb_scalar_function_get_extra_info(info))->get();
}

}  // namespace silt::db
