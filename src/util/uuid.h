// Random (version 4) UUIDs for table ids, transaction ids and file names. Thread-safe.
#pragma once

#include <string>

namespace silt {

std::string random_uuid();

}  // namespace silt
