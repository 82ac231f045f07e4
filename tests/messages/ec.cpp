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

CAF_TEST(every code has a name and keeps its number) {
  // The numbers travel between nodes: a code that moved would be read as
  // another by a node of the previous build.
  struct {
    ec code;
    int number;
    const char* name;
  } cases[] = {
    {ec::none, 0, "none"},
    {ec::invalid_model_id, 1, "invalid_model_id"},
    {ec::invalid_metric_kind, 2, "invalid_metric_kind"},
    {ec::invalid_value, 3, "invalid_value"},
    {ec::quarantined, 4, "quarantined"},
    {ec::no_such_job, 5, "no_such_job"},
    {ec::invalid_model_line, 6, "invalid_model_line"},
    {ec::storage_failure, 7, "storage_failure"},
    {ec::invalid_config, 8, "invalid_config"},
    {ec::unreachable, 9, "unreachable"},
  };
  for (auto& c : cases) {
    CAF_CHECK_EQUAL(static_cast<int>(c.code), c.number);
    CAF_CHECK_EQUAL(to_string(c.code), c.name);
  }
}
