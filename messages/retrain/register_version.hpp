#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// Asks the registry to record the version a succeeded job produced.
/// Idempotent by `job_id`: repeating it returns the same version.
struct register_version {
  uint64_t job_id = 0;
  /// The model id whose drift started the job.
  std::string model;
  std::string reason;
  std::string artifact;
};

/// @relates register_version
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_version& x) {
  return f(caf::meta::type_name("register_version"), x.job_id, x.model,
           x.reason, x.artifact);
}

} // namespace retrain
