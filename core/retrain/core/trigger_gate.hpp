#pragma once

#include <chrono>

namespace retrain::core {

/// Model-level gate between a strategy's drift verdict and a retrain
/// trigger: after a trigger it stays closed for `cooldown`, and while the
/// model line has a job queued or running. Time is passed in.
class trigger_gate {
public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::steady_clock::time_point;

  explicit trigger_gate(duration cooldown = duration::zero())
    : cooldown_(cooldown) {
    // nop
  }

  /// Returns whether a drift verdict at `now` may become a trigger.
  bool open(time_point now) const noexcept {
    return !busy_ && (!fired_ || now >= fired_at_ + cooldown_);
  }

  /// Records a trigger sent at `now`; the line counts as busy until told
  /// otherwise.
  void fired(time_point now) noexcept {
    fired_ = true;
    fired_at_ = now;
    busy_ = true;
  }

  /// Changes the cooldown (a changed policy); a trigger already recorded
  /// counts against the new one.
  void cooldown(duration x) noexcept {
    cooldown_ = x;
  }

  /// Records whether the model line has a job queued or running.
  void line_busy(bool value) noexcept {
    busy_ = value;
  }

  /// Whether a trigger was ever recorded, and when (`fired_at`).
  bool has_fired() const noexcept {
    return fired_;
  }

  time_point fired_at() const noexcept {
    return fired_at_;
  }

  /// Restores a trigger recorded at `at` by an earlier gate, without
  /// touching the busy flag.
  void restore_fired(time_point at) noexcept {
    fired_ = true;
    fired_at_ = at;
  }

  bool busy() const noexcept {
    return busy_;
  }

  /// Time left in the cooldown at `now` (zero when over).
  duration cooldown_left(time_point now) const noexcept {
    if (!fired_ || now >= fired_at_ + cooldown_)
      return duration::zero();
    return fired_at_ + cooldown_ - now;
  }

private:
  duration cooldown_;
  time_point fired_at_;
  bool fired_ = false;
  bool busy_ = false;
};

} // namespace retrain::core
