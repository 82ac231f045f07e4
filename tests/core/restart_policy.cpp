#define CAF_SUITE restart_policy
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/core/restart_policy.hpp"

using namespace retrain::core;
using namespace std::chrono_literals;

namespace {

using verdict = restart_policy::verdict;

constexpr auto R = verdict::restart;
constexpr auto Q = verdict::quarantine;

struct crash_case {
  std::string name;
  uint32_t max_restarts;
  std::chrono::milliseconds window;
  /// Crash times, in ms after the first.
  std::vector<int> at_ms;
  /// The verdict after each crash.
  std::vector<verdict> expected;
};

const std::vector<crash_case> cases = {
  {"restarts up to the limit, quarantines at the next crash",
   2,
   60s,
   {0, 1, 2},
   {R, R, Q}},
  {"no restart allowed: the first crash quarantines", 0, 60s, {0}, {Q}},
  {"crashes spread wider than the window never add up",
   2,
   1000ms,
   {0, 600, 1200, 1800, 2400},
   {R, R, R, R, R}},
  {"a crash exactly one window later no longer counts the first",
   1,
   1000ms,
   {0, 1000, 1999},
   {R, R, Q}},
  {"a crash just inside the window counts", 1, 1000ms, {0, 999}, {R, Q}},
  {"a quiet spell resets the count",
   2,
   60s,
   {0, 1, 70000, 70001, 70002},
   {R, R, R, R, Q}},
};

} // namespace

CAF_TEST(crashes within the window lead to quarantine) {
  for (auto& c : cases) {
    CAF_MESSAGE(c.name);
    CAF_REQUIRE_EQUAL(c.at_ms.size(), c.expected.size());
    restart_policy policy{c.max_restarts, c.window};
    restart_policy::time_point t0{};
    for (size_t i = 0; i < c.at_ms.size(); ++i) {
      auto got = policy.crashed(t0 + std::chrono::milliseconds{c.at_ms[i]});
      CAF_CHECK_EQUAL(got == Q, c.expected[i] == Q);
    }
  }
}

CAF_TEST(recent crashes count the ones within the window) {
  restart_policy policy{5, 1000ms};
  restart_policy::time_point t0{};
  policy.crashed(t0);
  policy.crashed(t0 + 500ms);
  CAF_CHECK_EQUAL(policy.recent_crashes(), 2u);
  policy.crashed(t0 + 1200ms); // the first left the window
  CAF_CHECK_EQUAL(policy.recent_crashes(), 2u);
  policy.crashed(t0 + 5000ms);
  CAF_CHECK_EQUAL(policy.recent_crashes(), 1u);
}
