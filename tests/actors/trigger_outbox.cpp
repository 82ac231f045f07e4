#define CAF_SUITE trigger_outbox
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/trigger_outbox.hpp"

using namespace retrain;

namespace {

retrain_trigger trigger(std::string model, std::string id) {
  retrain_trigger result;
  result.model = std::move(model);
  result.id = std::move(id);
  return result;
}

std::vector<std::string> ids_of(const std::vector<retrain_trigger>& xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    result.push_back(x.id);
  return result;
}

using strings = std::vector<std::string>;

} // namespace

CAF_TEST(one entry per line : a later trigger merges and keeps the first id) {
  trigger_outbox box;
  CAF_CHECK(box.add("cv:a", trigger("cv:a:1.0.0", "n-1")));
  CAF_CHECK(box.add("cv:b", trigger("cv:b:1.0.0", "n-2")));
  CAF_CHECK(!box.add("cv:a", trigger("cv:a:2.0.0", "n-3")));
  CAF_CHECK_EQUAL(box.size(), 2u);
  CAF_REQUIRE(box.find("cv:a") != nullptr);
  CAF_CHECK_EQUAL(box.find("cv:a")->trigger.id, "n-1");
  CAF_CHECK_EQUAL(box.find("cv:a")->merged, 1u);
  CAF_CHECK(box.find("cv:c") == nullptr);
  CAF_CHECK_EQUAL(box.lines(), (strings{"cv:a", "cv:b"}));
  // Ten thousand triggers of one line stay one entry: the outbox is bounded
  // by lines, not by triggers, and drops nothing.
  for (int i = 0; i < 10'000; ++i)
    box.add("cv:a", trigger("cv:a:1.0.0", "x"));
  CAF_CHECK_EQUAL(box.size(), 2u);
}

CAF_TEST(only the acknowledgement of its id removes an entry) {
  trigger_outbox box;
  box.add("cv:a", trigger("cv:a:1.0.0", "n-1"));
  CAF_CHECK(!box.acknowledge("cv:a", "n-9")); // an answer to another id
  CAF_CHECK(!box.acknowledge("cv:b", "n-1"));
  CAF_CHECK_EQUAL(box.size(), 1u);
  CAF_CHECK(box.acknowledge("cv:a", "n-1"));
  CAF_CHECK(box.empty());
  CAF_CHECK(!box.acknowledge("cv:a", "n-1")); // twice: nothing left
}

CAF_TEST(sends are taken oldest first up to a window and retried) {
  trigger_outbox box;
  for (int i = 0; i < 5; ++i)
    box.add("cv:l" + std::to_string(i),
            trigger("cv:l" + std::to_string(i) + ":1.0.0",
                    "n-" + std::to_string(i)));
  CAF_CHECK_EQUAL(ids_of(box.take_ready(2)), (strings{"n-0", "n-1"}));
  CAF_CHECK_EQUAL(box.in_flight(), 2u);
  // In flight: not taken again until it failed.
  CAF_CHECK_EQUAL(ids_of(box.take_ready(10)), (strings{"n-2", "n-3", "n-4"}));
  CAF_CHECK(box.take_ready(10).empty());
  box.failed("cv:l1");
  box.failed("cv:l1"); // twice changes nothing
  CAF_CHECK_EQUAL(box.in_flight(), 4u);
  CAF_CHECK_EQUAL(ids_of(box.take_ready(10)), (strings{"n-1"}));
  CAF_CHECK(box.acknowledge("cv:l0", "n-0"));
  CAF_CHECK_EQUAL(box.in_flight(), 4u);
  // A new link: every entry goes again, oldest first.
  box.resend_all();
  CAF_CHECK_EQUAL(box.in_flight(), 0u);
  CAF_CHECK_EQUAL(ids_of(box.take_ready(10)),
                  (strings{"n-1", "n-2", "n-3", "n-4"}));
}

CAF_TEST(a line that left and came back counts from its new arrival) {
  trigger_outbox box;
  box.add("cv:a", trigger("cv:a:1.0.0", "n-1"));
  box.add("cv:b", trigger("cv:b:1.0.0", "n-2"));
  CAF_CHECK(box.acknowledge("cv:a", "n-1"));
  box.add("cv:a", trigger("cv:a:1.0.0", "n-3"));
  CAF_CHECK_EQUAL(box.lines(), (strings{"cv:b", "cv:a"}));
  CAF_CHECK_EQUAL(ids_of(box.take_ready(10)), (strings{"n-2", "n-3"}));
  CAF_CHECK_EQUAL(ids_of(box.all()), (strings{"n-2", "n-3"}));
  box.drop("cv:b");
  CAF_CHECK_EQUAL(box.in_flight(), 1u);
  CAF_CHECK_EQUAL(box.lines(), (strings{"cv:a"}));
}
