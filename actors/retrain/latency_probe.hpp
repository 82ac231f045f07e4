#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace retrain {

/// A process-wide histogram of how long events wait between their
/// `observed_at_ns` and the moment their monitor applies them, in 10 us
/// buckets up to 1 s. Monitors record into it only while one is installed
/// (benchmarks do), at the cost of one atomic load per run otherwise.
class latency_probe {
public:
  static constexpr int64_t bucket_ns = 10'000;
  static constexpr std::size_t bucket_count = 100'000;

  /// Records `count` events that waited `ns`.
  void record(int64_t ns, uint64_t count) noexcept {
    auto i = ns <= 0 ? 0 : static_cast<std::size_t>(ns / bucket_ns);
    if (i >= bucket_count)
      i = bucket_count - 1;
    buckets_[i].fetch_add(count, std::memory_order_relaxed);
  }

  /// The upper bound of the bucket holding quantile `q` (0..1), in ns;
  /// 0 when nothing was recorded.
  int64_t quantile(double q) const noexcept {
    uint64_t total = 0;
    for (auto& b : buckets_)
      total += b.load(std::memory_order_relaxed);
    if (total == 0)
      return 0;
    auto rank = static_cast<uint64_t>(q * static_cast<double>(total));
    uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += buckets_[i].load(std::memory_order_relaxed);
      if (seen > rank)
        return static_cast<int64_t>(i + 1) * bucket_ns;
    }
    return static_cast<int64_t>(bucket_count) * bucket_ns;
  }

  /// The installed probe, or null.
  static latency_probe* installed() noexcept {
    return installed_.load(std::memory_order_acquire);
  }

  /// Installs `probe` (null to stop recording); it must outlive recording.
  static void install(latency_probe* probe) noexcept {
    installed_.store(probe, std::memory_order_release);
  }

private:
  std::array<std::atomic<uint64_t>, bucket_count> buckets_{};
  static inline std::atomic<latency_probe*> installed_{nullptr};
};

} // namespace retrain
