#define CAF_SUITE shard_handoff
#include "test_support.hpp"

#include <map>
#include <string>

#include "retrain/core/shard_map.hpp"
#include "retrain/shard_allocator.hpp"
#include "retrain/shard_router.hpp"
#include "retrain/supervisor.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t shard_count = 8;

const std::string model_a = "cv:a:1.0.0";
const std::string model_b = "nlp:b:2.0.0";

uint32_t shard_of(const std::string& model) {
  return core::shard_of_model(model, shard_count);
}

// A map of 8 shards, every one owned by `owner` in `epoch`.
shard_table map_of(const std::string& owner, uint64_t epoch) {
  shard_table t;
  t.version = epoch * shard_count;
  t.nodes = {shard_member{owner, owner, 1}};
  t.owners.assign(shard_count, 0);
  t.epochs.assign(shard_count, epoch);
  return t;
}

// What a monitor node's link saw of the shard map.
struct member_log {
  std::vector<shard_table> maps;
};

// A monitor node's link as the allocator sees it: it joins as `node` when
// spawned and records the maps pushed to it.
job_news_actor::behavior_type
fake_member(job_news_actor::pointer self, shard_allocator_actor allocator,
            std::string node, std::shared_ptr<member_log> log) {
  self->send(allocator, shard_member{std::move(node), {}, 0});
  return {
    [](job_update&) {},
    [](policy_set&) {},
    [log](shard_table& x) { log->maps.push_back(std::move(x)); },
  };
}

struct fixture : actor_fixture {
  std::shared_ptr<link_log> seen = std::make_shared<link_log>();
  coordinator_link_actor link = sys.spawn(fake_link, seen);
  monitor_config cfg = monitor_config::defaults();
  supervisor_actor sup;
  shard_router_self_actor router;

  fixture() {
    sup = spawn_supervisor();
    router = sys.spawn(shard_router, sup, link, 10000ms, 1000ms);
    self->send(router, shard_member{"a", "a", 1});
    drain();
  }

  ~fixture() {
    for (auto& x :
         {caf::actor_cast<caf::actor>(router), caf::actor_cast<caf::actor>(sup),
          caf::actor_cast<caf::actor>(link)})
      anon_send_exit(x, caf::exit_reason::user_shutdown);
    drain();
  }

  supervisor_actor spawn_supervisor() {
    auto x = sys.spawn(supervisor, cfg, coordinator_link_actor{});
    drain();
    return x;
  }

  shard_keeper_actor keeper(const supervisor_actor& x) {
    return caf::actor_cast<shard_keeper_actor>(x);
  }

  std::map<std::string, model_status> status_at(const supervisor_actor& x) {
    std::map<std::string, model_status> result;
    for (auto& st : ask<std::vector<model_status>>(x, atom::status::value))
      result[st.model] = st;
    return result;
  }

  double ewma_at(const supervisor_actor& x, const std::string& model) {
    auto all = status_at(x);
    auto i = all.find(model);
    CAF_REQUIRE(i != all.end());
    CAF_REQUIRE_EQUAL(i->second.kinds.size(), 1u);
    return i->second.kinds[0].statistic;
  }

  std::vector<monitor_snapshot> release(const supervisor_actor& x,
                                        std::vector<uint32_t> shards) {
    return ask<std::vector<monitor_snapshot>>(keeper(x), atom::release::value,
                                              std::move(shards), shard_count);
  }
};

const std::vector<double> first_values{0.95, 0.91, 0.97, 0.88, 0.93, 0.90};

} // namespace

CAF_TEST_FIXTURE_SCOPE(shard_handoff_tests, fixture)

CAF_TEST(a released model hands over every event it took and leaves the node) {
  CAF_REQUIRE_NOT_EQUAL(shard_of(model_a), shard_of(model_b));
  ask<ingest_ack>(sup, batch_of(model_a, metric_kind::accuracy, first_values));
  ask<ingest_ack>(sup, batch_of(model_b, metric_kind::accuracy, {0.9}));
  auto snaps = release(sup, {shard_of(model_a)});
  CAF_REQUIRE_EQUAL(snaps.size(), 1u);
  CAF_CHECK_EQUAL(snaps[0].model, model_a);
  // Not the last periodic snapshot (there was none): the final one.
  CAF_CHECK_EQUAL(snaps[0].events, first_values.size());
  CAF_REQUIRE_EQUAL(snaps[0].history.size(), 1u);
  CAF_CHECK(!snaps[0].history[0].points.empty());
  // One monitor per model in the cluster: this node shows it no more.
  auto left = status_at(sup);
  CAF_CHECK_EQUAL(left.count(model_a), 0u);
  CAF_CHECK_EQUAL(left.count(model_b), 1u);
}

CAF_TEST(a restored model goes on from its snapshot as if it never moved) {
  ask<ingest_ack>(sup, batch_of(model_a, metric_kind::accuracy, first_values));
  auto snaps = release(sup, {shard_of(model_a)});
  CAF_REQUIRE_EQUAL(snaps.size(), 1u);
  auto other = spawn_supervisor();
  auto kept = ask<uint64_t>(keeper(other), atom::restore::value, snaps);
  CAF_CHECK_EQUAL(kept, 1u);
  auto st = status_at(other).at(model_a);
  CAF_CHECK_EQUAL(st.state, "passivated");
  CAF_CHECK_EQUAL(st.events, first_values.size());
  ask<ingest_ack>(other, batch_of(model_a, metric_kind::accuracy, {0.5}));
  // A node fed every value itself ends in the same state.
  auto alone = spawn_supervisor();
  auto all = first_values;
  all.push_back(0.5);
  ask<ingest_ack>(alone, batch_of(model_a, metric_kind::accuracy, all));
  CAF_CHECK_EQUAL(status_at(other).at(model_a).events, all.size());
  CAF_CHECK_EQUAL(ewma_at(other, model_a), ewma_at(alone, model_a));
  for (auto& x : {other, alone})
    anon_send_exit(x, caf::exit_reason::user_shutdown);
}

CAF_TEST(the supervisor hands out each change of a snapshot once) {
  ask<ingest_ack>(sup, batch_of(model_a, metric_kind::accuracy, {0.9, 0.8}));
  advance_time(cfg.snapshot_interval);
  drain();
  auto first = ask<std::vector<monitor_snapshot>>(keeper(sup),
                                                  atom::persist::value);
  CAF_REQUIRE_EQUAL(first.size(), 1u);
  CAF_CHECK_EQUAL(first[0].model, model_a);
  CAF_CHECK_EQUAL(first[0].events, 2u);
  auto again = ask<std::vector<monitor_snapshot>>(keeper(sup),
                                                  atom::persist::value);
  CAF_CHECK(again.empty());
  // A later change of the same model is handed out again.
  ask<ingest_ack>(sup, batch_of(model_a, metric_kind::accuracy, {0.7}));
  advance_time(cfg.snapshot_interval);
  drain();
  auto later = ask<std::vector<monitor_snapshot>>(keeper(sup),
                                                  atom::persist::value);
  CAF_REQUIRE_EQUAL(later.size(), 1u);
  CAF_CHECK_EQUAL(later[0].events, 3u);
}

CAF_TEST(
  a shard taken over applies its events only once its models are restored) {
  // What the coordinator stored of model_a: 6 events.
  ask<ingest_ack>(sup, batch_of(model_a, metric_kind::accuracy, first_values));
  auto snaps = release(sup, {shard_of(model_a)});
  CAF_REQUIRE_EQUAL(snaps.size(), 1u);
  seen->stored.items.push_back(
    stored_snapshot{shard_of(model_a), 1, std::move(snaps[0])});
  // The map and an event of the shard come together: the event waits
  // while the router fetches the stored snapshots.
  self->send(router, map_of("a", 1));
  auto res = self->request(router, caf::infinite,
                           batch_of(model_a, metric_kind::accuracy, {0.5}));
  drain();
  // One request per shard: no answer carries more than one shard.
  CAF_CHECK_EQUAL(seen->restores.size(), shard_count);
  for (auto& asked : seen->restores)
    CAF_CHECK_EQUAL(asked.size(), 1u);
  require_answers();
  res.receive([](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
              [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  // Applied after the 6 events restored, not before them (then replaced).
  CAF_CHECK_EQUAL(status_at(sup).at(model_a).events, first_values.size() + 1);
}

CAF_TEST(a shard whose models are in applies while another is fetched again) {
  CAF_REQUIRE_NOT_EQUAL(shard_of(model_a), shard_of(model_b));
  // The coordinator cannot read b's shard for now.
  seen->unreadable.insert(shard_of(model_b));
  self->send(router, map_of("a", 1));
  auto res_a = self->request(router, caf::infinite,
                             batch_of(model_a, metric_kind::accuracy, {0.5}));
  auto res_b = self->request(router, caf::infinite,
                             batch_of(model_b, metric_kind::accuracy, {0.5}));
  drain();
  // a's shard is in: its event is applied; b's waits for its shard.
  require_answers();
  res_a.receive([](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
                [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK_EQUAL(status_at(sup).count(model_b), 0u);
  // Only b's shard is asked again, a second later, and then it is in.
  seen->restores.clear();
  seen->unreadable.clear();
  advance_time(1s);
  drain();
  CAF_REQUIRE_EQUAL(seen->restores.size(), 1u);
  CAF_CHECK_EQUAL(seen->restores[0], std::vector<uint32_t>{shard_of(model_b)});
  require_answers();
  res_b.receive([](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
                [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(status_at(sup).at(model_b).events, 1u);
}

CAF_TEST(changed snapshots are shipped with their shard and epoch) {
  self->send(router, map_of("a", 3));
  drain();
  ask<ingest_ack>(router, batch_of(model_a, metric_kind::accuracy, {0.9, 0.8}));
  // The sweep takes the snapshot, the next persist timer ships it.
  advance_time(1s);
  drain();
  advance_time(1s);
  drain();
  std::vector<stored_snapshot> shipped;
  for (auto& x : seen->shipments)
    for (auto& item : x.items)
      shipped.push_back(item);
  CAF_REQUIRE_EQUAL(shipped.size(), 1u);
  CAF_CHECK_EQUAL(shipped[0].shard, shard_of(model_a));
  CAF_CHECK_EQUAL(shipped[0].epoch, 3u);
  CAF_CHECK_EQUAL(shipped[0].snapshot.model, model_a);
  CAF_CHECK_EQUAL(shipped[0].snapshot.events, 2u);
  CAF_CHECK_EQUAL(seen->shipments[0].node, "a");
}

CAF_TEST(a released shard parks its events until the map moves it) {
  self->send(router, map_of("a", 1));
  drain();
  ask<ingest_ack>(router, batch_of(model_a, metric_kind::accuracy, {0.9, 0.8}));
  auto handed = ask<snapshot_shipment>(
    router, atom::release::value, std::vector<uint32_t>{shard_of(model_a)});
  CAF_REQUIRE_EQUAL(handed.items.size(), 1u);
  CAF_CHECK_EQUAL(handed.items[0].epoch, 1u);
  CAF_CHECK_EQUAL(handed.items[0].snapshot.events, 2u);
  auto res = self->request(router, caf::infinite,
                           batch_of(model_a, metric_kind::accuracy, {0.7}));
  drain();
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK_EQUAL(status_at(sup).count(model_a), 0u);
  // The shard comes back in a new epoch: restored, then applied.
  seen->stored = handed;
  self->send(router, map_of("a", 2));
  drain();
  // A shard in a new epoch settles for one lease term before it applies.
  advance_time(2s);
  drain();
  require_answers();
  res.receive([](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
              [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(status_at(sup).at(model_a).events, 3u);
}

CAF_TEST(a release the lost coordinator never completed is taken back) {
  // Node a owns every shard; b is a member without shards, so a's lease
  // needs renewals.
  auto map = map_of("a", 1);
  map.nodes.push_back(shard_member{"b", "b", 2});
  auto renew = [&] {
    auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 sched.clock().now().time_since_epoch())
                 .count();
    self->send(router, atom::lease::value, now, map.version);
    drain();
  };
  self->send(router, map);
  drain();
  // Shards gained in a new epoch settle for one lease term.
  advance_time(10s);
  renew();
  ask<ingest_ack>(router, batch_of(model_a, metric_kind::accuracy, {0.9, 0.8}));
  auto handed = ask<snapshot_shipment>(
    router, atom::release::value, std::vector<uint32_t>{shard_of(model_a)});
  CAF_REQUIRE_EQUAL(handed.items.size(), 1u);
  seen->stored = handed;
  seen->restores.clear(); // the shards gained with the first map
  auto res = self->request(router, caf::infinite,
                           batch_of(model_a, metric_kind::accuracy, {0.7}));
  // While the coordinator that asked lives, renewals keep it released.
  renew();
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK(seen->restores.empty());
  // The link loses that coordinator; the next one renews the same map.
  self->send(router, atom::lease::value, int64_t{-1}, uint64_t{0});
  drain();
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  renew();
  CAF_REQUIRE_EQUAL(seen->restores.size(), 1u);
  CAF_CHECK_EQUAL(seen->restores[0],
                  std::vector<uint32_t>{shard_of(model_a)});
  require_answers();
  res.receive([](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
              [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  // Restored from the final snapshot: no event lost, none counted twice.
  CAF_CHECK_EQUAL(status_at(sup).at(model_a).events, 3u);
  // Released again, the link lost again, and the coordinator reached next
  // asks for the release once more before it renews: that release is its
  // own, so the shard stays released.
  auto again = ask<snapshot_shipment>(
    router, atom::release::value, std::vector<uint32_t>{shard_of(model_a)});
  CAF_CHECK_EQUAL(again.items.size(), 1u);
  self->send(router, atom::lease::value, int64_t{-1}, uint64_t{0});
  drain();
  ask<snapshot_shipment>(router, atom::release::value,
                         std::vector<uint32_t>{shard_of(model_a)});
  renew();
  CAF_CHECK_EQUAL(seen->restores.size(), 1u);
  CAF_CHECK_EQUAL(status_at(sup).count(model_a), 0u);
}

CAF_TEST(the coordinator refuses snapshots of an epoch older than their shard) {
  auto allocator = sys.spawn(shard_allocator, std::unique_ptr<shard_store>{},
                             shard_count);
  auto log = std::make_shared<member_log>();
  auto member = sys.spawn(fake_member, allocator, std::string{"a"}, log);
  drain();
  CAF_REQUIRE(!log->maps.empty());
  auto shard = shard_of(model_a);
  CAF_REQUIRE_EQUAL(log->maps.back().epochs.at(shard), 1u);
  monitor_snapshot current;
  current.model = model_a;
  current.events = 7;
  snapshot_shipment fresh{"a", {stored_snapshot{shard, 1, current}}};
  CAF_CHECK_EQUAL(ask<uint64_t>(allocator, fresh), 1u);
  auto old = current;
  old.events = 3;
  snapshot_shipment stale{"b", {stored_snapshot{shard, 0, old}}};
  CAF_CHECK_EQUAL(ask<uint64_t>(allocator, stale), 0u);
  auto back = ask<snapshot_shipment>(allocator, atom::restore::value,
                                     std::vector<uint32_t>{shard});
  CAF_REQUIRE_EQUAL(back.items.size(), 1u);
  CAF_CHECK_EQUAL(back.items[0].snapshot.events, 7u);
  // A node that leaves gets its answer once the map has moved its shards.
  auto moved = ask<uint64_t>(allocator, atom::leave::value, std::string{"a"});
  CAF_CHECK_EQUAL(moved, uint64_t{shard_count});
  CAF_REQUIRE(!log->maps.empty());
  for (auto owner : log->maps.back().owners)
    CAF_CHECK_EQUAL(owner, -1);
  // Its last snapshots are older than the shards now.
  CAF_CHECK_EQUAL(ask<uint64_t>(allocator, fresh), 0u);
  for (auto& x : {caf::actor_cast<caf::actor>(allocator),
                  caf::actor_cast<caf::actor>(member)})
    anon_send_exit(x, caf::exit_reason::user_shutdown);
}

CAF_TEST_FIXTURE_SCOPE_END()
