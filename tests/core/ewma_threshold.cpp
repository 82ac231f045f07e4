#define CAF_SUITE ewma_threshold
#include <caf/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "retrain/core/ewma_threshold.hpp"
#include "bench/seed_recipe.hpp"

using namespace retrain::core;

namespace {

ewma_threshold_params seed_params(double threshold) {
  ewma_threshold_params p;
  p.alpha = 0.2;
  p.threshold = threshold;
  return p; // min_samples = 1, consecutive_breaches = 1
}

std::vector<verdict> run(ewma_threshold& s, const std::vector<double>& xs) {
  std::vector<verdict> result;
  for (auto x : xs)
    result.push_back(s.update(x).state);
  return result;
}

constexpr auto N = verdict::none;
constexpr auto W = verdict::warning;
constexpr auto D = verdict::drift;

} // namespace

CAF_TEST(the first value initialises the ewma) {
  ewma_threshold s{seed_params(0.92)};
  s.update(0.95);
  CAF_CHECK_EQUAL(s.ewma(), 0.2 * 0.95 + 0.8 * 0.95);
  s.update(0.85);
  CAF_CHECK_EQUAL(s.ewma(), 0.2 * 0.85 + 0.8 * (0.2 * 0.95 + 0.8 * 0.95));
  CAF_CHECK_EQUAL(s.samples(), 2u);
}

CAF_TEST(seed equivalence on the seed bench recipe) {
  // With min_samples=1, consecutive_breaches=1 (and no cooldown) a drift is
  // reported exactly when the seed's `ewma < threshold` holds. The totals
  // are the `jobs=` the seed bench prints for the same arguments.
  struct bench_case {
    uint64_t models;
    uint64_t events;
    uint64_t seed_jobs;
  };
  for (auto c : {bench_case{1000, 5'000'000, 249'624},
                 bench_case{100'000, 5'000'000, 213'235}}) {
    std::vector<ewma_threshold> strategies;
    strategies.reserve(c.models * 2);
    for (uint64_t m = 0; m < c.models; ++m) {
      strategies.emplace_back(seed_params(0.92)); // accuracy
      strategies.emplace_back(seed_params(0.90)); // f1_score
    }
    // The seed's own rule, written out independently.
    std::vector<double> seed_ewma(c.models * 2);
    std::vector<bool> seen(c.models * 2);
    uint64_t drifts = 0;
    uint64_t mismatches = 0;
    for (uint64_t e = 0; e < c.events; ++e) {
      auto ev = seed_recipe::event(e, c.models, 2, c.events);
      auto slot = ev.model * 2 + ev.kind;
      double threshold = ev.kind == 0 ? 0.92 : 0.90;
      if (!seen[slot]) {
        seen[slot] = true;
        seed_ewma[slot] = ev.value;
      }
      seed_ewma[slot] = 0.2 * ev.value + (1.0 - 0.2) * seed_ewma[slot];
      bool seed_fires = seed_ewma[slot] < threshold;
      bool ours = strategies[slot].update(ev.value).state == verdict::drift;
      drifts += ours ? 1 : 0;
      mismatches += seed_fires != ours ? 1 : 0;
    }
    CAF_CHECK_EQUAL(mismatches, 0u);
    CAF_CHECK_EQUAL(drifts, c.seed_jobs);
  }
}

CAF_TEST(latency breaches above the threshold) {
  ewma_threshold_params p;
  p.alpha = 0.5;
  p.threshold = 100.0;
  p.side = breach_side::above;
  ewma_threshold s{p};
  CAF_CHECK_EQUAL(s.update(50).state, N);
  CAF_CHECK_EQUAL(s.update(120).state, N); // ewma 85
  CAF_CHECK_EQUAL(s.update(200).state, D); // ewma 142.5
  CAF_CHECK_EQUAL(s.last().statistic, 142.5);
  CAF_CHECK_EQUAL(s.last().threshold, 100.0);
  // The seed's rule (ewma < threshold) would have fired on the good values.
  p.side = breach_side::below;
  ewma_threshold wrong{p};
  CAF_CHECK_EQUAL(wrong.update(50).state, D);
}

CAF_TEST(an ewma exactly on the threshold is no breach) {
  // The seed's rule is `ewma < threshold` (`>` for latency): equal is fine.
  // With alpha 0.5 every EWMA below is exact: 0.75, 0.75 again, then
  // 0.625 (0.875 for latency), which breaches.
  for (auto side : {breach_side::below, breach_side::above}) {
    ewma_threshold_params p;
    p.alpha = 0.5;
    p.threshold = 0.75;
    p.side = side;
    ewma_threshold s{p};
    auto d = s.update(0.75);
    CAF_CHECK_EQUAL(d.statistic, 0.75);
    CAF_CHECK(!d.breach);
    CAF_CHECK_EQUAL(d.state, N);
    CAF_CHECK_EQUAL(s.update(0.75).state, N);
    auto beyond = side == breach_side::below ? 0.5 : 1.0;
    CAF_CHECK_EQUAL(s.update(beyond).state, D);
  }
}

CAF_TEST(warm up holds verdicts back) {
  auto p = seed_params(0.9);
  p.alpha = 1.0; // ewma = last value, to make the table obvious
  p.min_samples = 3;
  ewma_threshold s{p};
  CAF_CHECK_EQUAL(run(s, {0.5, 0.5, 0.5, 0.95, 0.5}),
                  (std::vector<verdict>{N, N, D, N, D}));
  CAF_CHECK(s.last().breach);
}

CAF_TEST(hysteresis needs breaches in a row) {
  auto p = seed_params(0.9);
  p.alpha = 1.0;
  p.consecutive_breaches = 3;
  ewma_threshold s{p};
  CAF_CHECK_EQUAL(run(s, {0.5, 0.5, 0.95, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}),
                  (std::vector<verdict>{W, W, N, W, W, D, W, W, D, W}));
}

CAF_TEST(snapshot and restore resume exactly) {
  auto p = seed_params(0.9);
  p.consecutive_breaches = 2;
  p.min_samples = 2;
  ewma_threshold a{p};
  std::vector<double> xs{0.95, 0.7, 0.6, 0.99, 0.5, 0.4, 0.3, 0.97};
  for (size_t i = 0; i < 3; ++i)
    a.update(xs[i]);
  ewma_threshold b{p};
  CAF_REQUIRE(b.restore(a.snapshot()));
  for (size_t i = 3; i < xs.size(); ++i) {
    auto x = a.update(xs[i]);
    auto y = b.update(xs[i]);
    CAF_CHECK_EQUAL(x.state, y.state);
    CAF_CHECK_EQUAL(x.statistic, y.statistic);
  }
  CAF_CHECK_EQUAL(a.samples(), b.samples());
  CAF_CHECK(!b.restore(strategy_snapshot{"page_hinkley", {1, 2}}));
  CAF_CHECK(!b.restore(strategy_snapshot{"ewma_threshold", {1, 2}}));
}

CAF_TEST(restore refuses values no snapshot can hold) {
  ewma_threshold a{seed_params(0.9)};
  a.update(0.95);
  auto good = a.snapshot().values;
  auto nan = std::numeric_limits<double>::quiet_NaN();
  // ewma, samples, streak, verdict, statistic, breach
  std::vector<std::pair<size_t, double>> bad{
    {0, nan}, {1, -1}, {1, 2.5}, {2, nan}, {3, 7}, {4, INFINITY}, {5, 0.5}};
  for (auto [i, v] : bad) {
    auto values = good;
    values[i] = v;
    ewma_threshold b{seed_params(0.9)};
    CAF_CHECK(!b.restore(strategy_snapshot{"ewma_threshold", values}));
    CAF_CHECK_EQUAL(b.samples(), 0u); // unchanged
  }
  ewma_threshold c{seed_params(0.9)};
  CAF_CHECK(c.restore(strategy_snapshot{"ewma_threshold", good}));
}
