#define CAF_SUITE trigger_outbox
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/trigger_outbox.hpp"

using namespace retrain;

namespace {

retrain_trigger trigger_of(std::string model) {
  retrain_trigger result;
  result.model = std::move(model);
  return result;
}

std::vector<std::string> models_of(const std::deque<retrain_trigger>& xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    result.push_back(x.model);
  return result;
}

} // namespace

CAF_TEST(held triggers are delivered oldest first and only once) {
  trigger_outbox box;
  CAF_CHECK(box.empty());
  CAF_CHECK(!box.hold(trigger_of("cv:a:1.0.0")));
  CAF_CHECK(!box.hold(trigger_of("cv:b:1.0.0")));
  CAF_CHECK_EQUAL(box.size(), 2u);
  CAF_CHECK_EQUAL(models_of(box.take()),
                  (std::vector<std::string>{"cv:a:1.0.0", "cv:b:1.0.0"}));
  CAF_CHECK(box.empty());
  CAF_CHECK(box.take().empty());
  CAF_CHECK_EQUAL(box.dropped(), 0u);
}

CAF_TEST(a full outbox drops its oldest trigger and counts it) {
  trigger_outbox box{2};
  box.hold(trigger_of("m:1:1.0.0"));
  box.hold(trigger_of("m:2:1.0.0"));
  auto dropped = box.hold(trigger_of("m:3:1.0.0"));
  CAF_REQUIRE(dropped);
  CAF_CHECK_EQUAL(dropped->model, "m:1:1.0.0");
  dropped = box.hold(trigger_of("m:4:1.0.0"));
  CAF_REQUIRE(dropped);
  CAF_CHECK_EQUAL(dropped->model, "m:2:1.0.0");
  CAF_CHECK_EQUAL(box.dropped(), 2u);
  CAF_CHECK_EQUAL(box.size(), 2u);
  CAF_CHECK_EQUAL(models_of(box.take()),
                  (std::vector<std::string>{"m:3:1.0.0", "m:4:1.0.0"}));
  // The count stays: it is a total.
  CAF_CHECK_EQUAL(box.dropped(), 2u);
}

CAF_TEST(the default bound is ten thousand triggers) {
  trigger_outbox box;
  size_t dropped_early = 0;
  for (int i = 0; i < 10'000; ++i)
    if (box.hold(trigger_of("p:m" + std::to_string(i) + ":1.0.0")))
      ++dropped_early;
  CAF_CHECK_EQUAL(dropped_early, 0u);
  auto dropped = box.hold(trigger_of("p:last:1.0.0"));
  CAF_REQUIRE(dropped);
  CAF_CHECK_EQUAL(dropped->model, "p:m0:1.0.0");
  CAF_CHECK_EQUAL(box.size(), 10'000u);
}
