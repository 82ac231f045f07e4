#define CAF_SUITE fan_in
#include <caf/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include "retrain/fan_in.hpp"

using namespace retrain;

namespace {

// Answers are summed; a promise is a name.
using sum_fan_in = fan_in<int, std::string>;

struct fixture {
  sum_fan_in rounds;
  std::vector<std::pair<std::string, int>> delivered;

  bool finish() {
    return rounds.finish([this](std::string& promise, int& result) {
      delivered.emplace_back(promise, result);
    });
  }

  // Starts the next round and awaits every slot it asks.
  std::vector<uint32_t> start(uint32_t slot_count) {
    CAF_REQUIRE(rounds.ready());
    auto slots = rounds.start(slot_count);
    for (auto slot : slots)
      rounds.await(slot);
    return slots;
  }

  // Takes the answer of `slot`, worth `value`.
  bool answer(uint32_t slot, int value) {
    if (!rounds.settle(slot))
      return false;
    rounds.result() += value;
    return true;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(fan_in_tests, fixture)

CAF_TEST(a round over every slot ends with the last answer) {
  rounds.enqueue(std::nullopt, "q1");
  auto slots = start(3);
  CAF_CHECK_EQUAL(slots, (std::vector<uint32_t>{0, 1, 2}));
  CAF_CHECK(answer(2, 100));
  CAF_CHECK(answer(0, 1));
  CAF_CHECK(!finish());
  CAF_CHECK(delivered.empty());
  CAF_CHECK(answer(1, 10));
  CAF_CHECK(finish());
  CAF_REQUIRE_EQUAL(delivered.size(), 1u);
  CAF_CHECK_EQUAL(delivered[0].first, "q1");
  CAF_CHECK_EQUAL(delivered[0].second, 111);
  CAF_CHECK(!rounds.ready());
}

CAF_TEST(an answer counts once and only when awaited) {
  rounds.enqueue(std::vector<uint32_t>{4}, "q1");
  start(10);
  CAF_CHECK(!answer(3, 1)); // not asked
  CAF_CHECK(rounds.awaits(4));
  CAF_CHECK(answer(4, 1));
  CAF_CHECK(!rounds.awaits(4));
  CAF_CHECK(!answer(4, 1)); // answered already
  CAF_CHECK(finish());
  CAF_CHECK_EQUAL(delivered.at(0).second, 1);
  CAF_CHECK(!answer(4, 1)); // no round
}

CAF_TEST(asking a slot again does not wait for two answers) {
  // What the owner does when a monitor the round waits for is restarted.
  rounds.enqueue(std::nullopt, "q1");
  start(2);
  rounds.await(1);
  CAF_CHECK(answer(0, 1));
  CAF_CHECK(answer(1, 1));
  CAF_CHECK(finish());
}

CAF_TEST(queries during a round wait for the next) {
  rounds.enqueue(std::nullopt, "q1");
  start(2);
  rounds.enqueue(std::vector<uint32_t>{1}, "line");
  rounds.enqueue(std::nullopt, "q2");
  rounds.enqueue(std::nullopt, "q3");
  CAF_CHECK(!rounds.ready());
  answer(0, 1);
  answer(1, 1);
  CAF_CHECK(finish());
  // The oldest waiting query goes first, on its own slots.
  CAF_CHECK_EQUAL(start(2), (std::vector<uint32_t>{1}));
  answer(1, 5);
  CAF_CHECK(finish());
  // The two queries over every slot share one round.
  CAF_CHECK_EQUAL(start(3), (std::vector<uint32_t>{0, 1, 2}));
  answer(0, 1);
  answer(1, 1);
  answer(2, 1);
  CAF_CHECK(finish());
  CAF_CHECK(!rounds.ready());
  using row = std::pair<std::string, int>;
  CAF_CHECK_EQUAL(delivered, (std::vector<row>{
                               {"q1", 2}, {"line", 5}, {"q2", 3}, {"q3", 3}}));
}

CAF_TEST(a round that asks nobody ends at once) {
  rounds.enqueue(std::vector<uint32_t>{}, "empty line");
  CAF_CHECK(start(5).empty());
  CAF_CHECK(finish());
  CAF_CHECK_EQUAL(delivered.at(0).second, 0);
  // Answers filled in without asking (a quarantined model) still count.
  rounds.enqueue(std::nullopt, "q");
  CAF_REQUIRE(rounds.ready());
  rounds.start(0);
  rounds.result() += 7;
  CAF_CHECK(finish());
  CAF_CHECK_EQUAL(delivered.at(1).second, 7);
}

CAF_TEST_FIXTURE_SCOPE_END()
