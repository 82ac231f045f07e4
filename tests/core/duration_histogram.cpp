#define CAF_SUITE duration_histogram
#include <caf/test/unit_test.hpp>

#include "retrain/core/duration_histogram.hpp"

using namespace retrain::core;
using namespace std::chrono_literals;

CAF_TEST(
  each duration lands in the first bucket whose bound it does not exceed) {
  duration_histogram h;
  CAF_REQUIRE_EQUAL(h.counts().size(), duration_histogram::bounds.size() + 1);
  h.observe(500ms);  // <= 1
  h.observe(1s);     // <= 1: bounds are inclusive, as Prometheus' `le`
  h.observe(1001ms); // <= 5
  h.observe(59s);    // <= 60
  h.observe(3h);     // above every bound
  h.observe(-5s);    // a clock step: 0
  std::vector<uint64_t> want(duration_histogram::bounds.size() + 1, 0);
  want[0] = 3;
  want[1] = 1;
  want[4] = 1;
  want.back() = 1;
  CAF_CHECK_EQUAL(h.counts(), want);
  CAF_CHECK_EQUAL(h.sum_ms(), 500u + 1000 + 1001 + 59000 + 3 * 3600 * 1000);
}
