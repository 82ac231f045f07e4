#pragma once

#include <chrono>
#include <cstdint>

namespace retrain {

/// Wall-clock time in nanoseconds since the Unix epoch, the unit of every
/// `*_ns` timestamp on the wire and in the database.
inline int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace retrain
