#define CAF_SUITE backtest
#include <caf/test/unit_test.hpp>

#include <sstream>
#include <string>

#include "retrain/core/backtest.hpp"
#include "retrain/core/strategy_factory.hpp"

using namespace retrain::core;

namespace {

/// Runs strategy `name` over `input`; returns the text output or the error.
std::string run(const std::string& name, const param_map& params,
                const std::string& input) {
  auto s = make_strategy(name, params);
  if (!s)
    return "bad strategy: " + s.error().message;
  std::istringstream in{input};
  auto rows = backtest(**s, in);
  if (!rows)
    return "error: " + rows.error().message;
  return to_text(*rows);
}

const param_map ewma_params = {{"threshold", "0.9"}, {"alpha", "1"}};

} // namespace

CAF_TEST(rows for warnings and drifts with index and value as read) {
  // ewma_threshold with alpha 1 follows the value; hysteresis 2 gives a
  // warning on the first breach and a drift on the second.
  auto params = ewma_params;
  params["consecutive_breaches"] = "2";
  CAF_CHECK_EQUAL(run("ewma_threshold", params,
                      "0.95\n0.50\n  0.4 \n0.97\n5e-1\n"),
                  "warning 1 0.50\ndrift 2 0.4\nwarning 4 5e-1\n");
}

CAF_TEST(blank lines are skipped and do not count) {
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params,
                      "\n0.95\n\n   \n0.5\r\n\t\n0.3"),
                  "drift 1 0.5\ndrift 2 0.3\n");
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, ""), "");
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, "\n\n"), "");
}

CAF_TEST(malformed lines are refused with their line number) {
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, "0.95\n\nabc\n0.5\n"),
                  "error: line 3: 'abc' is not a number");
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, "0.95\n1,5\n"),
                  "error: line 2: '1,5' is not a number");
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, "0.9 0.8\n"),
                  "error: line 1: '0.9 0.8' is not a number");
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, "1e999\n"),
                  "error: line 1: '1e999' is out of range");
}

CAF_TEST(values are strict decimal numbers) {
  using namespace std::string_literals;
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, "0.95\nnan\n"),
                  "error: line 2: 'nan' is not a finite number");
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, "-inf\n"),
                  "error: line 1: '-inf' is not a finite number");
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, "0x1p-1\n"),
                  "error: line 1: '0x1p-1' is not a decimal number "
                  "(hexadecimal is not accepted)");
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, "0.9\0junk\n"s),
                  "error: line 1: '0.9\\x00junk' is not a number");
  CAF_CHECK_EQUAL(run("ewma_threshold", ewma_params, "\x1b[2J\n"),
                  "error: line 1: '\\x1b[2J' is not a number");
}

CAF_TEST(values the strategy refuses stop the run) {
  CAF_CHECK_EQUAL(run("ddm", {}, "0\n1\n\n0.5\n"),
                  "error: line 4: value 0.5 is not 0 or 1: ddm takes one "
                  "outcome per prediction (1 = error, 0 = correct)");
  CAF_CHECK_EQUAL(run("hddm_a", {}, "0\n1\n2\n"),
                  "error: line 3: value 2 is not 0 or 1: hddm_a takes one "
                  "outcome per prediction (1 = error, 0 = correct)");
}

CAF_TEST(each value goes in raw) {
  // Page-Hinkley with threshold 1 and no tolerance: the jump to 3 drifts.
  CAF_CHECK_EQUAL(run("page_hinkley",
                      {{"min_instances", "1"},
                       {"delta", "0"},
                       {"threshold", "1"},
                       {"alpha", "1"}},
                      "0\n0\n0\n3\n"),
                  "drift 3 3\n");
  // Binary detectors take the outcomes as written: 1 = error.
  std::string errors;
  for (int i = 0; i < 200; ++i)
    errors += "0\n";
  for (int i = 0; i < 50; ++i)
    errors += "1\n";
  auto out = run("ddm", {}, errors);
  CAF_CHECK_NOT_EQUAL(out.find("drift"), std::string::npos);
  CAF_CHECK_EQUAL(out.find("error"), std::string::npos);
}
