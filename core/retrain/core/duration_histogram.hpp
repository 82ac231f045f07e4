#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace retrain::core {

/// Counts of durations in fixed buckets, as a Prometheus histogram shows
/// them: `counts()[i]` holds the durations of at most `bounds[i]` seconds
/// (and more than the bound before), the last entry those above every bound.
/// The bounds suit retrain jobs: from one second to two hours.
class duration_histogram {
public:
  /// Upper bounds of the buckets in seconds, ascending.
  static constexpr std::array<double, 11> bounds
    = {1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200};

  duration_histogram();

  /// Counts one duration; a negative one (a clock step) counts as 0.
  void observe(std::chrono::nanoseconds d) noexcept;

  /// One count per bucket, not cumulative; `bounds.size() + 1` entries.
  const std::vector<uint64_t>& counts() const noexcept {
    return counts_;
  }

  /// Sum of every duration observed, in milliseconds.
  uint64_t sum_ms() const noexcept {
    return sum_ms_;
  }

private:
  std::vector<uint64_t> counts_;
  uint64_t sum_ms_ = 0;
};

} // namespace retrain::core
