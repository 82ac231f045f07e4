#include "retrain/job_config.hpp"

#include "retrain/config_error.hpp"

namespace retrain {

caf::error job_config::validate() const {
  using namespace std::chrono_literals;
  if (simulated_duration < 0ms)
    return config_error("retrain.job.simulated-duration must not be negative");
  if (timeout <= 0ms)
    return config_error("retrain.job.timeout must be greater than 0");
  if (max_attempts < 1 || max_attempts > 100)
    return config_error("retrain.job.max-attempts must be within [1, 100]");
  if (retry_delay < 0ms)
    return config_error("retrain.job.retry-delay must not be negative");
  if (retry_cap < retry_delay)
    return config_error("retrain.job.retry-cap must be at least "
                        "retrain.job.retry-delay");
  if (!command.empty() && command.front().empty())
    return config_error("retrain.job.command: the program name is empty");
  return caf::none;
}

void job_config::fill(core::policy_base& base) const {
  base.max_attempts = max_attempts;
  base.timeout = timeout;
  base.command = command;
}

} // namespace retrain
