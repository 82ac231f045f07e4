#define CAF_SUITE job_policy
#include <caf/test/unit_test.hpp>

#include <string>

#include "retrain/core/job_policy.hpp"

using namespace retrain::core;

namespace {

semver v(const std::string& str) {
  return *parse_semver(str);
}

constexpr auto create = trigger_action::create;
constexpr auto merge = trigger_action::merge;
constexpr auto drop = trigger_action::drop_superseded;

} // namespace

CAF_TEST(triggers create merge or are dropped as superseded) {
  struct row {
    const char* version;
    const char* latest; // nullptr: the line has no version yet
    bool busy;
    trigger_action expected;
  };
  row rows[] = {
    {"1.2.0", nullptr, false, create},  {"1.2.0", nullptr, true, merge},
    {"1.2.1", "1.2.1", false, create},  {"1.2.1", "1.2.1", true, merge},
    {"1.2.0", "1.2.1", false, drop},    {"1.2.0", "1.2.1", true, drop},
    {"2.0.0", "1.2.1", false, create},  {"1.2.1-rc.1", "1.2.1", false, drop},
    {"1.2.10", "1.2.9", false, create},
  };
  for (auto& r : rows) {
    std::optional<semver> latest;
    if (r.latest)
      latest = v(r.latest);
    CAF_CHECK_EQUAL(
      static_cast<int>(decide_trigger(v(r.version), latest, r.busy)),
      static_cast<int>(r.expected));
  }
}

CAF_TEST(results register retry fail or are ignored) {
  using ra = result_action;
  struct row {
    bool success;
    bool current;
    uint32_t attempts;
    uint32_t max;
    result_action expected;
  };
  row rows[] = {
    {true, true, 1, 3, ra::register_version},
    {true, false, 2, 3, ra::register_version}, // a late success still counts
    {false, true, 1, 3, ra::retry},
    {false, true, 2, 3, ra::retry},
    {false, true, 3, 3, ra::fail},
    {false, true, 5, 3, ra::fail}, // more starts than max after lost workers
    {false, false, 1, 3, ra::ignore},
    {false, true, 1, 1, ra::fail},
  };
  for (auto& r : rows)
    CAF_CHECK_EQUAL(
      static_cast<int>(decide_result(r.success, r.current, r.attempts, r.max)),
      static_cast<int>(r.expected));
}
