#define CAF_SUITE kill_schedule
#include <caf/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "retrain/core/kill_schedule.hpp"

using namespace retrain::core;
using namespace std::chrono_literals;

namespace {

using duration = kill_schedule::duration;
using time_point = kill_schedule::time_point;

constexpr auto none = kill_action::none;
constexpr auto term = kill_action::term;
constexpr auto kill = kill_action::kill;

// An arbitrary origin; rows give times as offsets from it.
const time_point t0 = time_point{} + 1h;

// Stands for `time_point::max()` among offsets: nothing more will be due.
constexpr duration never = duration::max();

duration offset(time_point x) {
  return x == time_point::max() ? never : x - t0;
}

// Renders an action for check messages.
std::string str(kill_action x) {
  return to_string(x);
}

} // namespace

CAF_TEST(each step says what is due and when to look again) {
  // SIGTERM is due at t0 + 10s, SIGKILL 2s after SIGTERM was sent.
  struct row {
    std::optional<duration> term_sent; // when SIGTERM went out, if it did
    std::optional<duration> kill_sent;
    duration now;
    kill_action action;
    duration wake;
  };
  row rows[] = {
    // Nothing sent: wait for the deadline.
    {{}, {}, 0s, none, 10s},
    {{}, {}, 9999ms, none, 10s},
    {{}, {}, 10s, term, 12s},
    // A late look sends SIGTERM late; the grace counts from then.
    {{}, {}, 15s, term, 17s},
    // SIGTERM sent: wait out the grace from when it went out.
    {10s, {}, 10s, none, 12s},
    {10s, {}, 11999ms, none, 12s},
    {10s, {}, 12s, kill, never},
    {15s, {}, 16s, none, 17s},
    {15s, {}, 20s, kill, never},
    // SIGKILL sent, after SIGTERM or at once: nothing more is due.
    {10s, 12s, 12s, none, never},
    {{}, 3s, 1h, none, never},
  };
  for (auto& r : rows) {
    kill_schedule schedule{t0 + 10s, 2s};
    if (r.term_sent)
      schedule.sent(term, t0 + *r.term_sent);
    if (r.kill_sent)
      schedule.sent(kill, t0 + *r.kill_sent);
    auto step = schedule.next(t0 + r.now);
    CAF_CHECK_EQUAL(str(step.action), str(r.action));
    CAF_CHECK_EQUAL(offset(step.wake), r.wake);
  }
}

CAF_TEST(a runner that sends what is due escalates term then kill) {
  // The loop a runner runs: send all that is due, then sleep until `wake`.
  struct row {
    duration grace;
    std::vector<duration> looks; // when the runner wakes up
    // What it sends at each look, in order.
    std::vector<std::vector<kill_action>> expected;
  };
  row rows[] = {
    {2s, {0s, 10s, 11s, 12s, 13s}, {{}, {term}, {}, {kill}, {}}},
    // Without a grace, SIGKILL follows SIGTERM in the same look.
    {0s, {9s, 10s, 11s}, {{}, {term, kill}, {}}},
    // A negative grace counts as none.
    {-5s, {10s}, {{term, kill}}},
  };
  for (auto& r : rows) {
    kill_schedule schedule{t0 + 10s, r.grace};
    for (size_t i = 0; i < r.looks.size(); ++i) {
      auto now = t0 + r.looks[i];
      std::vector<std::string> sent;
      for (auto step = schedule.next(now); step.action != none;
           step = schedule.next(now)) {
        sent.push_back(str(step.action));
        schedule.sent(step.action, now);
      }
      std::vector<std::string> expected;
      for (auto action : r.expected[i])
        expected.push_back(str(action));
      CAF_CHECK_EQUAL(sent, expected);
    }
    CAF_CHECK_EQUAL(str(schedule.last_sent()), str(kill));
  }
}

CAF_TEST(sending again or something weaker changes nothing) {
  kill_schedule schedule{t0 + 10s, 2s};
  schedule.sent(none, t0 + 1s);
  CAF_CHECK_EQUAL(str(schedule.last_sent()), str(none));
  CAF_CHECK_EQUAL(offset(schedule.next(t0 + 1s).wake), duration{10s});
  schedule.sent(term, t0 + 10s);
  // A second SIGTERM does not restart the grace.
  schedule.sent(term, t0 + 11s);
  CAF_CHECK_EQUAL(str(schedule.next(t0 + 12s).action), str(kill));
  schedule.sent(kill, t0 + 12s);
  schedule.sent(term, t0 + 13s);
  CAF_CHECK_EQUAL(str(schedule.last_sent()), str(kill));
  CAF_CHECK_EQUAL(str(schedule.next(t0 + 1h).action), str(none));
}

CAF_TEST(a deadline moves until the escalation has begun) {
  struct row {
    bool term_sent; // SIGTERM went out at t0 + 10s, before the move
    duration moved_to;
    duration now;
    kill_action action;
    duration wake;
  };
  row rows[] = {
    // Earlier, as a stop request does: SIGTERM is due at once.
    {false, 3s, 3s, term, 5s},
    {false, 3s, 2s, none, 3s},
    // Later, as a renewed lease would: nothing is due until then.
    {false, 30s, 10s, none, 30s},
    {false, 30s, 30s, term, 32s},
    // Too late to move: the grace under way stays.
    {true, 3s, 11s, none, 12s},
    {true, 30s, 12s, kill, never},
  };
  for (auto& r : rows) {
    kill_schedule schedule{t0 + 10s, 2s};
    if (r.term_sent)
      schedule.sent(term, t0 + 10s);
    schedule.reschedule(t0 + r.moved_to);
    auto step = schedule.next(t0 + r.now);
    CAF_CHECK_EQUAL(str(step.action), str(r.action));
    CAF_CHECK_EQUAL(offset(step.wake), r.wake);
    CAF_CHECK_EQUAL(schedule.deadline() - t0,
                    r.term_sent ? duration{10s} : r.moved_to);
  }
}

CAF_TEST(huge timeouts and graces saturate instead of wrapping) {
  CAF_CHECK(kill_schedule::deadline_after(t0, duration::max())
            == time_point::max());
  CAF_CHECK(kill_schedule::deadline_after(t0, 5s) == t0 + 5s);
  CAF_CHECK(kill_schedule::deadline_after(t0, -5s) == t0 - 5s);
  CAF_CHECK(kill_schedule::deadline_after(time_point{} - 1h, duration::min())
            == time_point::min());
  // A deadline at the end of time never falls due.
  kill_schedule forever{kill_schedule::deadline_after(t0, duration::max()), 2s};
  auto step = forever.next(t0 + 24h * 365 * 100);
  CAF_CHECK_EQUAL(str(step.action), str(none));
  CAF_CHECK(step.wake == time_point::max());
  // A grace that reaches past the end of time: SIGKILL never falls due.
  kill_schedule patient{t0 + 10s, duration::max()};
  step = patient.next(t0 + 10s);
  CAF_CHECK_EQUAL(str(step.action), str(term));
  CAF_CHECK(step.wake == time_point::max());
  patient.sent(term, t0 + 10s);
  CAF_CHECK_EQUAL(str(patient.next(t0 + 24h * 365 * 100).action), str(none));
  CAF_CHECK_EQUAL(patient.grace(), duration::max());
}

CAF_TEST(actions render as the signals they send) {
  CAF_CHECK_EQUAL(str(none), "none");
  CAF_CHECK_EQUAL(str(term), "SIGTERM");
  CAF_CHECK_EQUAL(str(kill), "SIGKILL");
}
