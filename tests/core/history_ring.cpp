#define CAF_SUITE history_ring
#include <caf/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "retrain/core/history_ring.hpp"

using namespace retrain::core;

namespace {

constexpr int64_t s = 1'000'000'000;

/// One value fed to a ring.
struct input {
  int64_t time_ns;
  double value;
  verdict state;
};

/// A point as a test expects it.
struct expected_point {
  int64_t time_ns;
  double min;
  double max;
  double last;
  uint32_t count;
  uint64_t samples;
  verdict state;
};

/// Feeds `xs` in order; the statistic is the value times 10, the sample
/// count the position (1-based).
history_ring feed(std::size_t capacity, int64_t resolution,
                  const std::vector<input>& xs) {
  history_ring ring{capacity, resolution};
  uint64_t n = 0;
  for (auto& x : xs) {
    detection d;
    d.state = x.state;
    d.statistic = x.value * 10;
    d.threshold = 0.5;
    ring.add(x.time_ns, x.value, d, ++n);
  }
  return ring;
}

struct ring_case {
  const char* what;
  std::size_t capacity;
  int64_t resolution;
  std::vector<input> in;
  std::vector<expected_point> out;
};

const verdict none = verdict::none;
const verdict warn = verdict::warning;
const verdict drift = verdict::drift;

const ring_case cases[] = {
  {"one value per bucket keeps each",
   10,
   s,
   {{0, 0.9, none}, {1 * s, 0.8, none}, {2 * s, 0.7, none}},
   {{0, 0.9, 0.9, 0.9, 1, 1, none},
    {1 * s, 0.8, 0.8, 0.8, 1, 2, none},
    {2 * s, 0.7, 0.7, 0.7, 1, 3, none}}},
  {"values of one bucket keep min, max and last",
   10,
   s,
   {{100, 0.5, none}, {200, 0.9, none}, {999'999'999, 0.7, none}},
   {{0, 0.5, 0.9, 0.7, 3, 3, none}}},
  {"bucket starts are multiples of the resolution",
   10,
   s,
   {{5 * s + 7, 0.5, none}, {6 * s + 1, 0.6, none}},
   {{5 * s, 0.5, 0.5, 0.5, 1, 1, none}, {6 * s, 0.6, 0.6, 0.6, 1, 2, none}}},
  {"a drift inside a bucket survives later calm values",
   10,
   s,
   {{0, 0.5, drift}, {10, 0.9, none}, {20, 0.9, warn}},
   {{0, 0.5, 0.9, 0.9, 3, 3, drift}}},
  {"a warning outranks none",
   10,
   s,
   {{0, 0.5, none}, {10, 0.6, warn}, {20, 0.7, none}},
   {{0, 0.5, 0.7, 0.7, 3, 3, warn}}},
  {"a full ring drops its oldest points",
   2,
   s,
   {{0, 0.1, none},
    {1 * s, 0.2, none},
    {2 * s, 0.3, none},
    {3 * s, 0.4, drift}},
   {{2 * s, 0.3, 0.3, 0.3, 1, 3, none}, {3 * s, 0.4, 0.4, 0.4, 1, 4, drift}}},
  {"a late value joins the newest bucket",
   10,
   s,
   {{5 * s, 0.5, none}, {2 * s, 0.1, warn}},
   {{5 * s, 0.1, 0.5, 0.1, 2, 2, warn}}},
  {"resolution 0 keeps every distinct time",
   10,
   0,
   {{1, 0.1, none}, {2, 0.2, none}, {2, 0.3, none}},
   {{1, 0.1, 0.1, 0.1, 1, 1, none}, {2, 0.2, 0.3, 0.3, 2, 3, none}}},
  {"capacity 0 keeps nothing", 0, s, {{0, 0.1, drift}}, {}},
  {"times before the epoch bucket downwards",
   10,
   s,
   {{-1, 0.1, none}, {0, 0.2, none}},
   {{-1 * s, 0.1, 0.1, 0.1, 1, 1, none}, {0, 0.2, 0.2, 0.2, 1, 2, none}}},
};

} // namespace

CAF_TEST(points are downsampled per bucket and bounded) {
  for (auto& c : cases) {
    CAF_MESSAGE(c.what);
    auto ring = feed(c.capacity, c.resolution, c.in);
    auto got = ring.points();
    CAF_REQUIRE_EQUAL(got.size(), c.out.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      auto& g = got[i];
      auto& e = c.out[i];
      CAF_CHECK_EQUAL(g.time_ns, e.time_ns);
      CAF_CHECK_EQUAL(g.min, e.min);
      CAF_CHECK_EQUAL(g.max, e.max);
      CAF_CHECK_EQUAL(g.last, e.last);
      CAF_CHECK_EQUAL(g.statistic, e.last * 10);
      CAF_CHECK_EQUAL(g.threshold, 0.5);
      CAF_CHECK_EQUAL(g.count, e.count);
      CAF_CHECK_EQUAL(g.samples, e.samples);
      CAF_CHECK(g.state == e.state);
    }
  }
}

CAF_TEST(a ring that wrapped around lists its points oldest first) {
  std::vector<input> in;
  for (int i = 0; i < 25; ++i)
    in.push_back({i * s, i / 100.0, none});
  auto ring = feed(10, s, in);
  auto got = ring.points();
  CAF_REQUIRE_EQUAL(got.size(), 10u);
  for (std::size_t i = 0; i < got.size(); ++i)
    CAF_CHECK_EQUAL(got[i].time_ns, static_cast<int64_t>(15 + i) * s);
  auto last3 = ring.newest(3);
  CAF_REQUIRE_EQUAL(last3.size(), 3u);
  CAF_CHECK_EQUAL(last3[0].time_ns, 22 * s);
  CAF_CHECK_EQUAL(last3[2].time_ns, 24 * s);
  CAF_CHECK_EQUAL(ring.newest(100).size(), 10u);
}

CAF_TEST(the heap never holds more than the bound) {
  std::vector<input> in;
  for (int i = 0; i < 1500; ++i)
    in.push_back({i * s, 0.5, none});
  auto ring = feed(1000, s, in);
  CAF_CHECK_EQUAL(ring.size(), 1000u);
  CAF_CHECK_EQUAL(ring.heap_bytes(), 1000 * sizeof(history_point));
  // One point takes the room of one: a model with a single event costs
  // no more.
  auto small = feed(1000, s, {{0, 0.5, none}});
  CAF_CHECK_EQUAL(small.heap_bytes(), sizeof(history_point));
}

CAF_TEST(assign restores what points gave and keeps adding after it) {
  std::vector<input> in;
  for (int i = 0; i < 12; ++i)
    in.push_back({i * s, i / 100.0, i == 7 ? drift : none});
  auto ring = feed(10, s, in);
  history_ring copy{10, s};
  copy.assign(ring.points());
  auto a = ring.points();
  auto b = copy.points();
  CAF_REQUIRE_EQUAL(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CAF_CHECK_EQUAL(a[i].time_ns, b[i].time_ns);
    CAF_CHECK_EQUAL(a[i].last, b[i].last);
    CAF_CHECK(a[i].state == b[i].state);
  }
  detection d;
  copy.add(12 * s, 0.3, d, 13);
  CAF_CHECK_EQUAL(copy.size(), 10u);
  // (Copies: the check macros keep references to what they compare.)
  auto after = copy.points();
  CAF_CHECK_EQUAL(after.back().time_ns, 12 * s);
  CAF_CHECK_EQUAL(after.front().time_ns, 3 * s);
  // A smaller bound than the saved history keeps the newest points.
  history_ring smaller{4, s};
  smaller.assign(ring.points());
  CAF_CHECK_EQUAL(smaller.size(), 4u);
  auto kept = smaller.points();
  CAF_CHECK_EQUAL(kept.front().time_ns, 8 * s);
}
