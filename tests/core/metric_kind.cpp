#define CAF_SUITE metric_kind
#include <caf/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "retrain/metric_kind.hpp"

using namespace retrain;

namespace {

std::string error_of(metric_kind kind, double value) {
  auto err = check_value(kind, value);
  return err ? err.message : std::string{"ok"};
}

} // namespace

CAF_TEST(names round trip) {
  for (auto name :
       {"accuracy", "precision", "recall", "f1_score", "latency_ms"}) {
    auto kind = parse_metric_kind(name);
    CAF_REQUIRE(kind);
    CAF_CHECK_EQUAL(to_string(*kind), name);
  }
  CAF_CHECK(!parse_metric_kind("latency"));
  CAF_CHECK(!parse_metric_kind("Accuracy"));
  CAF_CHECK(!parse_metric_kind(""));
}

CAF_TEST(direction) {
  CAF_CHECK(higher_is_better(metric_kind::accuracy));
  CAF_CHECK(higher_is_better(metric_kind::f1_score));
  CAF_CHECK(!higher_is_better(metric_kind::latency_ms));
}

CAF_TEST(value validation) {
  auto nan = std::numeric_limits<double>::quiet_NaN();
  auto inf = std::numeric_limits<double>::infinity();
  CAF_CHECK(!check_value(metric_kind::accuracy, 0.0));
  CAF_CHECK(!check_value(metric_kind::accuracy, 1.0));
  CAF_CHECK(!check_value(metric_kind::latency_ms, 0.0));
  CAF_CHECK(!check_value(metric_kind::latency_ms, 12345.5));
  CAF_CHECK_EQUAL(error_of(metric_kind::accuracy, nan),
                  "accuracy value nan is not finite");
  CAF_CHECK_EQUAL(error_of(metric_kind::recall, 1.5),
                  "recall value 1.5 is outside [0, 1]");
  CAF_CHECK_EQUAL(error_of(metric_kind::precision, -0.1),
                  "precision value -0.1 is outside [0, 1]");
  CAF_CHECK_EQUAL(error_of(metric_kind::latency_ms, -3),
                  "latency_ms value -3 is negative");
  CAF_CHECK_EQUAL(error_of(metric_kind::latency_ms, inf),
                  "latency_ms value inf is not finite");
  CAF_CHECK_EQUAL(error_of(static_cast<metric_kind>(9), 0.5),
                  "unknown metric kind 9 (known: accuracy, precision, recall, "
                  "f1_score, latency_ms)");
}

CAF_TEST(the bounds are exact) {
  // The nearest doubles outside [0, 1] are refused, for every quality kind;
  // latency takes any non-negative value.
  auto above_one = std::nextafter(1.0, 2.0);
  auto below_zero = std::nextafter(0.0, -1.0);
  for (auto kind : {metric_kind::accuracy, metric_kind::precision,
                    metric_kind::recall, metric_kind::f1_score}) {
    CAF_CHECK(check_value(kind, above_one));
    CAF_CHECK(check_value(kind, below_zero));
    CAF_CHECK(!check_value(kind, std::nextafter(1.0, 0.0)));
  }
  CAF_CHECK(!check_value(metric_kind::latency_ms, above_one));
  CAF_CHECK(check_value(metric_kind::latency_ms, below_zero));
}

CAF_TEST(per prediction outcomes and their error indicator) {
  CAF_CHECK(!check_outcome(metric_kind::accuracy, 0.0));
  CAF_CHECK(!check_outcome(metric_kind::accuracy, 1.0));
  CAF_CHECK_EQUAL(check_outcome(metric_kind::accuracy, 0.5).message,
                  "accuracy is watched by a per-prediction strategy: value "
                  "must be 0 or 1 (1 = correct)");
  CAF_CHECK_EQUAL(check_outcome(metric_kind::latency_ms, 2.0).message,
                  "latency_ms is watched by a per-prediction strategy: value "
                  "must be 0 or 1 (1 = too slow)");
  // Detectors count errors: a correct prediction is 0, a slow answer 1.
  CAF_CHECK_EQUAL(error_indicator(metric_kind::accuracy, 1.0), 0.0);
  CAF_CHECK_EQUAL(error_indicator(metric_kind::f1_score, 0.0), 1.0);
  CAF_CHECK_EQUAL(error_indicator(metric_kind::latency_ms, 1.0), 1.0);
}
