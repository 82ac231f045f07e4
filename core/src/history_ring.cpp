#include "retrain/core/history_ring.hpp"

#include <algorithm>

namespace retrain::core {

namespace {

int severity(verdict x) noexcept {
  return static_cast<int>(x);
}

// Start of the bucket of `t`, rounding towards minus infinity so that
// times before the epoch bucket like any other.
int64_t bucket_of(int64_t t, int64_t resolution) noexcept {
  if (resolution <= 0)
    return t;
  auto q = t / resolution;
  if (t % resolution != 0 && t < 0)
    --q;
  return q * resolution;
}

} // namespace

history_ring::history_ring(std::size_t capacity, int64_t resolution_ns)
  : capacity_(capacity), resolution_ns_(std::max<int64_t>(resolution_ns, 0)) {
  // nop
}

history_point& history_ring::newest_point() noexcept {
  auto i = (head_ + size_ - 1) % buf_.size();
  return buf_[i];
}

void history_ring::push(const history_point& x) {
  if (size_ < capacity_) {
    if (buf_.size() == buf_.capacity()) {
      // Grows by doubling but never past the bound: a vector's own growth
      // would reserve up to twice `capacity_` for a full ring. The first
      // point gets room for itself only: many models see few events.
      auto want = std::min(capacity_, std::max<std::size_t>(1, 2 * size_));
      buf_.reserve(want);
    }
    buf_.push_back(x);
    ++size_;
    return;
  }
  buf_[head_] = x;
  head_ = (head_ + 1) % buf_.size();
}

void history_ring::add(int64_t time_ns, double value, const detection& d,
                       uint64_t samples) {
  if (capacity_ == 0)
    return;
  auto bucket = bucket_of(time_ns, resolution_ns_);
  if (size_ > 0) {
    auto& p = newest_point();
    // The same bucket, or a late value: it joins the newest point.
    if (bucket <= p.time_ns) {
      p.min = std::min(p.min, value);
      p.max = std::max(p.max, value);
      p.last = value;
      p.statistic = d.statistic;
      p.threshold = d.threshold;
      p.samples = samples;
      ++p.count;
      if (severity(d.state) > severity(p.state))
        p.state = d.state;
      return;
    }
  }
  history_point x;
  x.time_ns = bucket;
  x.min = x.max = x.last = value;
  x.statistic = d.statistic;
  x.threshold = d.threshold;
  x.samples = samples;
  x.count = 1;
  x.state = d.state;
  push(x);
}

std::vector<history_point> history_ring::points() const {
  return newest(size_);
}

std::vector<history_point> history_ring::newest(std::size_t n) const {
  n = std::min(n, size_);
  std::vector<history_point> result;
  result.reserve(n);
  for (auto i = size_ - n; i < size_; ++i)
    result.push_back(buf_[(head_ + i) % buf_.size()]);
  return result;
}

void history_ring::assign(const std::vector<history_point>& xs) {
  buf_.clear();
  buf_.shrink_to_fit();
  head_ = 0;
  size_ = 0;
  auto keep = std::min(xs.size(), capacity_);
  buf_.reserve(keep);
  for (auto i = xs.size() - keep; i < xs.size(); ++i) {
    buf_.push_back(xs[i]);
    ++size_;
  }
}

} // namespace retrain::core
