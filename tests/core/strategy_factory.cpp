#define CAF_SUITE strategy_factory
#include <caf/test/unit_test.hpp>

#include "retrain/core/ewma_threshold.hpp"
#include "retrain/core/strategy_factory.hpp"

using namespace retrain::core;

namespace {

std::string error_of(std::string_view name, const param_map& params) {
  auto result = make_strategy(name, params);
  return result ? std::string{"ok"} : result.error().message;
}

} // namespace

CAF_TEST(ewma threshold from parameters) {
  auto s = make_strategy("ewma_threshold", {{"alpha", "0.5"},
                                            {"threshold", "100"},
                                            {"direction", "above"},
                                            {"consecutive_breaches", "2"}});
  CAF_REQUIRE(s);
  auto& e = dynamic_cast<ewma_threshold&>(**s);
  CAF_CHECK_EQUAL(e.params().alpha, 0.5);
  CAF_CHECK_EQUAL(e.params().threshold, 100.0);
  CAF_CHECK(e.params().side == breach_side::above);
  CAF_CHECK_EQUAL(e.params().consecutive_breaches, 2u);
  CAF_CHECK_EQUAL(e.params().min_samples, 1u);
}

CAF_TEST(bad parameters are refused with the reason) {
  CAF_CHECK_EQUAL(
    error_of("ewma", {}), "unknown strategy 'ewma' (known: " + [] {
      std::string known;
      for (auto& info : strategies())
        known += (known.empty() ? "" : ", ") + std::string{info.name};
      return known;
    }() + ")");
  CAF_CHECK_EQUAL(error_of("ewma_threshold", {}),
                  "ewma_threshold: parameter threshold is required");
  CAF_CHECK_EQUAL(error_of("ewma_threshold",
                           {{"threshold", "0.9"}, {"alpha", "1.5"}}),
                  "ewma_threshold: parameter alpha=1.5 is outside [0, 1]");
  CAF_CHECK_EQUAL(error_of("ewma_threshold",
                           {{"threshold", "0.9"}, {"alpha", "nan"}}),
                  "ewma_threshold: parameter alpha='nan' is not a finite "
                  "number");
  CAF_CHECK_EQUAL(error_of("ewma_threshold",
                           {{"threshold", "0.9"}, {"min_samples", "-1"}}),
                  "ewma_threshold: parameter min_samples='-1' is not a whole "
                  "number");
  CAF_CHECK_EQUAL(error_of("ewma_threshold",
                           {{"threshold", "0.9"}, {"direction", "up"}}),
                  "ewma_threshold: parameter direction='up' is not one of "
                  "below, above");
  CAF_CHECK_EQUAL(error_of("ewma_threshold",
                           {{"threshold", "0.9"}, {"delta", "1"}}),
                  "ewma_threshold: unknown parameter 'delta' (known: alpha, "
                  "threshold, direction, min_samples, consecutive_breaches)");
}

CAF_TEST(parameter values are strict numbers) {
  using namespace std::string_literals;
  auto with = [](const char* key, std::string value) {
    return error_of("ewma_threshold", {{"threshold", "0.9"}, {key, value}});
  };
  CAF_CHECK_EQUAL(with("alpha", "0.5\0junk"s),
                  "ewma_threshold: parameter alpha='0.5\\x00junk' is not a "
                  "number");
  CAF_CHECK_EQUAL(with("alpha", "0x1p-1"),
                  "ewma_threshold: parameter alpha='0x1p-1' is not a decimal "
                  "number (hexadecimal is not accepted)");
  CAF_CHECK_EQUAL(with("alpha", "inf"),
                  "ewma_threshold: parameter alpha='inf' is not a finite "
                  "number");
  CAF_CHECK_EQUAL(error_of("ewma_threshold", {{"threshold", "1e309"}}),
                  "ewma_threshold: parameter threshold='1e309' is out of "
                  "range");
  CAF_CHECK_EQUAL(with("alpha", " 0.5"),
                  "ewma_threshold: parameter alpha=' 0.5' is not a number");
  CAF_CHECK_EQUAL(with("min_samples", "5x"),
                  "ewma_threshold: parameter min_samples='5x' is not a whole "
                  "number");
  CAF_CHECK_EQUAL(with("min_samples", "+5"),
                  "ewma_threshold: parameter min_samples='+5' is not a whole "
                  "number");
  CAF_CHECK_EQUAL(with("min_samples", "99999999999999999999"),
                  "ewma_threshold: parameter min_samples='99999999999999999999'"
                  " is out of range (at most 18446744073709551615)");
  CAF_CHECK_EQUAL(with("direction", "\x1b[2J"),
                  "ewma_threshold: parameter direction='\\x1b[2J' is not one "
                  "of below, above");
  CAF_CHECK_EQUAL(error_of("ewma\x1b[2J", {})
                    .rfind("unknown strategy 'ewma\\x1b[2J' (known: ", 0),
                  0u);
  // Decimal forms with an exponent still work (config writes 1e-05).
  CAF_CHECK_EQUAL(with("alpha", "1e-05"), "ok");
}
