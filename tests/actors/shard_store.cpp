#define CAF_SUITE shard_store
#include <caf/test/dsl.hpp>

#include <map>
#include <string>

#include "retrain/shard_store.hpp"

#include "temp_dir.hpp"

using namespace retrain;
using namespace retrain::test;

namespace {

struct fixture {
  temp_dir dir{"retrain-shards"};

  std::unique_ptr<shard_store> open() {
    auto store = shard_store::open(dir.str());
    if (!store)
      CAF_FAIL("cannot open the shard store: " << to_string(store.error()));
    return std::move(*store);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(shard_store_tests, fixture)

CAF_TEST(a new database has no owners) {
  auto map = open()->load(256);
  CAF_REQUIRE(map);
  CAF_CHECK_EQUAL(map->shards(), 256u);
  CAF_CHECK_EQUAL(map->version(), 0u);
  CAF_CHECK(map->counts().empty());
}

CAF_TEST(a stored map comes back with its owners and epochs) {
  core::shard_map map{64};
  map.rebalance({"a:1", "b:2"});
  map.rebalance({"a:1", "b:2", "c:3"});
  CAF_REQUIRE_EQUAL(open()->save(map), caf::none);
  auto back = open()->load(64);
  CAF_REQUIRE(back);
  CAF_CHECK_EQUAL(back->version(), map.version());
  for (uint32_t s = 0; s < 64; ++s) {
    CAF_CHECK_EQUAL(back->owner(s), map.owner(s));
    CAF_CHECK_EQUAL(back->epoch(s), map.epoch(s));
  }
  // A later change overwrites the rows.
  map.rebalance({"a:1"});
  CAF_REQUIRE_EQUAL(open()->save(map), caf::none);
  back = open()->load(64);
  CAF_REQUIRE(back);
  CAF_CHECK_EQUAL(back->shards_of("a:1").size(), 64u);
  CAF_CHECK_EQUAL(back->version(), map.version());
}

CAF_TEST(another shard count starts over above every stored epoch) {
  core::shard_map map{64};
  map.rebalance({"a:1"});
  map.rebalance({"a:1", "b:2"});
  CAF_REQUIRE_EQUAL(open()->save(map), caf::none);
  uint64_t top = 0;
  for (uint32_t s = 0; s < 64; ++s)
    top = std::max(top, map.epoch(s));
  auto other = open()->load(16);
  CAF_REQUIRE(other);
  CAF_CHECK(other->counts().empty());
  for (uint32_t s = 0; s < 16; ++s)
    CAF_CHECK_GREATER(other->epoch(s), top);
  // Saved with the new count, the rows of the old one go.
  other->rebalance({"c:3"});
  CAF_REQUIRE_EQUAL(open()->save(*other), caf::none);
  auto again = open()->load(16);
  CAF_REQUIRE(again);
  CAF_CHECK_EQUAL(again->shards_of("c:3").size(), 16u);
}

CAF_TEST(stored monitor snapshots come back by shard and the latest wins) {
  auto snap = [](std::string model, uint64_t events, double ewma) {
    monitor_snapshot x;
    x.model = std::move(model);
    x.events = events;
    x.kinds = {metric_kind::accuracy};
    x.strategies = {core::strategy_snapshot{"ewma_threshold", {ewma, 3.0}}};
    x.specs = {"ewma_threshold threshold=0.92"};
    return x;
  };
  {
    auto store = open();
    CAF_CHECK(!store->save_snapshots(
      {stored_snapshot{3, 1, snap("p:a:1.0.0", 4, 0.9)},
       stored_snapshot{3, 1, snap("p:b:1.0.0", 2, 0.8)},
       stored_snapshot{5, 2, snap("p:c:1.0.0", 7, 0.7)}}));
    // The same model again, later: one row per model.
    CAF_CHECK(!store->save_snapshots(
      {stored_snapshot{3, 2, snap("p:a:1.0.0", 9, 0.123456789012345)}}));
  }
  // Another connection, as after a restart of the coordinator.
  auto store = open();
  auto count = store->count_snapshots();
  CAF_REQUIRE(count);
  CAF_CHECK_EQUAL(*count, 3u);
  auto got = store->load_snapshots({3});
  CAF_REQUIRE(got);
  CAF_REQUIRE_EQUAL(got->size(), 2u);
  std::map<std::string, stored_snapshot> by_model;
  for (auto& x : *got)
    by_model[x.snapshot.model] = x;
  auto& a = by_model.at("p:a:1.0.0");
  CAF_CHECK_EQUAL(a.shard, 3u);
  CAF_CHECK_EQUAL(a.epoch, 2u);
  CAF_CHECK_EQUAL(a.snapshot.events, 9u);
  CAF_REQUIRE_EQUAL(a.snapshot.strategies.size(), 1u);
  // Exactly the double stored, every bit.
  CAF_CHECK_EQUAL(a.snapshot.strategies[0].values.at(0), 0.123456789012345);
  CAF_CHECK_EQUAL(a.snapshot.specs.at(0), "ewma_threshold threshold=0.92");
  CAF_CHECK_EQUAL(by_model.at("p:b:1.0.0").snapshot.events, 2u);
  auto none = store->load_snapshots({4});
  CAF_REQUIRE(none);
  CAF_CHECK(none->empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
