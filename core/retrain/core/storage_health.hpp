#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "retrain/core/backoff.hpp"

namespace retrain::core {

/// Whether the writes of a store go through, as an episode: the first
/// failure starts a degraded episode (worth one log line), further failures
/// only count and push the next retry out with backoff, and the first
/// success after them ends it (worth another). Time is passed in.
///
/// ```
///   ok --failed--> degraded --failed--> degraded (retry later, quietly)
///    ^                |
///    +--succeeded-----+   (recovered: log it)
/// ```
class storage_health {
public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::steady_clock::time_point;

  /// Retries after `base * 2^(n-1)`, capped at `cap`, for the n-th failure
  /// of an episode.
  explicit storage_health(duration base = std::chrono::milliseconds{250},
                          duration cap = std::chrono::seconds{5})
    : retry_(base, cap, 0.0) {
    // nop
  }

  /// Records a failed write at `now`; returns true when it starts an
  /// episode (the caller logs it once).
  bool failed(std::string reason, time_point now);

  /// Records a write that went through; returns true when it ends an
  /// episode (the caller logs the recovery).
  bool succeeded() noexcept;

  /// Whether writes fail right now.
  bool degraded() const noexcept {
    return failures_ > 0;
  }

  /// Why the last write failed; empty while not degraded.
  const std::string& reason() const noexcept {
    return reason_;
  }

  /// Failed writes in the current episode.
  uint64_t failures() const noexcept {
    return failures_;
  }

  /// When the episode began (valid while degraded).
  time_point since() const noexcept {
    return since_;
  }

  /// How long to wait before trying again after the last failure.
  duration retry_delay() const noexcept {
    return retry_.nominal(
      static_cast<uint32_t>(failures_ > UINT32_MAX ? UINT32_MAX : failures_));
  }

  /// `ok` or `degraded (<reason>)`, as `status` shows it.
  std::string describe() const;

private:
  backoff retry_;
  uint64_t failures_ = 0;
  std::string reason_;
  time_point since_{};
};

} // namespace retrain::core
