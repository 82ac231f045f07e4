#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "retrain/unix_time.hpp"

namespace retrain {

/// A process-wide histogram of how long events wait between their
/// `observed_at_ns` and the moment their monitor applies them, in 10 us
/// buckets up to 1 s. Monitors record into it only while one is installed
/// (benchmarks do), at the cost of one atomic load per run otherwise.
class latency_probe {
public:
  static constexpr int64_t bucket_ns = 10'000;
  static constexpr std::size_t bucket_count = 100'000;

  /// The clock events are stamped with (`observed_at_ns`): ns since its
  /// epoch.
  using clock_fn = int64_t (*)();

  /// A probe that reads the time with `now`; null means Unix time (what
  /// producers stamp events with). Tests pass their simulated clock.
  explicit latency_probe(clock_fn now = nullptr) noexcept : now_(now) {
    // nop
  }

  /// The time on the probe's clock, in ns.
  int64_t now_ns() const noexcept {
    return now_ ? now_() : unix_now_ns();
  }

  /// The longest wait recorded, in ns (exact, not a bucket bound).
  int64_t max_ns() const noexcept {
    return max_.load(std::memory_order_relaxed);
  }

  /// Records `count` events that waited `ns`.
  void record(int64_t ns, uint64_t count) noexcept {
    auto i = ns <= 0 ? 0 : static_cast<std::size_t>(ns / bucket_ns);
    if (i >= bucket_count)
      i = bucket_count - 1;
    buckets_[i].fetch_add(count, std::memory_order_relaxed);
    auto seen = max_.load(std::memory_order_relaxed);
    while (ns > seen
           && !max_.compare_exchange_weak(seen, ns, std::memory_order_relaxed))
      ; // retry with the value another thread stored
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
  clock_fn now_;
  std::array<std::atomic<uint64_t>, bucket_count> buckets_{};
  std::atomic<int64_t> max_{0};
  static inline std::atomic<latency_probe*> installed_{nullptr};
};

} // namespace retrain
