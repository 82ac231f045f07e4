#define CAF_SUITE ec
#include <caf/test/unit_test.hpp>

#include <set>
#include <string>

#include "retrain/ec.hpp"

using namespace retrain;

// The build checks (static_assert in ec.hpp) that the mapping is total and
// one to one; these check that it pairs codes of the same name and that the
// conversion keeps code and text.

CAF_TEST(every core code maps onto the ec of its name) {
  std::set<ec> seen;
  for (std::size_t i = 0; i < core::errc_count; ++i) {
    auto x = static_cast<core::errc>(i);
    CAF_MESSAGE(core::to_string(x));
    CAF_CHECK_EQUAL(to_string(to_ec(x)), core::to_string(x));
    CAF_CHECK(seen.insert(to_ec(x)).second);
  }
  CAF_CHECK_EQUAL(seen.size(), core::errc_count);
}

CAF_TEST(a core failure keeps its code and text as a caf error) {
  auto err = to_error(
    core::fail(core::errc::invalid_model_line, "model line 'cv': bad"));
  CAF_REQUIRE(err);
  CAF_CHECK_EQUAL(err.category(), caf::atom("retrain"));
  CAF_CHECK_EQUAL(err.code(), static_cast<uint8_t>(ec::invalid_model_line));
  CAF_REQUIRE(err.context().match_elements<std::string>());
  CAF_CHECK_EQUAL(err.context().get_as<std::string>(0), "model line 'cv': bad");
}

CAF_TEST(no failure is no error) {
  CAF_CHECK(!to_error(core::failure{}));
}
