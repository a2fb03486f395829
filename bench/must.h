// For benchmark drivers: the value of a Result (or nothing, for a Status), or exit(1) with `what`
// and the error.
#pragma once

#include <cstdlib>
#include <iostream>
#include <string>

#include "util/result.h"

template <class T>
T must(silt::Result<T> r, const std::string& what) {
  if (!r.ok()) {
    std::cerr << what << ": " << r.error().message() << "\n";
    std::exit(1);
  }
  return std::move(*r);
}

inline void must(const silt::Status& s, const std::string& what) {
  if (!s.ok()) {
    std::cerr << what << ": " << s.error().message() << "\n";
    std::exit(1);
  }
}
