#define CAF_SUITE storage_health
#include <caf/test/unit_test.hpp>

#include <vector>

#include "retrain/core/storage_health.hpp"

using namespace retrain::core;
using namespace std::chrono_literals;

CAF_TEST(an episode is logged once when it starts and once when it ends) {
  storage_health h{100ms, 1s};
  storage_health::time_point t0{};
  CAF_CHECK(!h.degraded());
  CAF_CHECK_EQUAL(h.describe(), "ok");
  CAF_CHECK(!h.succeeded()); // nothing to recover from
  CAF_CHECK(h.failed("database or disk is full", t0));
  CAF_CHECK(h.degraded());
  CAF_CHECK_EQUAL(h.describe(), "degraded (database or disk is full)");
  CAF_CHECK(!h.failed("database or disk is full", t0 + 1s));
  CAF_CHECK(!h.failed("attempt to write a readonly database", t0 + 2s));
  CAF_CHECK_EQUAL(h.failures(), 3u);
  CAF_CHECK_EQUAL(h.reason(), "attempt to write a readonly database");
  CAF_CHECK(h.since() == t0); // the episode began with the first failure
  CAF_CHECK(h.succeeded());
  CAF_CHECK(!h.degraded());
  CAF_CHECK_EQUAL(h.describe(), "ok");
  CAF_CHECK(!h.succeeded());
  // A new episode starts afresh.
  CAF_CHECK(h.failed("disk I/O error", t0 + 5s));
  CAF_CHECK(h.since() == t0 + 5s);
  CAF_CHECK_EQUAL(h.failures(), 1u);
}

CAF_TEST(retries back off within an episode and start over after it) {
  storage_health h{100ms, 1s};
  storage_health::time_point t0{};
  CAF_CHECK(h.retry_delay() == 0ms); // not degraded: nothing to wait for
  std::vector<std::chrono::milliseconds> expected{100ms, 200ms, 400ms,
                                                  800ms, 1s,    1s};
  for (auto want : expected) {
    h.failed("full", t0);
    CAF_CHECK(h.retry_delay() == want);
  }
  h.succeeded();
  h.failed("full", t0);
  CAF_CHECK(h.retry_delay() == 100ms);
}
