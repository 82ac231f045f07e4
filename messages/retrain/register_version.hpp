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
  /// The version the job retrained from, as the dispatcher chose it (the
  /// highest it knew of the line: registered, known to monitor nodes, or
  /// the model's own), or empty. The result is patch + 1 of the highest of
  /// this and the registry's latest, so a registry that lost its history
  /// never hands out a version a node has seen.
  std::string base_version;
};

/// @relates register_version
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_version& x) {
  return f(caf::meta::type_name("register_version"), x.job_id, x.model,
           x.reason, x.artifact, x.base_version);
}

} // namespace retrain
