#define CAF_SUITE failure
#include <caf/test/unit_test.hpp>

#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "retrain/core/backtest.hpp"
#include "retrain/core/csv_event.hpp"
#include "retrain/core/expected.hpp"
#include "retrain/core/model_id.hpp"
#include "retrain/core/number.hpp"
#include "retrain/core/semver.hpp"
#include "retrain/core/strategy_factory.hpp"
#include "retrain/core/strategy_spec.hpp"
#include "retrain/metric_kind.hpp"

using namespace retrain;
using namespace retrain::core;

namespace {

// The failure of an `expected`, or no failure.
template <class T>
failure failure_of(const expected<T>& x) {
  return x ? failure{} : x.error();
}

// A strategy built from parameters the test spells correctly.
std::unique_ptr<strategy> must_make(const std::string& name,
                                    const param_map& params) {
  auto result = make_strategy(name, params);
  if (!result)
    CAF_FAIL("cannot make " << name << ": " << result.error().message);
  return std::move(*result);
}

// The failure of backtesting `s` over `in`.
failure backtest_failure(strategy& s, std::istream& in) {
  return failure_of(backtest(s, in));
}

} // namespace

CAF_TEST(no failure is false and has no code) {
  failure none;
  CAF_CHECK(!none);
  CAF_CHECK(none.code == errc::none);
  CAF_CHECK(none.message.empty());
  auto err = fail(errc::invalid_value, "why");
  CAF_CHECK(err);
  CAF_CHECK(err.code == errc::invalid_value);
  CAF_CHECK_EQUAL(err.message, "why");
  expected<int> failed = err;
  CAF_REQUIRE(!failed);
  CAF_CHECK(failed.error().code == errc::invalid_value);
}

CAF_TEST(every code has its name) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < errc_count; ++i)
    names.emplace_back(to_string(static_cast<errc>(i)));
  CAF_CHECK_EQUAL(names, (std::vector<std::string>{
                           "none", "invalid_model_id", "invalid_model_line",
                           "invalid_metric_kind", "invalid_value",
                           "invalid_config", "storage_failure"}));
}

// Each function that can fail, with an input it refuses and the code it
// must refuse it with. The texts are tested beside each function.
CAF_TEST(every failure carries the code of what is wrong) {
  struct {
    const char* what;
    std::function<failure()> run;
    errc code;
  } cases[] = {
    {"parse_model_id", [] { return failure_of(parse_model_id("cv:a")); },
     errc::invalid_model_id},
    {"parse_model_id, bad version",
     [] { return failure_of(parse_model_id("cv:a:1.2")); },
     errc::invalid_model_id},
    {"check_model_id", [] { return check_model_id("CV:a:1.0.0"); },
     errc::invalid_model_id},
    {"parse_model_line", [] { return failure_of(parse_model_line("cv")); },
     errc::invalid_model_line},
    {"parse_semver", [] { return failure_of(parse_semver("1.2")); },
     errc::invalid_value},
    {"parse_decimal", [] { return failure_of(parse_decimal("0x1p-1")); },
     errc::invalid_value},
    {"parse_whole", [] { return failure_of(parse_whole("7", 6)); },
     errc::invalid_value},
    {"check_value, unknown kind",
     [] { return check_value(static_cast<metric_kind>(9), 0.5); },
     errc::invalid_metric_kind},
    {"check_value, out of range",
     [] { return check_value(metric_kind::accuracy, 1.5); },
     errc::invalid_value},
    {"check_outcome", [] { return check_outcome(metric_kind::accuracy, 0.5); },
     errc::invalid_value},
    {"parse_csv_event, fields",
     [] { return failure_of(parse_csv_event("cv:a:1.0.0,accuracy")); },
     errc::invalid_value},
    {"parse_csv_event, model id",
     [] { return failure_of(parse_csv_event("cv:a,accuracy,0.5")); },
     errc::invalid_model_id},
    {"parse_csv_event, kind",
     [] { return failure_of(parse_csv_event("cv:a:1.0.0,acc,0.5")); },
     errc::invalid_metric_kind},
    {"parse_csv_event, value",
     [] { return failure_of(parse_csv_event("cv:a:1.0.0,accuracy,x")); },
     errc::invalid_value},
    {"parse_event_fields, time",
     [] {
       return failure_of(
         parse_event_fields("cv:a:1.0.0", "accuracy", "0.5", "-1"));
     },
     errc::invalid_value},
    {"parse_strategy_spec",
     [] { return failure_of(parse_strategy_spec("ddm warm_start")); },
     errc::invalid_config},
    {"make_strategy, name", [] { return failure_of(make_strategy("x", {})); },
     errc::invalid_config},
    {"make_strategy, required parameter",
     [] { return failure_of(make_strategy("ewma_threshold", {})); },
     errc::invalid_config},
    {"make_strategy, unknown parameter",
     [] {
       return failure_of(make_strategy("ddm", {{"x", "1"}}));
     },
     errc::invalid_config},
    {"make_strategy, value",
     [] {
       return failure_of(make_strategy("adwin", {{"delta", "2"}}));
     },
     errc::invalid_config},
    {"make_strategy, parameters that disagree",
     [] {
       return failure_of(
         make_strategy("eddm", {{"alpha", "0.5"}, {"beta", "0.9"}}));
     },
     errc::invalid_config},
    {"strategy::check",
     [] {
       auto inf = std::numeric_limits<double>::infinity();
       return must_make("ewma_threshold", {{"threshold", "0.9"}})->check(inf);
     },
     errc::invalid_value},
    {"binary strategy check", [] { return must_make("ddm", {})->check(0.5); },
     errc::invalid_value},
    {"backtest, line",
     [] {
       auto s = must_make("ddm", {});
       std::istringstream in{"0\n0.5\n"};
       return backtest_failure(*s, in);
     },
     errc::invalid_value},
    {"backtest, number",
     [] {
       auto s = must_make("ddm", {});
       std::istringstream in{"nan\n"};
       return backtest_failure(*s, in);
     },
     errc::invalid_value},
    {"backtest, read error",
     [] {
       auto s = must_make("ddm", {});
       std::istringstream in{"0\n"};
       in.setstate(std::ios::badbit);
       return backtest_failure(*s, in);
     },
     errc::storage_failure},
  };
  for (auto& c : cases) {
    CAF_MESSAGE(c.what);
    auto err = c.run();
    CAF_CHECK(err);
    CAF_CHECK_EQUAL(to_string(err.code), to_string(c.code));
    CAF_CHECK(!err.message.empty());
  }
}

CAF_TEST(context added to a failure keeps its code) {
  auto err = failure_of(parse_csv_event("cv:a:1.0.0,accuracy,1e999"));
  CAF_CHECK(err.code == errc::invalid_value);
  CAF_CHECK_EQUAL(err.message, "value '1e999' is out of range");
  auto s = must_make("ddm", {});
  std::istringstream in{"1\n\n0.5\n"};
  err = backtest_failure(*s, in);
  CAF_CHECK(err.code == errc::invalid_value);
  CAF_CHECK_EQUAL(err.message.rfind("line 3: value 0.5 is not 0 or 1", 0), 0u);
}
