#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace retrain::core {

/// Retry delays: `base * 2^(attempt-1)`, capped at `cap`, then spread by
/// +/- `jitter` (a fraction in [0, 1]) so that retries of many jobs do not
/// line up.
class backoff {
public:
  using duration = std::chrono::nanoseconds;

  backoff(duration base, duration cap, double jitter = 0.1)
    : base_(base), cap_(cap), jitter_(jitter) {
    // nop
  }

  /// The delay before retry number `attempt` (1 = first retry) without
  /// jitter.
  duration nominal(uint32_t attempt) const noexcept;

  /// The delay before retry number `attempt`, where `unit` is a random number
  /// in [0, 1) from the caller's source (0.5 gives the nominal delay).
  duration delay(uint32_t attempt, double unit) const noexcept;

  /// Same as `delay(attempt, unit)` with `unit` drawn from `rng`.
  template <class RandomEngine>
  duration delay(uint32_t attempt, RandomEngine& rng) const {
    std::uniform_real_distribution<double> dist{0.0, 1.0};
    return delay(attempt, dist(rng));
  }

private:
  duration base_;
  duration cap_;
  double jitter_;
};

} // namespace retrain::core
