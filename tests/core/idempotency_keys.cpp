#define CAF_SUITE idempotency_keys
#include <caf/test/unit_test.hpp>

#include <string>

#include "retrain/core/idempotency_keys.hpp"

using namespace retrain::core;
using namespace std::chrono_literals;

namespace {

using keys = idempotency_keys<std::string>;
using seen = keys::seen;

const keys::time_point t0{};

} // namespace

CAF_TEST(a key runs once and then answers with its result) {
  keys k{10min, 100};
  CAF_CHECK(k.begin("a", 7).state == seen::fresh);
  // Sent again while the first still runs: wait for it.
  CAF_CHECK(k.begin("a", 7).state == seen::pending);
  k.finish("a", "accepted 3", t0);
  auto again = k.begin("a", 7);
  CAF_REQUIRE(again.state == seen::done);
  CAF_CHECK_EQUAL(*again.result, "accepted 3");
  // Another key is another request.
  CAF_CHECK(k.begin("b", 7).state == seen::fresh);
}

CAF_TEST(the same key with another request is refused) {
  keys k{10min, 100};
  CAF_CHECK(k.begin("a", 7).state == seen::fresh);
  CAF_CHECK(k.begin("a", 8).state == seen::mismatch);
  k.finish("a", "accepted 3", t0);
  CAF_CHECK(k.begin("a", 8).state == seen::mismatch);
  CAF_CHECK(k.begin("a", 7).state == seen::done);
}

CAF_TEST(a result is kept for the ttl and no longer) {
  keys k{10min, 100};
  k.begin("a", 1);
  k.finish("a", "first", t0);
  k.begin("b", 2);
  k.finish("b", "second", t0 + 1min);
  k.expire(t0 + 10min - 1ns);
  CAF_CHECK(k.begin("a", 1).state == seen::done);
  k.expire(t0 + 10min);
  CAF_CHECK(k.begin("a", 1).state == seen::fresh);
  CAF_CHECK(k.begin("b", 2).state == seen::done);
  k.expire(t0 + 11min);
  CAF_CHECK(k.begin("b", 2).state == seen::fresh);
}

CAF_TEST(past the capacity the oldest results go and pending keys stay) {
  keys k{10min, 2};
  k.begin("pending", 9);
  for (auto key : {"a", "b", "c"}) {
    k.begin(key, 1);
    k.finish(key, key, t0);
  }
  CAF_CHECK_EQUAL(k.finished(), 2u);
  CAF_CHECK(k.begin("a", 1).state == seen::fresh);
  CAF_CHECK(k.begin("b", 1).state == seen::done);
  CAF_CHECK(k.begin("c", 1).state == seen::done);
  CAF_CHECK(k.begin("pending", 9).state == seen::pending);
}

CAF_TEST(a forgotten key runs again and a finished one is not forgotten) {
  keys k{10min, 100};
  k.begin("a", 1);
  k.forget("a");
  CAF_CHECK(k.begin("a", 1).state == seen::fresh);
  k.finish("a", "done", t0);
  k.forget("a");
  CAF_CHECK(k.begin("a", 1).state == seen::done);
  CAF_CHECK_EQUAL(k.size(), 1u);
}

CAF_TEST(keys are 1 to 128 visible ASCII characters) {
  CAF_CHECK(valid_idempotency_key("a"));
  CAF_CHECK(valid_idempotency_key("batch-2026-11-30T01:00:00Z/17"));
  CAF_CHECK(valid_idempotency_key(std::string(128, 'k')));
  CAF_CHECK(!valid_idempotency_key(""));
  CAF_CHECK(!valid_idempotency_key(std::string(129, 'k')));
  CAF_CHECK(!valid_idempotency_key("with space"));
  CAF_CHECK(!valid_idempotency_key("tab\t"));
  CAF_CHECK(!valid_idempotency_key("caf\xc3\xa9"));
}
