#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "retrain/core/expected.hpp"

namespace retrain {

/// How jobs run: `retrain.job.*` and `retrain.data-dir`.
struct job_config {
  /// argv template; placeholders {model} {project} {name} {version}
  /// {next_version} {job_id}. Empty: the simulated trainer.
  std::vector<std::string> command;
  /// How long the simulated trainer sleeps.
  std::chrono::milliseconds simulated_duration{std::chrono::seconds{2}};
  /// Wall-time limit of one attempt; the whole process group is killed then.
  std::chrono::milliseconds timeout{std::chrono::hours{1}};
  /// Attempts before a job is marked failed.
  uint32_t max_attempts = 3;
  /// Base of the retry backoff: base * 2^(attempt-1), with jitter.
  std::chrono::milliseconds retry_delay{std::chrono::seconds{30}};
  /// Cap of the retry backoff.
  std::chrono::milliseconds retry_cap{std::chrono::minutes{30}};
  /// Where job logs go: `<data_dir>/jobs/`.
  std::string data_dir;

  /// Returns what is wrong, naming the key and the allowed range.
  std::optional<core::failure> validate() const;
};

} // namespace retrain
