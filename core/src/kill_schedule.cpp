#include "retrain/core/kill_schedule.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

namespace retrain::core {

namespace {

using duration = kill_schedule::duration;
using time_point = kill_schedule::time_point;

// `t + d`, clamped to the range of `time_point` instead of overflowing.
time_point add_saturated(time_point t, duration d) noexcept {
  using rep = time_point::rep;
  static_assert(std::is_same_v<time_point::duration, duration>);
  auto base = t.time_since_epoch().count();
  auto delta = d.count();
  if (delta > 0 && base > std::numeric_limits<rep>::max() - delta)
    return time_point::max();
  if (delta < 0 && base < std::numeric_limits<rep>::min() - delta)
    return time_point::min();
  return t + d;
}

} // namespace

const char* to_string(kill_action x) noexcept {
  switch (x) {
    case kill_action::term:
      return "SIGTERM";
    case kill_action::kill:
      return "SIGKILL";
    default:
      return "none";
  }
}

kill_schedule::kill_schedule(time_point deadline, duration grace) noexcept
  : deadline_(deadline), grace_(std::max(grace, duration::zero())) {
  // nop
}

time_point kill_schedule::deadline_after(time_point start,
                                         duration timeout) noexcept {
  return add_saturated(start, timeout);
}

kill_schedule::step kill_schedule::next(time_point now) const noexcept {
  switch (last_sent_) {
    case kill_action::none:
      if (now >= deadline_)
        return {kill_action::term, add_saturated(now, grace_)};
      return {kill_action::none, deadline_};
    case kill_action::term: {
      auto kill_at = add_saturated(term_sent_at_, grace_);
      if (now >= kill_at)
        return {kill_action::kill, time_point::max()};
      return {kill_action::none, kill_at};
    }
    default:
      return {kill_action::none, time_point::max()};
  }
}

void kill_schedule::sent(kill_action action, time_point now) noexcept {
  if (action <= last_sent_)
    return;
  if (action == kill_action::term)
    term_sent_at_ = now;
  last_sent_ = action;
}

void kill_schedule::reschedule(time_point deadline) noexcept {
  if (last_sent_ == kill_action::none)
    deadline_ = deadline;
}

} // namespace retrain::core
