#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "retrain/job_record.hpp"
#include "retrain/job_state.hpp"

namespace retrain {

/// News about a model line's job, from the dispatcher to the supervisors:
/// monitors stay quiet while a job of their line is active and stand down
/// once a newer version of their line is registered.
///
/// A projection of `job_record` on purpose: it goes to every monitor node
/// on every transition of every job, and gating a line needs only these
/// members (the reason and error texts would multiply its size).
struct job_update {
  uint64_t job_id = 0;
  /// `<project>:<name>`.
  std::string line;
  job_state state = job_state::queued;
  /// The registered version when `state` is `succeeded`, else empty.
  std::string version;

  /// The news of `job` in its current state.
  static job_update of(const job_record& job) {
    return job_update{job.id, job.line, job.state, job.version};
  }
};

/// @relates job_update
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_update& x) {
  return f(caf::meta::type_name("job_update"), x.job_id, x.line, x.state,
           x.version);
}

} // namespace retrain
