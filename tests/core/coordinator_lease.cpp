#define CAF_SUITE coordinator_lease
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/core/coordinator_lease.hpp"

using namespace retrain::core;
using namespace std::chrono_literals;

CAF_TEST(a standby takes a lease that is free expired or whose holder is gone) {
  struct row {
    lease_view view;
    lease_verdict want;
  };
  // Lease timeout 5 s = 5,000,000 us.
  std::vector<row> rows{
    {{"", 0, 0, false}, lease_verdict::free},
    {{"", 7, 10, true}, lease_verdict::free},                 // released
    {{"a:4243/1f", 0, 10, true}, lease_verdict::free},        // never taken
    {{"a:4243/1f", 3, 10, true}, lease_verdict::held},        // fresh
    {{"a:4243/1f", 3, 5'000'000, true}, lease_verdict::held}, // at the limit
    {{"a:4243/1f", 3, 5'000'001, true}, lease_verdict::expired},
    {{"a:4243/1f", 3, 9'000'000, false}, lease_verdict::expired},
    {{"a:4243/1f", 3, 10, false}, lease_verdict::holder_gone}, // kill -9
  };
  for (auto& x : rows) {
    CAF_MESSAGE("holder '" << x.view.holder << "' epoch " << x.view.epoch
                           << " age " << x.view.age_us << " us");
    CAF_CHECK_EQUAL(to_string(judge(x.view, 5s)), to_string(x.want));
    CAF_CHECK_EQUAL(may_take(judge(x.view, 5s)), x.want != lease_verdict::held);
  }
}

CAF_TEST(the holder stops acting before a standby may take over) {
  struct row {
    std::chrono::milliseconds timeout;
    std::chrono::milliseconds renew;
    std::chrono::milliseconds fence;
    std::chrono::milliseconds poll;
  };
  std::vector<row> rows{
    {5000ms, 1000ms, 3000ms, 250ms},    {3000ms, 600ms, 1800ms, 250ms},
    {2000ms, 400ms, 1200ms, 200ms},     {500ms, 100ms, 300ms, 50ms},
    {60000ms, 12000ms, 36000ms, 250ms},
  };
  for (auto& x : rows) {
    lease_timing t{x.timeout};
    CAF_MESSAGE("timeout " << x.timeout.count() << " ms");
    CAF_CHECK_EQUAL(t.renew_interval().count(), x.renew.count());
    CAF_CHECK_EQUAL(t.self_fence().count(), x.fence.count());
    CAF_CHECK_EQUAL(t.poll_interval().count(), x.poll.count());
    // At least two renewals may fail before the holder stops, and it stops
    // well before the lease can expire in database time.
    CAF_CHECK_GREATER_OR_EQUAL(t.self_fence().count(),
                               2 * t.renew_interval().count());
    CAF_CHECK_LESS(t.self_fence().count(), t.timeout.count());
    lease_timing::time_point sent{std::chrono::seconds{100}};
    CAF_CHECK(t.stop_at(sent) == sent + x.fence);
  }
}
