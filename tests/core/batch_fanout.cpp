#define CAF_SUITE batch_fanout
#include <caf/test/unit_test.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "retrain/core/batch_fanout.hpp"

using namespace retrain::core;

namespace {

using parts = std::map<int32_t, batch_fanout::part>;
using rejects = std::vector<std::pair<uint64_t, std::string>>;

} // namespace

CAF_TEST(a batch splits by owner and keeps each events index) {
  struct row {
    uint64_t events;
    std::vector<int32_t> owner_of;
    parts expected;
    uint64_t waiting_after;
  };
  std::vector<row> rows{
    {5, {0, 1, 0, 2, 1}, {{0, {0, 2}}, {1, {1, 4}}, {2, {3}}}, 0},
    {3, {3, 3, 3}, {{3, {0, 1, 2}}}, 0},
    // No owner: waits for another round.
    {3, {0, -1, 0}, {{0, {0, 2}}}, 1},
    {2, {-1, -1}, {}, 2},
    // Fewer owners than events: the rest have none.
    {3, {1}, {{1, {0}}}, 2},
  };
  for (auto& r : rows) {
    batch_fanout f{r.events, 5};
    CAF_CHECK(f.split(r.owner_of, "no owner") == r.expected);
    CAF_CHECK_EQUAL(f.waiting(), r.waiting_after);
    CAF_CHECK_EQUAL(f.in_flight(), r.events - r.waiting_after);
    CAF_CHECK(!f.done());
  }
}

CAF_TEST(the answers of every owner merge into one result) {
  batch_fanout f{6, 3};
  auto p = f.split({0, 1, 0, 1, 0, 1}, "none");
  CAF_REQUIRE_EQUAL(p.size(), 2u);
  CAF_CHECK_EQUAL(f.in_flight(), 6u);
  // Owner 0 takes all of {0, 2, 4} but refuses position 1 (event 2).
  f.settle(p[0], {}, rejects{{1, "accuracy value 2 is outside [0, 1]"}}, "");
  CAF_CHECK(!f.done());
  CAF_CHECK_EQUAL(f.result().accepted, 2u);
  // Owner 1 takes all of {1, 3, 5} and refuses event 5.
  f.settle(p[1], {}, rejects{{2, "quarantined"}}, "");
  CAF_REQUIRE(f.done());
  auto r = f.result();
  CAF_CHECK_EQUAL(r.accepted, 4u);
  CAF_CHECK_EQUAL(r.rejected, 2u);
  // The lowest index names the first error, whichever owner answered first.
  CAF_CHECK_EQUAL(r.first_error, "event 2: accuracy value 2 is outside [0, 1]");
}

CAF_TEST(a returned event goes to the owner of the next map) {
  batch_fanout f{4, 3};
  auto p = f.split({0, 0, 1, 1}, "none");
  // Owner 0 does not own position 1 (event 1) by its map.
  f.settle(p[0], {1}, {}, "not the owner");
  f.settle(p[1], {}, {}, "");
  CAF_CHECK(!f.done());
  CAF_CHECK_EQUAL(f.waiting(), 1u);
  CAF_CHECK_EQUAL(f.result().accepted, 3u);
  // The next round (a new map) gives it to owner 1: only event 1 goes.
  auto again = f.split({0, 1, 1, 1}, "none");
  CAF_CHECK(again == (parts{{1, {1}}}));
  f.settle(again[1], {}, {}, "");
  CAF_CHECK(f.done());
  CAF_CHECK_EQUAL(f.result().accepted, 4u);
  CAF_CHECK_EQUAL(f.result().rejected, 0u);
  CAF_CHECK_EQUAL(f.result().first_error, "");
}

CAF_TEST(a lost owner sends its events round again) {
  batch_fanout f{3, 4};
  auto p = f.split({0, 1, 0}, "none");
  f.lost(p[0], "router 10.0.0.3:7000 lost");
  f.settle(p[1], {}, {}, "");
  CAF_CHECK_EQUAL(f.waiting(), 2u);
  CAF_CHECK_EQUAL(f.in_flight(), 0u);
  auto again = f.split({1, 1, 1}, "none");
  CAF_CHECK(again == (parts{{1, {0, 2}}}));
  f.settle(again[1], {}, {}, "");
  CAF_CHECK(f.done());
  CAF_CHECK_EQUAL(f.result().accepted, 3u);
}

CAF_TEST(
  events are rejected with the last reason once their attempts are used up) {
  struct row {
    uint32_t max_attempts;
    // Per round: true = the owner is lost, false = there is no owner.
    std::vector<bool> lost;
    std::string first_error;
  };
  std::vector<row> rows{
    {1, {true}, "event 0: not delivered after 1 attempts: lost"},
    {1, {false}, "event 0: not delivered after 1 attempts: no owner"},
    {3,
     {false, true, false},
     "event 0: not delivered after 3 attempts: no owner"},
    {3, {true, false, true}, "event 0: not delivered after 3 attempts: lost"},
  };
  for (auto& r : rows) {
    batch_fanout f{2, r.max_attempts};
    for (size_t round = 0; round < r.lost.size(); ++round) {
      CAF_REQUIRE(!f.done());
      if (r.lost[round]) {
        auto p = f.split({0, 0}, "no owner");
        f.lost(p[0], "lost");
      } else {
        CAF_CHECK(f.split({-1, -1}, "no owner").empty());
      }
    }
    CAF_REQUIRE(f.done());
    auto res = f.result();
    CAF_CHECK_EQUAL(res.accepted, 0u);
    CAF_CHECK_EQUAL(res.rejected, 2u);
    CAF_CHECK_EQUAL(res.first_error, r.first_error);
  }
}

CAF_TEST(events refused before sending never go out) {
  batch_fanout f{3, 2};
  f.reject(1, "accuracy value nan is not finite");
  f.reject(1, "twice");  // no longer waiting: ignored
  f.reject(7, "beyond"); // no such event: ignored
  auto p = f.split({0, 0, 0}, "none");
  CAF_CHECK(p == (parts{{0, {0, 2}}}));
  f.settle(p[0], {}, {}, "");
  CAF_REQUIRE(f.done());
  auto r = f.result();
  CAF_CHECK_EQUAL(r.accepted, 2u);
  CAF_CHECK_EQUAL(r.rejected, 1u);
  CAF_CHECK_EQUAL(r.first_error, "event 1: accuracy value nan is not finite");
}

CAF_TEST(an answer that comes twice or for another part changes nothing) {
  batch_fanout f{2, 3};
  auto p = f.split({0, 1}, "none");
  f.settle(p[0], {}, {}, "");
  // The same answer again, and a late loss of the same part.
  f.settle(p[0], {}, rejects{{0, "late"}}, "");
  f.lost(p[0], "late loss");
  CAF_CHECK_EQUAL(f.result().accepted, 1u);
  CAF_CHECK_EQUAL(f.result().rejected, 0u);
  CAF_CHECK_EQUAL(f.in_flight(), 1u);
  // Positions beyond the part are ignored.
  f.settle(p[1], {5}, rejects{{9, "beyond"}}, "");
  CAF_CHECK(f.done());
  CAF_CHECK_EQUAL(f.result().accepted, 2u);
}

CAF_TEST(an empty batch is done at once) {
  batch_fanout f{0, 3};
  CAF_CHECK(f.done());
  CAF_CHECK(f.split({}, "none").empty());
  CAF_CHECK_EQUAL(f.result().accepted, 0u);
  CAF_CHECK_EQUAL(f.result().first_error, "");
}
