#define CAF_SUITE river_examples
#include <caf/test/unit_test.hpp>

// Each detector on the example of River's documentation (and ADWIN on River's
// multi-drift regression case), fed the very streams River's docstrings build
// with `random.Random(seed)` and `choices`.

#include <string>
#include <vector>

#include "detector_streams.hpp"
#include "retrain/core/adwin.hpp"
#include "retrain/core/ddm.hpp"
#include "retrain/core/eddm.hpp"
#include "retrain/core/hddm_a.hpp"
#include "retrain/core/hddm_w.hpp"
#include "retrain/core/page_hinkley.hpp"
#include "retrain/core/strategy_factory.hpp"

using namespace retrain::core;
using namespace retrain::test;

using strings = std::vector<std::string>;

CAF_TEST(page hinkley) {
  // rng = random.Random(12345); choices([0, 1], k=1000)
  // + choices(range(4, 8), k=1000): "Change detected at index 1006, input
  // value: 5".
  page_hinkley s;
  auto rows = backtest_file(s, "two_distributions_12345.txt");
  CAF_REQUIRE_EQUAL(rows.size(), 1u);
  CAF_CHECK_EQUAL(rows[0].index, 1006u);
  CAF_CHECK_EQUAL(rows[0].value, "5");
  CAF_CHECK_EQUAL(rows[0].state, verdict::drift);
}

CAF_TEST(adwin) {
  // Same stream: "Change detected at index 1023, input value: 4".
  adwin s;
  auto rows = backtest_file(s, "two_distributions_12345.txt");
  CAF_REQUIRE_EQUAL(rows.size(), 1u);
  CAF_CHECK_EQUAL(rows[0].index, 1023u);
  CAF_CHECK_EQUAL(rows[0].value, "4");
  CAF_CHECK_EQUAL(rows[0].state, verdict::drift);
}

CAF_TEST(adwin with several drifts) {
  // River's ADWIN regression test: Random(42), four segments alternating
  // choices([0, 1]) and choices(range(4, 8)) of 1000 values each.
  adwin s;
  CAF_CHECK_EQUAL(drift_indices(backtest_file(s, "four_segments_42.txt")),
                  (std::vector<uint64_t>{1023, 2015, 3007}));
}

CAF_TEST(ddm) {
  // rng = random.Random(42); choices([0, 1], k=1000)
  // + choices([0, 1], k=1000, weights=[0.3, 0.7]).
  ddm s;
  auto rows = backtest_file(s, "error_rate_rises_42.txt");
  CAF_CHECK_EQUAL(river_printout(rows),
                  (strings{"warning 1084", "drift 1334", "warning 1492"}));
}

CAF_TEST(eddm) {
  // Same stream, with EDDM(alpha=0.8, beta=0.75) as in River's docstring.
  auto s = make_strategy("eddm", {{"alpha", "0.8"}, {"beta", "0.75"}});
  CAF_REQUIRE(s);
  auto rows = backtest_file(**s, "error_rate_rises_42.txt");
  CAF_CHECK_EQUAL(river_printout(rows),
                  (strings{"warning 1059", "drift 1278"}));
}

CAF_TEST(hddm_a) {
  hddm_a s;
  auto rows = backtest_file(s, "error_rate_rises_42.txt");
  CAF_CHECK_EQUAL(river_printout(rows), (strings{"warning 451", "drift 1206"}));
}

CAF_TEST(hddm_w) {
  hddm_w s;
  auto rows = backtest_file(s, "error_rate_rises_42.txt");
  CAF_CHECK_EQUAL(river_printout(rows), (strings{"warning 451", "drift 1077"}));
}

CAF_TEST(the factory builds the same detectors with river defaults) {
  for (auto name : {"page_hinkley", "adwin", "ddm", "hddm_a", "hddm_w"}) {
    CAF_MESSAGE(name);
    auto s = make_strategy(name, {});
    CAF_REQUIRE(s);
    auto file = (*s)->binary() ? "error_rate_rises_42.txt"
                               : "two_distributions_12345.txt";
    auto from_factory = river_printout(backtest_file(**s, file));
    strings expected;
    if (std::string{name} == "page_hinkley")
      expected = {"drift 1006"};
    else if (std::string{name} == "adwin")
      expected = {"drift 1023"};
    else if (std::string{name} == "ddm")
      expected = {"warning 1084", "drift 1334", "warning 1492"};
    else if (std::string{name} == "hddm_a")
      expected = {"warning 451", "drift 1206"};
    else
      expected = {"warning 451", "drift 1077"};
    CAF_CHECK_EQUAL(from_factory, expected);
  }
}
