#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "retrain/core/strategy.hpp"

namespace retrain::core {

/// One point of a metric's history: the values of one time bucket and
/// what the strategy made of them.
struct history_point {
  /// Start of the bucket, ns since the Unix epoch (the events' own times).
  int64_t time_ns = 0;
  /// Smallest, largest and last raw value received in the bucket.
  double min = 0.0;
  double max = 0.0;
  double last = 0.0;
  /// The strategy's statistic and threshold after the bucket's last value.
  double statistic = 0.0;
  double threshold = 0.0;
  /// The strategy's sample count after the bucket's last value, so that a
  /// trigger naming `samples=N` can be found among the points.
  uint64_t samples = 0;
  /// Values that fell into the bucket.
  uint32_t count = 0;
  /// The most severe verdict within the bucket (drift over warning over
  /// none), so a drift between two points is never downsampled away.
  verdict state = verdict::none;
};

/// Bounded, downsampled history of one metric kind of one model: at most
/// `capacity` points, one per `resolution_ns` bucket of event time. A full
/// ring drops its oldest point. A value older than the newest bucket (a
/// late event) joins the newest bucket, so points stay in time order.
/// Grows as points come, never past `capacity`.
class history_ring {
public:
  /// A ring of at most `capacity` points of `resolution_ns` each (0: one
  /// point per distinct event time). `capacity` 0 keeps nothing.
  history_ring(std::size_t capacity, int64_t resolution_ns);

  /// Records `value`, received at `time_ns`, and the strategy's detection
  /// `d` after it, with the strategy's sample count `samples`.
  void add(int64_t time_ns, double value, const detection& d, uint64_t samples);

  /// Points held now.
  std::size_t size() const noexcept {
    return size_;
  }

  std::size_t capacity() const noexcept {
    return capacity_;
  }

  int64_t resolution_ns() const noexcept {
    return resolution_ns_;
  }

  /// The points, oldest first.
  std::vector<history_point> points() const;

  /// The newest `n` points, oldest first.
  std::vector<history_point> newest(std::size_t n) const;

  /// Replaces the content with `xs` (oldest first, as `points` gives
  /// them); keeps the newest `capacity` of them.
  void assign(const std::vector<history_point>& xs);

  /// Bytes this ring holds on the heap, besides the object itself.
  std::size_t heap_bytes() const noexcept {
    return buf_.capacity() * sizeof(history_point);
  }

private:
  history_point& newest_point() noexcept;
  void push(const history_point& x);

  std::size_t capacity_;
  int64_t resolution_ns_;
  /// Ring storage: once full, `head_` is the oldest point.
  std::vector<history_point> buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

} // namespace retrain::core
