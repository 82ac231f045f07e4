#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "retrain/job_state.hpp"

namespace retrain {

/// News about a model line's job, from the dispatcher to the supervisors:
/// monitors stay quiet while a job of their line is active and stand down
/// once a newer version of their line is registered.
struct job_update {
  uint64_t job_id = 0;
  /// `<project>:<name>`.
  std::string line;
  job_state state = job_state::queued;
  /// The registered version when `state` is `succeeded`, else empty.
  std::string version;
};

/// @relates job_update
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_update& x) {
  return f(caf::meta::type_name("job_update"), x.job_id, x.line, x.state,
           x.version);
}

} // namespace retrain
