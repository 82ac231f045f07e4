#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// The answer to a `metric_batch`: how many events were taken, how many
/// refused, and why the first refused one was.
struct ingest_ack {
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  /// `event N: reason` for the first rejected event (0-based N), or empty.
  std::string first_error;
};

/// @relates ingest_ack
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_ack& x) {
  return f(caf::meta::type_name("ingest_ack"), x.accepted, x.rejected,
           x.first_error);
}

} // namespace retrain
