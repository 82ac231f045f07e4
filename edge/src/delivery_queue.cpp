#include "retrain/edge/delivery_queue.hpp"

#include <algorithm>

namespace retrain::edge {

delivery_queue::delivery_queue(size_t receivers, size_t capacity,
                               uint32_t max_attempts, core::backoff backoff)
  : receivers_(receivers),
    capacity_(capacity),
    max_attempts_(std::max<uint32_t>(max_attempts, 1)),
    backoff_(backoff) {
  // nop
}

size_t delivery_queue::push(const delivery& d) {
  size_t dropped = 0;
  for (auto& r : receivers_) {
    if (size_ >= capacity_) {
      ++dropped;
      continue;
    }
    r.entries.push_back(entry{d, 0});
    ++size_;
  }
  return dropped;
}

std::optional<size_t> delivery_queue::due(time_point now) {
  auto n = receivers_.size();
  for (size_t i = 0; i < n; ++i) {
    auto k = (turn_ + i) % n;
    auto& r = receivers_[k];
    if (!r.entries.empty() && r.not_before <= now) {
      turn_ = (k + 1) % n;
      return k;
    }
  }
  return std::nullopt;
}

const delivery& delivery_queue::front(size_t receiver) const {
  return receivers_.at(receiver).entries.front().what;
}

delivery_queue::verdict delivery_queue::done(size_t receiver, bool ok,
                                             time_point now, double unit) {
  auto& r = receivers_.at(receiver);
  auto& e = r.entries.front();
  verdict result;
  result.attempt = ++e.attempts;
  if (ok || e.attempts >= max_attempts_) {
    result.what = ok ? outcome::delivered : outcome::given_up;
    r.entries.pop_front();
    --size_;
    r.not_before = now;
    return result;
  }
  result.what = outcome::retry;
  result.retry_in = backoff_.delay(e.attempts, unit);
  r.not_before = now + result.retry_in;
  return result;
}

std::optional<delivery_queue::time_point> delivery_queue::next_retry() const {
  std::optional<time_point> result;
  for (auto& r : receivers_)
    if (!r.entries.empty() && (!result || r.not_before < *result))
      result = r.not_before;
  return result;
}

} // namespace retrain::edge
