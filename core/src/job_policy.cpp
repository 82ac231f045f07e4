#include "retrain/core/job_policy.hpp"

namespace retrain::core {

trigger_action decide_trigger(const semver& version,
                              const std::optional<semver>& latest,
                              bool line_has_job) {
  if (latest && compare(version, *latest) < 0)
    return trigger_action::drop_superseded;
  return line_has_job ? trigger_action::merge : trigger_action::create;
}

result_action decide_result(bool success, bool current, uint32_t attempts,
                            uint32_t max_attempts) {
  if (success)
    return result_action::register_version;
  if (!current)
    return result_action::ignore;
  return attempts >= max_attempts ? result_action::fail : result_action::retry;
}

} // namespace retrain::core
