#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/job_record.hpp"

namespace retrain {

/// One attempt of a retrain job, as the dispatcher hands it to a worker.
struct retrain_job {
  /// The job as the dispatcher stored it when it started this attempt:
  /// `record.base_version` is the version the retrain starts from,
  /// `record.next_version` the one the registry will give the result.
  job_record record;
  /// The number of this attempt, 1 for the first (`record.attempts` at the
  /// time it started). A result names it, so that a late result of an
  /// attempt given up on is told apart from the current one.
  uint32_t attempt = 1;
  /// The command template of the line's policy, when it sets one
  /// (`has_command`; an empty one is the simulated trainer); else the
  /// worker's `retrain.job.command`.
  bool has_command = false;
  std::vector<std::string> command;
  /// The time limit of the line's policy in ms; 0: the worker's
  /// `retrain.job.timeout`.
  int64_t timeout_ms = 0;
};

/// @relates retrain_job
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retrain_job& x) {
  return f(caf::meta::type_name("retrain_job"), x.record, x.attempt,
           x.has_command, x.command, x.timeout_ms);
}

} // namespace retrain
