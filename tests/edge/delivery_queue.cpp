#define CAF_SUITE delivery_queue
#include <caf/test/unit_test.hpp>

#include "retrain/edge/delivery_queue.hpp"

using namespace retrain;
using namespace retrain::edge;
using namespace std::chrono_literals;

namespace {

using outcome = delivery_queue::outcome;

const delivery_queue::time_point t0{};

delivery event(std::string id) {
  return delivery{std::move(id), "drift", "{}"};
}

// No jitter: 1 s, 2 s, 4 s, ...
delivery_queue make(size_t receivers, size_t capacity, uint32_t attempts) {
  return delivery_queue{receivers, capacity, attempts,
                        core::backoff{1s, 30s, 0.0}};
}

} // namespace

CAF_TEST(a delivery goes to every receiver once) {
  auto q = make(2, 10, 3);
  CAF_CHECK_EQUAL(q.push(event("a")), 0u);
  CAF_CHECK_EQUAL(q.size(), 2u);
  auto r = q.due(t0);
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(q.front(*r).id, "a");
  CAF_CHECK_EQUAL(q.done(*r, true, t0, 0.5).what, outcome::delivered);
  auto s = q.due(t0);
  CAF_REQUIRE(s);
  CAF_CHECK_NOT_EQUAL(*r, *s);
  CAF_CHECK_EQUAL(q.done(*s, true, t0, 0.5).what, outcome::delivered);
  CAF_CHECK_EQUAL(q.size(), 0u);
  CAF_CHECK(!q.due(t0));
  CAF_CHECK(!q.next_retry());
}

CAF_TEST(a failed delivery is retried with backoff and holds up its receiver) {
  auto q = make(1, 10, 4);
  q.push(event("a"));
  q.push(event("b"));
  auto v = q.done(*q.due(t0), false, t0, 0.5);
  CAF_CHECK_EQUAL(v.what, outcome::retry);
  CAF_CHECK_EQUAL(v.attempt, 1u);
  CAF_CHECK_EQUAL(v.retry_in, std::chrono::nanoseconds{1s});
  // "b" waits behind "a": a receiver gets its events in order.
  CAF_CHECK(!q.due(t0 + 999ms));
  CAF_CHECK(q.next_retry() == t0 + 1s);
  auto r = q.due(t0 + 1s);
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(q.front(*r).id, "a");
  v = q.done(*r, false, t0 + 1s, 0.5);
  CAF_CHECK_EQUAL(v.attempt, 2u);
  CAF_CHECK_EQUAL(v.retry_in, std::chrono::nanoseconds{2s});
  r = q.due(t0 + 3s);
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(q.done(*r, true, t0 + 3s, 0.5).what, outcome::delivered);
  // The next one goes at once, with a fresh count of attempts.
  r = q.due(t0 + 3s);
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(q.front(*r).id, "b");
  v = q.done(*r, false, t0 + 3s, 0.5);
  CAF_CHECK_EQUAL(v.attempt, 1u);
  CAF_CHECK_EQUAL(v.retry_in, std::chrono::nanoseconds{1s});
}

CAF_TEST(a delivery is given up after max attempts) {
  auto q = make(1, 10, 3);
  q.push(event("a"));
  auto now = t0;
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    auto v = q.done(*q.due(now), false, now, 0.5);
    CAF_CHECK_EQUAL(v.what, outcome::retry);
    now += v.retry_in;
  }
  auto v = q.done(*q.due(now), false, now, 0.5);
  CAF_CHECK_EQUAL(v.what, outcome::given_up);
  CAF_CHECK_EQUAL(v.attempt, 3u);
  CAF_CHECK_EQUAL(q.size(), 0u);
}

CAF_TEST(a failing receiver does not hold up the others) {
  auto q = make(2, 10, 5);
  q.push(event("a"));
  auto first = *q.due(t0);
  q.done(first, false, t0, 0.5);
  auto other = q.due(t0);
  CAF_REQUIRE(other);
  CAF_CHECK_NOT_EQUAL(*other, first);
  CAF_CHECK_EQUAL(q.done(*other, true, t0, 0.5).what, outcome::delivered);
  q.push(event("b"));
  // Only the healthy receiver's "b" may go now.
  auto r = q.due(t0 + 10ms);
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(*r, *other);
  CAF_CHECK_EQUAL(q.front(*r).id, "b");
}

CAF_TEST(receivers take turns) {
  auto q = make(3, 30, 1);
  for (auto id : {"a", "b", "c"})
    q.push(event(id));
  std::vector<size_t> order;
  while (auto r = q.due(t0)) {
    order.push_back(*r);
    q.done(*r, true, t0, 0.5);
  }
  CAF_CHECK_EQUAL(order, (std::vector<size_t>{0, 1, 2, 0, 1, 2, 0, 1, 2}));
}

CAF_TEST(beyond its capacity the queue drops new deliveries) {
  auto q = make(2, 3, 3);
  CAF_CHECK_EQUAL(q.push(event("a")), 0u);
  // One receiver's copy of "b" fits, the other does not.
  CAF_CHECK_EQUAL(q.push(event("b")), 1u);
  CAF_CHECK_EQUAL(q.push(event("c")), 2u);
  CAF_CHECK_EQUAL(q.size(), 3u);
  // Room again once one is delivered.
  q.done(*q.due(t0), true, t0, 0.5);
  CAF_CHECK_EQUAL(q.push(event("d")), 1u);
  CAF_CHECK_EQUAL(q.size(), 3u);
}
