#pragma once

#include <cstdint>
#include <string>

#include "retrain/job_info.hpp"
#include "retrain/job_state.hpp"

namespace retrain {

/// A retrain job as the registry database keeps it.
struct job_record {
  /// Assigned by the database on insert; unique for its life.
  uint64_t id = 0;
  /// The model id whose drift started the job.
  std::string model;
  /// `<project>:<name>` of `model`.
  std::string line;
  /// The version the retrain starts from.
  std::string base_version;
  /// The version the registry will give the result.
  std::string next_version;
  job_state state = job_state::queued;
  /// Attempts started so far.
  uint32_t attempts = 0;
  /// Triggers merged into this job after the one that created it.
  uint64_t merged = 0;
  /// Reason text of the trigger that created the job.
  std::string reason;
  /// Why the last attempt failed, or empty.
  std::string error;
  /// The registered version once succeeded, else empty.
  std::string version;
  /// Unix time in ns of creation and of the last change.
  int64_t created_at_ns = 0;
  int64_t updated_at_ns = 0;

  /// The job as `retrain-ctl jobs` shows it.
  job_info to_info() const {
    job_info result;
    result.id = id;
    result.model = model;
    result.state = state;
    result.attempts = attempts;
    result.version = version;
    result.merged = merged;
    result.error = error;
    result.reason = reason;
    result.created_at_ns = created_at_ns;
    result.updated_at_ns = updated_at_ns;
    return result;
  }
};

} // namespace retrain
