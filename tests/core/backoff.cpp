#define CAF_SUITE backoff
#include <caf/test/unit_test.hpp>

#include <random>

#include "retrain/core/backoff.hpp"

using namespace retrain::core;
using namespace std::chrono_literals;

CAF_TEST(delays double per attempt up to the cap) {
  backoff b{30s, 5min, 0.0};
  CAF_CHECK_EQUAL(b.delay(1, 0.9), backoff::duration{30s});
  CAF_CHECK_EQUAL(b.delay(2, 0.1), backoff::duration{60s});
  CAF_CHECK_EQUAL(b.delay(3, 0.5), backoff::duration{120s});
  CAF_CHECK_EQUAL(b.delay(4, 0.5), backoff::duration{240s});
  CAF_CHECK_EQUAL(b.delay(5, 0.5), backoff::duration{5min});
  CAF_CHECK_EQUAL(b.delay(60, 0.5), backoff::duration{5min});
  // Attempt 0 is no retry: no wait.
  CAF_CHECK_EQUAL(b.nominal(0), backoff::duration::zero());
  CAF_CHECK_EQUAL(b.delay(0, 1.0), backoff::duration::zero());
}

CAF_TEST(jitter spreads delays within its band) {
  backoff b{10s, 1h, 0.2};
  CAF_CHECK_EQUAL(b.delay(1, 0.0), backoff::duration{8s});
  CAF_CHECK_EQUAL(b.delay(1, 0.5), backoff::duration{10s});
  CAF_CHECK_EQUAL(b.delay(2, 1.0), backoff::duration{24s});
  std::mt19937_64 rng{42};
  bool differ = false;
  auto first = b.delay(3, rng);
  for (int i = 0; i < 100; ++i) {
    auto d = b.delay(3, rng);
    CAF_CHECK_GREATER_OR_EQUAL(d, backoff::duration{32s});
    CAF_CHECK_LESS_OR_EQUAL(d, backoff::duration{48s});
    differ = differ || d != first;
  }
  CAF_CHECK(differ);
}

CAF_TEST(jitter and unit outside their range are clamped) {
  // A jitter above 1 acts as 1, below 0 as 0: with unit 1 the delay is
  // 10 s * (1 + jitter), so 20 s and 10 s (not 25 s and 5 s).
  CAF_CHECK_EQUAL(backoff(10s, 1h, 1.5).delay(1, 1.0), backoff::duration{20s});
  CAF_CHECK_EQUAL(backoff(10s, 1h, -0.5).delay(1, 1.0), backoff::duration{10s});
  // A unit outside [0, 1] acts as its nearest end.
  backoff b{10s, 1h, 0.2};
  CAF_CHECK_EQUAL(b.delay(1, 1.5), backoff::duration{12s});
  CAF_CHECK_EQUAL(b.delay(1, -0.5), backoff::duration{8s});
}

CAF_TEST(a cap near the largest duration neither overflows nor wraps) {
  auto huge = backoff::duration::max() - backoff::duration{1};
  backoff b{std::chrono::hours{1}, huge, 0.5};
  for (uint32_t attempt = 1; attempt < 80; ++attempt) {
    auto lo = b.delay(attempt, 0.0);
    auto hi = b.delay(attempt, 1.0);
    CAF_REQUIRE_GREATER(lo.count(), 0);
    CAF_REQUIRE_GREATER_OR_EQUAL(hi, lo);
  }
  CAF_CHECK_EQUAL(b.delay(79, 1.0), backoff::duration::max());
}
