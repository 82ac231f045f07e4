#include "retrain/job_config.hpp"

namespace retrain {

std::optional<core::failure> job_config::validate() const {
  using namespace std::chrono_literals;
  if (simulated_duration < 0ms)
    return core::failure{"retrain.job.simulated-duration must not be negative"};
  if (timeout <= 0ms)
    return core::failure{"retrain.job.timeout must be greater than 0"};
  if (max_attempts < 1 || max_attempts > 100)
    return core::failure{"retrain.job.max-attempts must be within [1, 100]"};
  if (retry_delay < 0ms)
    return core::failure{"retrain.job.retry-delay must not be negative"};
  if (retry_cap < retry_delay)
    return core::failure{"retrain.job.retry-cap must be at least "
                         "retrain.job.retry-delay"};
  if (!command.empty() && command.front().empty())
    return core::failure{"retrain.job.command: the program name is empty"};
  return std::nullopt;
}

} // namespace retrain
