#pragma once

#include <cstdint>
#include <optional>

#include "retrain/core/semver.hpp"

namespace retrain::core {

/// What the dispatcher does with a retrain trigger.
enum class trigger_action : uint8_t {
  /// Queue a new job for the line.
  create,
  /// The line has a job queued or running: count the trigger into it.
  merge,
  /// The triggering model is older than the line's latest registered
  /// version: a retrain of it would be obsolete.
  drop_superseded,
};

/// Decides a trigger from a model at `version`, whose line's latest
/// registered version is `latest` and which has an active job or not.
trigger_action decide_trigger(const semver& version,
                              const std::optional<semver>& latest,
                              bool line_has_job);

/// What the dispatcher does with the result of one attempt.
enum class result_action : uint8_t {
  /// Register the job's version (also for a success of an attempt given up
  /// on: registration is idempotent by job id).
  register_version,
  /// Queue the job again after the retry delay.
  retry,
  /// Mark the job failed.
  fail,
  /// A failure of an attempt that is no longer the job's current one.
  ignore,
};

/// Decides the result of an attempt: `current` says whether it is the job's
/// running attempt; `attempts` counts the job's starts so far.
result_action decide_result(bool success, bool current, uint32_t attempts,
                            uint32_t max_attempts);

} // namespace retrain::core
