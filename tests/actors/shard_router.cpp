#define CAF_SUITE shard_router
#include "test_support.hpp"

#include <map>
#include <string>

#include "retrain/core/shard_map.hpp"
#include "retrain/shard_router.hpp"
#include "retrain/supervisor.hpp"

#include "shard_support.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

// Two monitor nodes, "a" and "b", each a router in front of its own
// supervisor; b's router is a's peer at "b:2" (as if reached over the
// network).
struct fixture : actor_fixture {
  supervisor_actor sup_a;
  supervisor_actor sup_b;
  shard_router_self_actor a;
  shard_router_self_actor b;

  fixture() {
    auto cfg = monitor_config::defaults();
    sup_a = sys.spawn(supervisor, cfg, coordinator_link_actor{});
    sup_b = sys.spawn(supervisor, cfg, coordinator_link_actor{});
    a = sys.spawn(shard_router, sup_a, coordinator_link_actor{}, 10000ms,
                  5000ms);
    b = sys.spawn(shard_router, sup_b, coordinator_link_actor{}, 10000ms,
                  5000ms);
    self->send(a, shard_member{"a", "a", 1});
    self->send(b, shard_member{"b", "b", 2});
    self->send(a, atom::linkup::value, std::string{"b:2"},
               shard_router_actor{b});
    self->send(b, atom::linkup::value, std::string{"a:1"},
               shard_router_actor{a});
    drain();
  }

  ~fixture() {
    for (auto& x :
         {caf::actor_cast<caf::actor>(a), caf::actor_cast<caf::actor>(b),
          caf::actor_cast<caf::actor>(sup_a),
          caf::actor_cast<caf::actor>(sup_b)})
      anon_send_exit(x, caf::exit_reason::user_shutdown);
    drain();
  }

  // A map of 8 shards: a owns the even ones, b the odd ones (or `all`
  // every one).
  static shard_table map(uint64_t version, const std::string& all = {}) {
    shard_table t;
    t.version = version;
    t.nodes = {shard_member{"a", "a", 1}, shard_member{"b", "b", 2}};
    for (int32_t s = 0; s < 8; ++s) {
      t.owners.push_back(all.empty() ? s % 2 : (all == "a" ? 0 : 1));
      t.epochs.push_back(version);
    }
    return t;
  }

  std::map<std::string, uint64_t> events_at(const supervisor_actor& sup) {
    std::map<std::string, uint64_t> result;
    for (auto& st : ask<std::vector<model_status>>(sup, atom::status::value))
      result[st.model] = st.events;
    return result;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(shard_router_tests, fixture)

CAF_TEST(each event is applied at the owner of its shard and only there) {
  self->send(a, map(1));
  self->send(b, map(1));
  drain();
  auto a0 = model_owned_by(0, 0);
  auto a1 = model_owned_by(0, 1);
  auto b0 = model_owned_by(1, 0);
  auto ack = ask<ingest_ack>(a, batch_of({a0, b0, a1, b0, b0}));
  CAF_CHECK_EQUAL(ack.accepted, 5u);
  CAF_CHECK_EQUAL(ack.rejected, 0u);
  // The same through b: b's own events stay, a's go to a.
  ack = ask<ingest_ack>(b, batch_of({a0, b0}));
  CAF_CHECK_EQUAL(ack.accepted, 2u);
  using counts = std::map<std::string, uint64_t>;
  CAF_CHECK_EQUAL(events_at(sup_a), (counts{{a0, 2}, {a1, 1}}));
  CAF_CHECK_EQUAL(events_at(sup_b), (counts{{b0, 4}}));
}

CAF_TEST(events wait for a map and are applied once it comes) {
  auto a0 = model_owned_by(0, 0);
  auto b0 = model_owned_by(1, 0);
  auto res = self->request(a, caf::infinite, batch_of({a0, b0}));
  drain();
  // No map: nothing applied, no answer yet.
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK(events_at(sup_a).empty());
  self->send(b, map(1));
  self->send(a, map(1));
  drain();
  require_answers();
  res.receive(
    [&](ingest_ack& ack) {
      CAF_CHECK_EQUAL(ack.accepted, 2u);
      CAF_CHECK_EQUAL(ack.rejected, 0u);
    },
    [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(events_at(sup_a).size(), 1u);
  CAF_CHECK_EQUAL(events_at(sup_b).size(), 1u);
}

CAF_TEST(an owner with an older map sends events back until it catches up) {
  // b still thinks a owns everything; a knows b owns the odd shards.
  self->send(b, map(1, "a"));
  self->send(a, map(2));
  drain();
  auto b0 = model_owned_by(1, 0);
  auto res = self->request(a, caf::infinite, batch_of({b0}));
  drain();
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK(events_at(sup_a).empty());
  CAF_CHECK(events_at(sup_b).empty());
  // b gets the new map; a's retry timer routes the event again.
  self->send(b, map(2));
  drain();
  advance_time(shard_router_state::retry_interval);
  drain();
  require_answers();
  res.receive([&](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
              [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(events_at(sup_b).size(), 1u);
  CAF_CHECK(events_at(sup_a).empty());
}

CAF_TEST(events with no reachable owner are refused before ingest gives up) {
  auto res = self->request(a, caf::infinite, batch_of({model_owned_by(0, 0)}));
  drain();
  for (int i = 0; i < 80; ++i) {
    advance_time(shard_router_state::retry_interval);
    drain();
  }
  require_answers();
  res.receive(
    [&](ingest_ack& ack) {
      CAF_CHECK_EQUAL(ack.accepted, 0u);
      CAF_CHECK_EQUAL(ack.rejected, 1u);
      CAF_CHECK_NOT_EQUAL(ack.first_error.find("send it again"),
                          std::string::npos);
    },
    [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK(events_at(sup_a).empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
