#define CAF_SUITE detector_cases
#include <caf/test/unit_test.hpp>

// Small cases at non-default parameters, worked out by hand from the
// definitions (the arithmetic is in the comments).

#include <cmath>
#include <vector>

#include "retrain/core/adwin.hpp"
#include "retrain/core/ddm.hpp"
#include "retrain/core/eddm.hpp"
#include "retrain/core/hddm_a.hpp"
#include "retrain/core/hddm_w.hpp"
#include "retrain/core/page_hinkley.hpp"

using namespace retrain::core;

namespace {

constexpr auto N = verdict::none;
constexpr auto W = verdict::warning;
constexpr auto D = verdict::drift;

std::vector<verdict> run(strategy& s, const std::vector<double>& xs) {
  std::vector<verdict> result;
  for (auto x : xs)
    result.push_back(s.update(x).state);
  return result;
}

page_hinkley_params plain_ph(page_hinkley_mode mode) {
  // No fading, no tolerance, threshold 1, verdicts from the first value.
  page_hinkley_params p;
  p.min_instances = 1;
  p.delta = 0.0;
  p.threshold = 1.0;
  p.alpha = 1.0;
  p.mode = mode;
  return p;
}

} // namespace

CAF_TEST(page hinkley up) {
  // Means 0, 0, 0, 0.75; deviations 0, 0, 0, 2.25. The increase sum reaches
  // 2.25 over its minimum 0: above 1, drift. The next update starts afresh.
  page_hinkley s{plain_ph(page_hinkley_mode::up)};
  CAF_CHECK_EQUAL(run(s, {0, 0, 0, 3}), (std::vector<verdict>{N, N, N, D}));
  CAF_CHECK_EQUAL(s.last().statistic, 2.25);
  CAF_CHECK_EQUAL(s.last().threshold, 1.0);
  CAF_CHECK_EQUAL(s.samples(), 4u);
  CAF_CHECK_EQUAL(s.update(3).state, N);
  CAF_CHECK_EQUAL(s.samples(), 1u);
  CAF_CHECK_EQUAL(s.last().statistic, 0.0);
  // Looking only down, the same rise is no change.
  page_hinkley down{plain_ph(page_hinkley_mode::down)};
  CAF_CHECK_EQUAL(run(down, {0, 0, 0, 3}), (std::vector<verdict>{N, N, N, N}));
}

CAF_TEST(page hinkley down and both) {
  // Means 3, 3, 3, 2.25: deviation -2.25, the decrease sum falls 2.25 under
  // its maximum 0.
  for (auto mode : {page_hinkley_mode::down, page_hinkley_mode::both}) {
    page_hinkley s{plain_ph(mode)};
    CAF_CHECK_EQUAL(run(s, {3, 3, 3, 0}), (std::vector<verdict>{N, N, N, D}));
  }
  page_hinkley up{plain_ph(page_hinkley_mode::up)};
  CAF_CHECK_EQUAL(run(up, {3, 3, 3, 0}), (std::vector<verdict>{N, N, N, N}));
}

CAF_TEST(page hinkley waits for min instances) {
  auto p = plain_ph(page_hinkley_mode::both);
  p.min_instances = 5;
  page_hinkley s{p};
  // Same breach at the 4th value, but only the 5th may report it: the
  // 5th value 3 gives mean 1.2, deviation 1.8, increase sum 4.05.
  CAF_CHECK_EQUAL(run(s, {0, 0, 0, 3, 3}),
                  (std::vector<verdict>{N, N, N, N, D}));
  CAF_CHECK_EQUAL(s.last().statistic, 2.25 + 1.8);
}

CAF_TEST(page hinkley needs the test value above the threshold) {
  // Values 0, 2: means 0, 1; deviations 0, 1. The increase sum reaches 1
  // over its minimum 0, exactly the threshold: no drift (River tests `>`).
  // A third 2: mean 4/3, deviation 2/3, test 5/3: drift.
  page_hinkley s{plain_ph(page_hinkley_mode::both)};
  CAF_CHECK_EQUAL(run(s, {0, 2}), (std::vector<verdict>{N, N}));
  CAF_CHECK_EQUAL(s.last().statistic, 1.0);
  CAF_CHECK(!s.last().breach);
  CAF_CHECK_EQUAL(s.update(2).state, D);
}

CAF_TEST(page hinkley fades the sums) {
  // alpha = 0.5, delta = 0.1, threshold 0.5, up: values 0, 1.
  // 1st: mean 0, dev 0, sum = -0.1 (the minimum).
  // 2nd: mean 0.5, dev 0.5, sum = 0.5 * -0.1 + 0.5 - 0.1 = 0.35;
  // test 0.35 - (-0.1) = 0.45, not above 0.5.
  // 3rd (1): mean 2/3, dev 1/3, sum = 0.175 + 1/3 - 0.1 = 0.4083;
  // test 0.5083: drift.
  page_hinkley_params p;
  p.min_instances = 1;
  p.delta = 0.1;
  p.threshold = 0.5;
  p.alpha = 0.5;
  p.mode = page_hinkley_mode::up;
  page_hinkley s{p};
  CAF_CHECK_EQUAL(run(s, {0, 1, 1}), (std::vector<verdict>{N, N, D}));
  CAF_CHECK_LESS(std::fabs(s.last().statistic - (0.175 + 1.0 / 3 - 0.1 + 0.1)),
                 1e-12);
}

CAF_TEST(page hinkley tolerates delta on the way down too) {
  // alpha = 1, delta = 0.1, threshold 0.5, down: values 1, 0, 0.
  // 1st: mean 1, dev 0, decrease sum = 0 + 0.1 = 0.1 (the maximum).
  // 2nd: mean 0.5, dev -0.5, sum = 0.1 - 0.5 + 0.1 = -0.3; test 0.4.
  // 3rd: mean 1/3, dev -1/3, sum = -0.3 - 1/3 + 0.1 = -0.5333; test
  // 0.6333: drift.
  page_hinkley_params p;
  p.min_instances = 1;
  p.delta = 0.1;
  p.threshold = 0.5;
  p.alpha = 1.0;
  p.mode = page_hinkley_mode::down;
  page_hinkley s{p};
  CAF_CHECK_EQUAL(run(s, {1, 0, 0}), (std::vector<verdict>{N, N, D}));
  CAF_CHECK_LESS(std::fabs(s.last().statistic - (0.1 + 0.3 + 1.0 / 3 - 0.1)),
                 1e-12);
}

CAF_TEST(adwin keeps an exponential histogram) {
  // max_buckets 5: the 6th value merges the two oldest into a bucket of 2,
  // every 2 more values another; the 16th makes the 6th bucket of 2, whose
  // two oldest merge into a bucket of 4.
  adwin s;
  for (int i = 1; i <= 5; ++i)
    s.update(i);
  CAF_CHECK_EQUAL(s.levels(), 1u);
  s.update(6);
  CAF_CHECK_EQUAL(s.levels(), 2u);
  for (int i = 7; i <= 15; ++i)
    s.update(i);
  CAF_CHECK_EQUAL(s.levels(), 2u);
  s.update(16);
  CAF_CHECK_EQUAL(s.levels(), 3u);
  CAF_CHECK_EQUAL(s.width(), 16.0);
  CAF_CHECK_EQUAL(s.total(), 136.0);
  CAF_CHECK_EQUAL(s.estimation(), 8.5);
  // Sum of squared deviations of 1..16 from 8.5: 16 * (16^2 - 1) / 12.
  CAF_CHECK_LESS(std::fabs(s.variance() - 340.0), 1e-9);
}

CAF_TEST(adwin ignores a single outlier) {
  // clock 1: ten zeros, then 100. The window (buckets 2,2,2 | 1,1,1,1,1)
  // has one cut with both parts >= 5 values: 6 zeros | 4 zeros and 100.
  // |mean difference| = 20; variance / width = 9090.9 / 11 = 826.4,
  // delta' = ln(2 ln 11 / 0.002) = 7.78, m = 1/2 + 1/1 = 1.5,
  // epsilon = sqrt(2 * 1.5 * 826.4 * 7.78) + 2/3 * 7.78 * 1.5 = 146.7 > 20.
  adwin_params p;
  p.clock = 1;
  adwin s{p};
  for (int i = 0; i < 10; ++i)
    s.update(0.0);
  CAF_CHECK_EQUAL(s.update(100.0).state, N);
  CAF_CHECK_EQUAL(s.width(), 11.0);
}

CAF_TEST(adwin cuts where a part has exactly min window length values) {
  // clock 1, min_window_length 1: twenty zeros, then 1000. Only the cut
  // that leaves the 1000 alone (20 | 1) finds the change: |mean
  // difference| = 1000; variance / width = (20 * 1000^2 / 21) / 21 =
  // 45351, delta' = ln(2 ln 21 / 0.002) = 8.02, m = 1/20 + 1/1 = 1.05,
  // epsilon = sqrt(2 * 1.05 * 45351 * 8.02) + 2/3 * 8.02 * 1.05 = 880.
  // (20 zeros | 1000 alone and 19 | 0, 1000: 500 < 637, and so on.)
  adwin_params p;
  p.clock = 1;
  p.min_window_length = 1;
  adwin s{p};
  for (int i = 0; i < 20; ++i)
    CAF_CHECK_EQUAL(s.update(0.0).state, N);
  CAF_CHECK_EQUAL(s.update(1000.0).state, D);
  CAF_CHECK_EQUAL(s.last().statistic, 1000.0);
}

CAF_TEST(adwin drops the old part of the window on a shift) {
  // River's regression cases: a large shift is found, after which the next
  // update starts from an empty window; nothing is checked during the
  // grace period.
  adwin_params p;
  p.clock = 1;
  adwin s{p};
  for (int i = 0; i < 500; ++i)
    CAF_CHECK_EQUAL(s.update(0.0).state, N);
  int at = -1;
  for (int i = 0; i < 500 && at < 0; ++i)
    if (s.update(100.0).state == D)
      at = i;
  CAF_CHECK_GREATER_OR_EQUAL(at, 0);
  CAF_CHECK_GREATER(s.last().statistic, s.last().threshold);
  CAF_CHECK_LESS(s.width(), 505.0);
  s.update(50.0);
  CAF_CHECK_EQUAL(s.width(), 1.0);
  CAF_CHECK_EQUAL(s.samples(), 1u);
  p.grace_period = 100;
  adwin patient{p};
  for (int i = 0; i < 50; ++i)
    patient.update(0.0);
  for (int i = 0; i < 50; ++i)
    CAF_CHECK_EQUAL(patient.update(1000.0).state, N);
}

CAF_TEST(ddm at lower thresholds) {
  // warm_start 2, warning 1, drift 2 standard deviations.
  // n=3: p=1/3, s=sqrt(2/27)=0.2722, p+s=0.6055 is the minimum; equal to
  //      p_min + 1 * s_min, so no warning.
  // n=4: p=0.5, s=0.25, p+s=0.75 > 0.6055: warning; < 0.3333 + 2 * 0.2722
  //      = 0.8777: no drift.
  // n=5: p+s = 0.6 + 0.2191 = 0.8191: warning.
  // n=6: p+s = 0.6667 + 0.1925 = 0.8591: warning.
  // n=7: p+s = 0.7143 + 0.1707 = 0.8850 > 0.8777: drift.
  ddm_params p;
  p.warm_start = 2;
  p.warning_threshold = 1.0;
  p.drift_threshold = 2.0;
  ddm s{p};
  CAF_CHECK_EQUAL(run(s, {0, 1, 0, 1, 1, 1, 1}),
                  (std::vector<verdict>{N, N, N, W, W, W, D}));
  CAF_CHECK_LESS(
    std::fabs(s.last().threshold - (1.0 / 3 + 2 * std::sqrt(2.0 / 27))), 1e-12);
  CAF_CHECK_EQUAL(s.update(0).state, N);
  CAF_CHECK_EQUAL(s.samples(), 1u);
}

CAF_TEST(eddm at a short warm start) {
  // warm_start 1. Errors at n = 1, 3, 6, 7, 9: distances 1, 2, 3, 1, 2.
  // n=3: mean 1.5, sd 0.7071, p' + 2s' = 2.9142: the first maximum.
  // n=6: mean 2, sd 1, 4: a new maximum.
  // n=7: mean 1.75, sd 0.9574, 3.6649: level 0.9162 in [0.9, 0.95): warning.
  // n=8: no error, the warning stands (as in River).
  // n=9: mean 1.8, sd 0.8367, 3.4733: level 0.8683 < 0.9: drift.
  eddm_params p;
  p.warm_start = 1;
  eddm s{p};
  CAF_CHECK_EQUAL(run(s, {1, 0, 1, 0, 0, 1, 1, 0, 1}),
                  (std::vector<verdict>{N, N, N, N, N, N, W, W, D}));
  CAF_CHECK_LESS(
    std::fabs(s.last().statistic - (1.8 + 2 * std::sqrt(0.7)) / 4.0), 1e-12);
  CAF_CHECK_EQUAL(s.last().threshold, 0.9);
}

CAF_TEST(eddm drifts under beta and not on it) {
  // The stream above, with beta exactly the level at n=9 as the detector
  // computes it (taken from a first run): level == beta is no drift (River
  // tests `<`), but under alpha a warning.
  std::vector<double> xs{1, 0, 1, 0, 0, 1, 1, 0, 1};
  eddm_params p;
  p.warm_start = 1;
  eddm probe{p};
  run(probe, xs);
  p.beta = probe.last().statistic;
  CAF_REQUIRE_LESS(p.beta, 0.9);
  eddm s{p};
  CAF_CHECK_EQUAL(run(s, xs),
                  (std::vector<verdict>{N, N, N, N, N, N, W, W, W}));
  CAF_CHECK_EQUAL(s.last().statistic, s.last().threshold);
}

CAF_TEST(hddm_a one and two sided) {
  // 50 zeros keep the cut point on the global mean. Then ones:
  // the cut point stays at n=50, mean 0; after k ones the mean is
  // k / (50 + k) and the bound sqrt(k / (50 (50 + k)) / 2 * ln(2 / c)).
  // k=4: 0.0741 >= 0.0666 (warning, c = 0.005) but < 0.0750 (drift);
  // k=5: 0.0909 >= 0.0831: drift.
  std::vector<double> rise(50, 0.0);
  rise.insert(rise.end(), 5, 1.0);
  std::vector<verdict> expected(53, N);
  expected.push_back(W);
  expected.push_back(D);
  hddm_a one_sided;
  CAF_CHECK_EQUAL(run(one_sided, rise), expected);
  // The mirror image is a fall: only the two-sided test sees it.
  std::vector<double> fall(50, 1.0);
  fall.insert(fall.end(), 5, 0.0);
  hddm_a blind;
  CAF_CHECK_EQUAL(run(blind, fall), std::vector<verdict>(55, N));
  hddm_a_params p;
  p.two_sided_test = true;
  hddm_a both{p};
  CAF_CHECK_EQUAL(run(both, fall), expected);
}

CAF_TEST(hddm_w with lambda one) {
  // lambda 1: each average is the last outcome, every ibc is 1, the bound
  // for two samples is sqrt(ln(1 / c)). drift_confidence 0.5: 0.8326;
  // the cut point moves while ewma + sqrt(ln 2 / 2) falls.
  // 0, 0, 1: the average since the cut point rises 0 -> 1 > 0.8326: drift.
  hddm_w_params p;
  p.lambda_val = 1.0;
  p.drift_confidence = 0.5;
  p.warning_confidence = 0.9;
  hddm_w s{p};
  CAF_CHECK_EQUAL(run(s, {0, 0, 1}), (std::vector<verdict>{N, N, D}));
  CAF_CHECK_LESS(std::fabs(s.last().threshold - std::sqrt(std::log(2.0))),
                 1e-12);
  // drift_confidence 0.3 (bound 1.097, out of reach), warning_confidence
  // 0.5 (0.8326): the same rise is a warning, the drop after it clears it.
  p.drift_confidence = 0.3;
  p.warning_confidence = 0.5;
  hddm_w w{p};
  CAF_CHECK_EQUAL(run(w, {0, 0, 1, 0, 1}),
                  (std::vector<verdict>{N, N, W, N, W}));
  // A fall 1, 1, 0 counts only with the two-sided test.
  p.drift_confidence = 0.5;
  p.warning_confidence = 0.9;
  hddm_w blind{p};
  CAF_CHECK_EQUAL(run(blind, {1, 1, 0}), (std::vector<verdict>{N, N, N}));
  p.two_sided_test = true;
  hddm_w both{p};
  CAF_CHECK_EQUAL(run(both, {1, 1, 0}), (std::vector<verdict>{N, N, D}));
}

CAF_TEST(hddm_w restarts an average that is exactly 0) {
  // lambda 0.5, drift_confidence 0.25. As River's EWMean, an average that
  // is exactly 0 takes the next value as it is (not half of it).
  // 1st (0): every average 0, ibc 0.25 + 0.25 * 1 = 0.5; the cut point is
  // here.
  // 2nd (1): the average since the cut restarts at 1 (ibc 0.5): a rise of
  // 1 over the cut's 0, above sqrt((0.5 + 0.5) ln(4) / 2) = 0.8326: drift.
  // Blended (0.5) it would stay under.
  hddm_w_params p;
  p.lambda_val = 0.5;
  p.drift_confidence = 0.25;
  hddm_w s{p};
  CAF_CHECK_EQUAL(run(s, {0, 1}), (std::vector<verdict>{N, D}));
  CAF_CHECK_EQUAL(s.last().statistic, 1.0);
  CAF_CHECK_LESS(std::fabs(s.last().threshold - std::sqrt(std::log(2.0))),
                 1e-12);
}
