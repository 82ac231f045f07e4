#define CAF_SUITE strategy_spec
#include <caf/test/unit_test.hpp>

#include <string>

#include "retrain/core/strategy_spec.hpp"

using namespace retrain::core;

namespace {

// The error message for `text`, or "ok".
std::string error_of(std::string_view text) {
  auto result = parse_strategy_spec(text);
  return result ? std::string{"ok"} : result.error().message;
}

} // namespace

CAF_TEST(name and parameters) {
  auto spec = parse_strategy_spec("page_hinkley threshold=30 mode=up");
  CAF_REQUIRE(spec);
  CAF_CHECK_EQUAL(spec->name, "page_hinkley");
  CAF_CHECK_EQUAL(spec->params.size(), 2u);
  CAF_CHECK_EQUAL(spec->params.at("threshold"), "30");
  CAF_CHECK_EQUAL(spec->params.at("mode"), "up");
  spec = parse_strategy_spec("  adwin\t\tdelta=0.1\r\n");
  CAF_REQUIRE(spec);
  CAF_CHECK_EQUAL(spec->name, "adwin");
  CAF_CHECK_EQUAL(spec->params.at("delta"), "0.1");
  spec = parse_strategy_spec("ddm");
  CAF_REQUIRE(spec);
  CAF_CHECK(spec->params.empty());
  // The value is everything after the first '=', possibly nothing.
  spec = parse_strategy_spec("x a= b=c=d");
  CAF_REQUIRE(spec);
  CAF_CHECK_EQUAL(spec->params.at("a"), "");
  CAF_CHECK_EQUAL(spec->params.at("b"), "c=d");
}

CAF_TEST(malformed specs say why) {
  using namespace std::string_literals;
  CAF_CHECK_EQUAL(error_of(""),
                  "strategy is empty (expected NAME [KEY=VALUE ...])");
  CAF_CHECK_EQUAL(error_of(" \t "),
                  "strategy is empty (expected NAME [KEY=VALUE ...])");
  CAF_CHECK_EQUAL(error_of("adwin delta"), "'delta' is not KEY=VALUE");
  CAF_CHECK_EQUAL(error_of("adwin =1"), "'=1' is not KEY=VALUE");
  CAF_CHECK_EQUAL(error_of("adwin delta=0.1 delta=0.2"),
                  "parameter 'delta' is given twice");
  CAF_CHECK_EQUAL(error_of("adwin delta=0.1\0 clock=1"s),
                  "strategy 'adwin delta=0.1\\x00 clock=1' has control byte "
                  "'\\x00' at column 16");
  CAF_CHECK_EQUAL(error_of("\x1b[2Jadwin"),
                  "strategy '\\x1b[2Jadwin' has control byte '\\x1b' at "
                  "column 1");
  CAF_CHECK_EQUAL(error_of("adwin " + std::string(100, 'k')),
                  "'" + std::string(64, 'k')
                    + "'... (100 bytes) is not KEY=VALUE");
}
