// Errors as values: every fallible call returns Result<T> (or Status = Result<void>).
// An Error carries a kind and a one-line message; the CLI prints it as "error: <message>".
// No exceptions cross module boundaries. Value types; no shared state.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace silt {

enum class ErrorKind { Io, NotFound, Corruption, InvalidArgument, Unsupported, Conflict, Internal };

const char* error_kind_name(ErrorKind kind);

class Error {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // Prefixes context, e.g. the file being read: "reading 00001.json: bad JSON".
  Error with_context(const std::string& context) const { return Error(kind_, context + ": " + message_); }

 private:
  ErrorKind kind_;
  std::string message_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // REQUIRES: ok()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok()
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorKind::Internal, ""};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

// Explicit, greppable way to drop a result on purpose.
template <class T>
void ignore_result(const Result<T>&) {}

}  // namespace silt

#define SILT_CONCAT_INNER(a, b) a##b
#define SILT_CONCAT(a, b) SILT_CONCAT_INNER(a, b)

// Returns the error of a Status/Result expression from the enclosing function.
#define SILT_TRY(expr)                                         \
  do {                                                         \
    auto&& silt_try_result = (expr);                           \
    if (!silt_try_result.ok()) return silt_try_result.error(); \
  } while (0)

// `SILT_ASSIGN_OR_RETURN(auto x, make_x());` declares x from a Result or returns its error.
#define SILT_ASSIGN_OR_RETURN(lhs, expr) SILT_ASSIGN_OR_RETURN_IMPL(SILT_CONCAT(silt_r_, __LINE__), lhs, expr)
#define SILT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.error();               \
  lhs = std::move(tmp).value()
