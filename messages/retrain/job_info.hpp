#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "retrain/job_state.hpp"

namespace retrain {

/// A job as `retrain-ctl jobs` shows it.
struct job_info {
  uint64_t id = 0;
  std::string model;
  job_state state = job_state::queued;
  /// Attempts started so far.
  uint32_t attempts = 0;
  /// The registered version once succeeded, else empty.
  std::string version;
  /// Triggers merged into this job after the one that created it.
  uint64_t merged = 0;
  /// Why the last attempt failed, or empty.
  std::string error;
  /// Reason text of the trigger that created the job.
  std::string reason;
  /// Unix time in ns of creation and of the last change.
  int64_t created_at_ns = 0;
  int64_t updated_at_ns = 0;
};

/// @relates job_info
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_info& x) {
  return f(caf::meta::type_name("job_info"), x.id, x.model, x.state, x.attempts,
           x.version, x.merged, x.error, x.reason, x.created_at_ns,
           x.updated_at_ns);
}

} // namespace retrain
