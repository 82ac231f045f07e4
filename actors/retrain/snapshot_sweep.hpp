#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace retrain {

/// Which monitors to ask for snapshots: once per snapshot interval, those
/// that got events or news since the last sweep (one timer per node, not
/// per model), `chunk` at a time. The next chunk follows after the answers
/// that came in meanwhile, so a sweep over a million monitors never has a
/// million snapshots queued at once.
///
/// Not an actor: the supervisor hosts it, owns the timer and asks the
/// monitors.
class snapshot_sweep {
public:
  /// Monitors asked per step.
  static constexpr std::size_t chunk = 1024;

  /// What the owner does after a step.
  enum class next {
    /// Nothing changed meanwhile: no timer until something does.
    idle,
    /// Send itself the next step now.
    step,
    /// Start the timer: monitors changed during the sweep.
    timer,
  };

  /// Notes that the monitor of `slot` changed. Returns whether the owner
  /// starts the timer (no sweep is scheduled or under way).
  bool mark(uint32_t slot) {
    if (slot >= marked_.size())
      marked_.resize(slot + 1);
    if (marked_[slot])
      return false;
    marked_[slot] = true;
    changed_.push_back(slot);
    if (scheduled_)
      return false;
    scheduled_ = true;
    return true;
  }

  /// Asks the next chunk of monitors through `ask(slot)` and says what comes
  /// next. A monitor that changes after it was asked waits for the next
  /// sweep.
  template <class Ask>
  next step(Ask&& ask) {
    if (pos_ == 0) {
      sweeping_.swap(changed_);
      changed_.clear();
      for (auto slot : sweeping_)
        marked_[slot] = false;
    }
    auto end = std::min(sweeping_.size(), pos_ + chunk);
    for (; pos_ < end; ++pos_)
      ask(sweeping_[pos_]);
    if (pos_ < sweeping_.size())
      return next::step;
    sweeping_.clear();
    pos_ = 0;
    scheduled_ = !changed_.empty();
    return scheduled_ ? next::timer : next::idle;
  }

  /// Whether a sweep is scheduled or under way.
  bool scheduled() const noexcept {
    return scheduled_;
  }

private:
  /// By slot: whether it is in `changed_`.
  std::vector<bool> marked_;
  /// Slots changed since the last sweep began.
  std::vector<uint32_t> changed_;
  /// The sweep under way: its slots and how many were asked so far.
  std::vector<uint32_t> sweeping_;
  std::size_t pos_ = 0;
  bool scheduled_ = false;
};

} // namespace retrain
