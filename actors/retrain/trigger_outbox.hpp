#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "retrain/retrain_trigger.hpp"

namespace retrain {

/// Triggers of a monitor node on their way to the coordinator, held while
/// it is unreachable and delivered, oldest first, once it is back. Bounded:
/// when full, the oldest trigger makes room and is counted as dropped.
///
/// Not an actor: the coordinator link hosts it, next to what it knows of
/// reachability, and logs what it reports.
class trigger_outbox {
public:
  /// Triggers a node holds at most.
  static constexpr std::size_t default_capacity = 10'000;

  /// An outbox for up to `capacity` triggers (at least 1).
  explicit trigger_outbox(std::size_t capacity = default_capacity)
    : capacity_(capacity > 0 ? capacity : 1) {
    // nop
  }

  /// Holds `x` until the coordinator is reachable; returns the trigger
  /// dropped to make room, if the outbox was full.
  std::optional<retrain_trigger> hold(retrain_trigger x) {
    std::optional<retrain_trigger> result;
    if (held_.size() == capacity_) {
      ++dropped_;
      result = std::move(held_.front());
      held_.pop_front();
    }
    held_.push_back(std::move(x));
    return result;
  }

  /// Takes every held trigger, oldest first, to deliver them.
  std::deque<retrain_trigger> take() {
    return std::exchange(held_, {});
  }

  /// Triggers held.
  std::size_t size() const noexcept {
    return held_.size();
  }

  bool empty() const noexcept {
    return held_.empty();
  }

  /// Triggers dropped so far because the outbox was full.
  uint64_t dropped() const noexcept {
    return dropped_;
  }

private:
  std::size_t capacity_;
  std::deque<retrain_trigger> held_;
  uint64_t dropped_ = 0;
};

} // namespace retrain
