#define CAF_SUITE detectors
#include <caf/test/unit_test.hpp>

// Properties every change detector shares, checked through the factory:
// constant and single inputs, refused inputs, long streams in bounded
// memory, snapshots that resume exactly, refused parameters.

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "detector_streams.hpp"
#include "retrain/core/adwin.hpp"
#include "retrain/core/strategy_factory.hpp"

using namespace retrain::core;
using namespace retrain::test;

namespace {

const std::vector<std::string> detector_names = {
  "page_hinkley", "adwin", "ddm", "eddm", "hddm_a", "hddm_w",
};

std::unique_ptr<strategy> make(const std::string& name,
                               const param_map& params = {}) {
  auto result = make_strategy(name, params);
  if (!result) {
    CAF_FAIL(result.error().message);
  }
  return std::move(*result);
}

std::string error_of(const std::string& name, const param_map& params) {
  auto result = make_strategy(name, params);
  return result ? std::string{"ok"} : result.error().message;
}

bool same(const detection& x, const detection& y) {
  // Bit for bit, NaN included.
  auto eq = [](double a, double b) {
    return a == b || (std::isnan(a) && std::isnan(b));
  };
  return x.state == y.state && eq(x.statistic, y.statistic)
         && eq(x.threshold, y.threshold) && x.breach == y.breach;
}

} // namespace

CAF_TEST(the factory lists every detector with its kind of input) {
  for (auto& name : detector_names) {
    auto info = find_strategy(name);
    CAF_REQUIRE(info != nullptr);
    auto s = make(name);
    CAF_CHECK_EQUAL(s->name(), name);
    CAF_CHECK_EQUAL(s->binary(), info->binary);
    CAF_CHECK_EQUAL(s->samples(), 0u);
  }
  CAF_CHECK(!make("page_hinkley")->binary());
  CAF_CHECK(!make("adwin")->binary());
  CAF_CHECK(make("ddm")->binary());
  CAF_CHECK(make("hddm_w")->binary());
}

CAF_TEST(constant input never drifts) {
  for (auto& name : detector_names) {
    CAF_MESSAGE(name);
    auto constants = make(name)->binary()
                       ? std::vector<double>{0.0, 1.0}
                       : std::vector<double>{0.0, 0.75, -3.0, 1e6};
    for (auto c : constants) {
      auto s = make(name);
      uint64_t flagged = 0;
      for (int i = 0; i < 20'000; ++i)
        flagged += s->update(c).state != verdict::none ? 1 : 0;
      CAF_CHECK_EQUAL(flagged, 0u);
      CAF_CHECK_EQUAL(s->samples(), 20'000u);
    }
  }
}

CAF_TEST(a single value gives no verdict) {
  for (auto& name : detector_names) {
    CAF_MESSAGE(name);
    auto s = make(name);
    auto result = s->update(1.0);
    CAF_CHECK_EQUAL(result.state, verdict::none);
    CAF_CHECK_EQUAL(s->samples(), 1u);
    CAF_CHECK(same(s->last(), result));
  }
}

CAF_TEST(check refuses what the detector cannot take) {
  auto nan = std::numeric_limits<double>::quiet_NaN();
  auto inf = std::numeric_limits<double>::infinity();
  for (auto& name : detector_names) {
    CAF_MESSAGE(name);
    auto s = make(name);
    CAF_CHECK(s->check(nan));
    CAF_CHECK(s->check(inf));
    CAF_CHECK(!s->check(0.0));
    CAF_CHECK(!s->check(1.0));
    if (s->binary()) {
      auto err = s->check(0.5);
      CAF_REQUIRE(err);
      CAF_CHECK(err.code == errc::invalid_value);
      CAF_CHECK_EQUAL(err.message, "value 0.5 is not 0 or 1: " + name
                                     + " takes one outcome per prediction (1 "
                                       "= error, 0 = correct)");
      CAF_CHECK(s->check(2.0));
      CAF_CHECK(s->check(-1.0));
      auto nan_err = s->check(nan);
      CAF_REQUIRE(nan_err);
      CAF_CHECK_NOT_EQUAL(nan_err.message.find("is not 0 or 1"),
                          std::string::npos);
    } else {
      CAF_CHECK(!s->check(0.5));
      CAF_CHECK(!s->check(-42.0));
      auto nan_err = s->check(nan);
      CAF_REQUIRE(nan_err);
      CAF_CHECK(nan_err.code == errc::invalid_value);
      CAF_CHECK_EQUAL(nan_err.message, "value nan is not finite");
    }
  }
}

CAF_TEST(ten million updates stay within the memory bound) {
  // River-like input that changes every 250k values, so each detector also
  // goes through many drifts and resets.
  constexpr uint64_t n = 10'000'000;
  for (auto& name : detector_names) {
    CAF_MESSAGE(name);
    auto s = make(name);
    stream_rng rng{42};
    uint64_t drifts = 0;
    for (uint64_t i = 0; i < n; ++i)
      drifts += s->update(river_like(*s, rng, i, 250'000)).state
                    == verdict::drift
                  ? 1
                  : 0;
    CAF_CHECK_GREATER(drifts, 0u);
    CAF_CHECK_LESS_OR_EQUAL(s->memory_bound(), 8192u);
    if (auto a = dynamic_cast<adwin*>(s.get()))
      CAF_CHECK_LESS_OR_EQUAL(a->memory_used(), a->memory_bound());
  }
}

CAF_TEST(adwin keeps a logarithmic number of buckets) {
  // A constant stream never drifts, so the window holds all 10 million
  // values: 2^21 < 10^7 / 5 < 2^22.
  adwin s;
  for (uint64_t i = 0; i < 10'000'000; ++i)
    s.update(0.5);
  CAF_CHECK_EQUAL(s.width(), 10'000'000.0);
  CAF_CHECK_LESS_OR_EQUAL(s.levels(), 23u);
  CAF_CHECK_GREATER_OR_EQUAL(s.levels(), 20u);
  CAF_CHECK_LESS_OR_EQUAL(s.memory_used(), s.memory_bound());
  CAF_CHECK_EQUAL(s.estimation(), 0.5);
}

CAF_TEST(snapshot and restore resume exactly) {
  for (auto& name : detector_names) {
    CAF_MESSAGE(name);
    auto a = make(name);
    stream_rng rng{7};
    std::vector<double> xs;
    for (uint64_t i = 0; i < 6000; ++i)
      xs.push_back(river_like(*a, rng, i, 1000));
    // Snapshot at every point where the next update matters most: right
    // after a drift (the next update must reset) and at a few fixed points.
    std::vector<size_t> cuts{0, 1, 1500, 4000};
    {
      auto probe = make(name);
      for (size_t i = 0; i < xs.size(); ++i)
        if (probe->update(xs[i]).state == verdict::drift) {
          cuts.push_back(i + 1);
          break;
        }
    }
    CAF_CHECK_EQUAL(cuts.size(), 5u);
    for (auto cut : cuts) {
      auto x = make(name);
      for (size_t i = 0; i < cut; ++i)
        x->update(xs[i]);
      auto y = make(name);
      CAF_REQUIRE(y->restore(x->snapshot()));
      CAF_CHECK_EQUAL(y->samples(), x->samples());
      CAF_CHECK(same(y->last(), x->last()));
      size_t mismatches = 0;
      for (size_t i = cut; i < xs.size(); ++i)
        mismatches += same(x->update(xs[i]), y->update(xs[i])) ? 0 : 1;
      CAF_CHECK_EQUAL(mismatches, 0u);
      CAF_CHECK_EQUAL(y->samples(), x->samples());
      if (auto a = dynamic_cast<adwin*>(y.get()))
        CAF_CHECK_LESS_OR_EQUAL(a->memory_used(), a->memory_bound());
    }
  }
}

CAF_TEST(restore refuses snapshots that do not fit) {
  for (auto& name : detector_names) {
    CAF_MESSAGE(name);
    auto s = make(name);
    for (int i = 0; i < 100; ++i)
      s->update(i % 3 == 0 ? 1.0 : 0.0);
    auto good = s->snapshot();
    CAF_CHECK_EQUAL(good.strategy, name);
    auto other = make(name);
    auto before = other->snapshot().values;
    // Another strategy's snapshot.
    auto wrong_name = good;
    wrong_name.strategy = name == "adwin" ? "ddm" : "adwin";
    CAF_CHECK(!other->restore(wrong_name));
    // Truncated, or with a value too many.
    auto truncated = good;
    truncated.values.pop_back();
    CAF_CHECK(!other->restore(truncated));
    auto extended = good;
    extended.values.push_back(0.0);
    CAF_CHECK(!other->restore(extended));
    // A counter that is not a count (samples is the first state value
    // after the parameters; corrupt every value in turn instead of relying
    // on the layout and make sure nothing crashes).
    for (size_t i = 0; i < good.values.size(); ++i) {
      auto corrupt = good;
      corrupt.values[i] = -0.5;
      other->restore(corrupt);
      auto fresh = make(name);
      CAF_CHECK(fresh->restore(good));
    }
    // Taken with other parameters.
    auto first = std::string{find_strategy(name)->params.front().name};
    auto tweaked = make(
      name,
      {{first,
        first == "min_instances" || first == "warm_start" ? "12" : "0.01"}});
    CAF_CHECK(!tweaked->restore(good));
    // Nothing changed by the refusals.
    auto untouched = make(name);
    CAF_CHECK(!untouched->restore(truncated));
    CAF_CHECK_EQUAL(untouched->snapshot().values, before);
  }
}

CAF_TEST(bad parameters are refused with the parameter named) {
  CAF_CHECK_EQUAL(error_of("page_hinkley", {{"mode", "sideways"}}),
                  "page_hinkley: parameter mode='sideways' is not one of up, "
                  "down, both");
  CAF_CHECK_EQUAL(error_of("page_hinkley", {{"threshold", "0"}}),
                  "page_hinkley: parameter threshold=0 must be greater than "
                  "0");
  CAF_CHECK_EQUAL(error_of("page_hinkley", {{"alpha", "1.5"}}),
                  "page_hinkley: parameter alpha=1.5 is outside [0, 1]");
  CAF_CHECK_EQUAL(error_of("adwin", {{"delta", "0"}}),
                  "adwin: parameter delta=0 must be greater than 0");
  CAF_CHECK_EQUAL(error_of("adwin", {{"clock", "0"}}),
                  "adwin: parameter clock=0 is outside [1, 1000000000]");
  CAF_CHECK_EQUAL(error_of("adwin", {{"max_buckets", "1"}}),
                  "adwin: parameter max_buckets=1 is outside [2, 1000]");
  CAF_CHECK_EQUAL(error_of("adwin", {{"grace_period", "ten"}}),
                  "adwin: parameter grace_period='ten' is not a whole number");
  CAF_CHECK_EQUAL(error_of("ddm", {{"warm_start", "-3"}}),
                  "ddm: parameter warm_start='-3' is not a whole number");
  CAF_CHECK_EQUAL(error_of("ddm", {{"drift_threshold", "nan"}}),
                  "ddm: parameter drift_threshold='nan' is not a finite "
                  "number");
  CAF_CHECK_EQUAL(error_of("eddm", {{"alpha", "0.8"}}),
                  "eddm: parameter alpha=0.8 must be greater than or equal "
                  "to beta=0.9");
  CAF_CHECK_EQUAL(error_of("eddm", {{"beta", "1.2"}}),
                  "eddm: parameter beta=1.2 is outside [0, 1]");
  CAF_CHECK_EQUAL(error_of("eddm", {{"alpha", "0.9"}, {"beta", "0.9"}}), "ok");
  CAF_CHECK_EQUAL(error_of("hddm_a", {{"two_sided_test", "yes"}}),
                  "hddm_a: parameter two_sided_test='yes' is not one of "
                  "false, true");
  CAF_CHECK_EQUAL(error_of("hddm_a", {{"drift_confidence", "0"}}),
                  "hddm_a: parameter drift_confidence=0 must be greater than "
                  "0");
  CAF_CHECK_EQUAL(error_of("hddm_w", {{"lambda_val", "2"}}),
                  "hddm_w: parameter lambda_val=2 is outside [0, 1]");
  CAF_CHECK_EQUAL(error_of("hddm_w", {{"lambda", "0.1"}}),
                  "hddm_w: unknown parameter 'lambda' (known: "
                  "drift_confidence, warning_confidence, lambda_val, "
                  "two_sided_test)");
  // Every documented default is accepted as written.
  for (auto& name : detector_names) {
    param_map defaults;
    for (auto& p : find_strategy(name)->params)
      defaults.emplace(std::string{p.name}, std::string{p.default_value});
    CAF_CHECK_EQUAL(error_of(name, defaults), "ok");
  }
}
