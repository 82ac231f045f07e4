#pragma once

#include <chrono>
#include <cstdint>

namespace retrain::core {

/// What a command's process group is sent next. The order matters: a later
/// action is a stronger one.
enum class kill_action : uint8_t {
  /// Nothing is due.
  none,
  /// SIGTERM to the process group: the command may clean up.
  term,
  /// SIGKILL to the process group: the grace after SIGTERM has passed.
  kill,
};

/// The name of the signal `x` sends ("SIGTERM", "SIGKILL"), or "none".
const char* to_string(kill_action x) noexcept;

/// The escalation that stops a command: SIGTERM to its process group once
/// the deadline has passed, SIGKILL once `grace` has passed since SIGTERM
/// went out. The caller sends the signals and reports each with `sent`;
/// the schedule only says what is due, so any path that stops a command (a
/// timeout, or a stop asked for with `reschedule`) escalates the same way.
/// Time is passed in.
class kill_schedule {
public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::steady_clock::time_point;

  /// What is due at one moment.
  struct step {
    /// The action due now; `none` when nothing is.
    kill_action action;
    /// When the next action falls due, once `action` is sent now;
    /// `time_point::max()` when none will.
    time_point wake;
  };

  /// A schedule that sends SIGTERM at `deadline` and SIGKILL `grace` later
  /// (a negative grace counts as zero).
  kill_schedule(time_point deadline, duration grace) noexcept;

  /// `timeout` after `start`, saturating instead of overflowing: a huge
  /// timeout means "never".
  static time_point deadline_after(time_point start, duration timeout) noexcept;

  /// What is due at `now`, and when to look again.
  step next(time_point now) const noexcept;

  /// Records that `action` was sent at `now`. A weaker action than one
  /// sent before changes nothing; `kill` may be sent without `term` first.
  void sent(kill_action action, time_point now) noexcept;

  /// Moves the deadline: earlier to stop the command sooner, later to give
  /// it more time. No effect once SIGTERM was sent: the escalation under
  /// way keeps its grace.
  void reschedule(time_point deadline) noexcept;

  /// The strongest action sent so far.
  kill_action last_sent() const noexcept {
    return last_sent_;
  }

  /// When SIGTERM is due.
  time_point deadline() const noexcept {
    return deadline_;
  }

  /// How long the group has between SIGTERM and SIGKILL.
  duration grace() const noexcept {
    return grace_;
  }

private:
  time_point deadline_;
  duration grace_;
  kill_action last_sent_ = kill_action::none;
  time_point term_sent_at_;
};

} // namespace retrain::core
