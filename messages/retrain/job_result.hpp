#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// What a worker reports after one attempt of a job.
struct job_result {
  uint64_t job_id = 0;
  uint32_t attempt = 0;
  /// Exit code 0 within the timeout.
  bool success = false;
  /// The command's exit code, or -1 when killed or not started.
  int32_t exit_code = -1;
  /// `artifact` from the JSON object on the last stdout line, or empty.
  std::string artifact;
  /// Why the attempt failed, or empty.
  std::string error;
  /// Wall time of the attempt.
  int64_t duration_ns = 0;
  /// Path of the attempt's log file.
  std::string log_file;
};

/// @relates job_result
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_result& x) {
  return f(caf::meta::type_name("job_result"), x.job_id, x.attempt, x.success,
           x.exit_code, x.artifact, x.error, x.duration_ns, x.log_file);
}

} // namespace retrain
