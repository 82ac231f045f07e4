#define CAF_SUITE shard_router_lease
#include "test_support.hpp"

#include <map>
#include <string>

#include "retrain/core/shard_map.hpp"
#include "retrain/ec.hpp"
#include "retrain/shard_allocator.hpp"
#include "retrain/shard_router.hpp"
#include "retrain/supervisor.hpp"

#include "shard_support.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

// A link stand-in: the router subscribes and joins through it; the tests
// send the router what a link would (maps and lease renewals) themselves.
caf::behavior silent_link(caf::event_based_actor* self) {
  // Swallows everything else without an error, which would end the
  // router.
  self->set_default_handler(
    [](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
      return caf::message{};
    });
  // Nothing is stored at this coordinator: a shard taken over starts
  // with no snapshots, and shipments are taken.
  return {
    [](atom::restore, std::vector<uint32_t>&) { return snapshot_shipment{}; },
    [](snapshot_shipment& x) { return uint64_t{x.items.size()}; },
  };
}

// Monitor node "a" with a link, so it applies its shards only under the
// ownership lease (connection timeout 3 s: term 1.5 s), and "b", a peer
// without one.
struct fixture : actor_fixture {
  supervisor_actor sup_a;
  supervisor_actor sup_b;
  shard_router_self_actor a;
  shard_router_self_actor b;
  caf::actor link;

  fixture() {
    auto cfg = monitor_config::defaults();
    sup_a = sys.spawn(supervisor, cfg, coordinator_link_actor{});
    sup_b = sys.spawn(supervisor, cfg, coordinator_link_actor{});
    link = sys.spawn(silent_link);
    a = sys.spawn(shard_router, sup_a,
                  caf::actor_cast<coordinator_link_actor>(link), 10000ms,
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
          caf::actor_cast<caf::actor>(sup_b), link})
      anon_send_exit(x, caf::exit_reason::user_shutdown);
    drain();
  }

  int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
             sched.clock().now().time_since_epoch())
      .count();
  }

  // A renewal the coordinator answered, sent now, its map at `version`.
  void renew(uint64_t version) {
    self->send(a, atom::lease::value, now_ns(), version);
    drain();
  }

  // A map of 8 shards at `version`, every epoch `epoch`: a owns the even
  // ones, b the odd ones; `alone`: a is its only member and owns all.
  static shard_table map(uint64_t version, uint64_t epoch, bool alone = false) {
    shard_table t;
    t.version = version;
    t.nodes = {shard_member{"a", "a", 1}};
    if (!alone)
      t.nodes.push_back(shard_member{"b", "b", 2});
    for (int32_t s = 0; s < 8; ++s) {
      t.owners.push_back(alone ? 0 : s % 2);
      t.epochs.push_back(epoch);
    }
    return t;
  }

  uint64_t events_at(const supervisor_actor& sup) {
    uint64_t n = 0;
    for (auto& st : ask<std::vector<model_status>>(sup, atom::status::value))
      n += st.events;
    return n;
  }

  // Has a hold its shards (the even ones) under a map of both nodes at
  // `version`, past the settling of its first map.
  void own(uint64_t version) {
    self->send(a, map(version, 1));
    drain();
    advance_time(1500ms);
    drain();
  }

  // Lets `ticks` retry intervals pass, processing what they trigger.
  void wait_ticks(int ticks) {
    for (int i = 0; i < ticks; ++i) {
      advance_time(shard_router_state::retry_interval);
      drain();
    }
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(shard_router_lease_tests, fixture)

CAF_TEST(the supervisor applies a leased batch only before its deadline) {
  auto batch = batch_of({model_owned_by(0, 0), model_owned_by(0, 1)});
  auto late = ask<lease_report>(sup_a, lease_batch{now_ns(), batch});
  CAF_CHECK(late.expired);
  CAF_CHECK_EQUAL(late.report.ack.accepted, 0u);
  CAF_CHECK_EQUAL(late.returned.events.size(), 2u);
  CAF_CHECK_EQUAL(events_at(sup_a), 0u);
  auto in_time = ask<lease_report>(sup_a, lease_batch{now_ns() + 1, batch});
  CAF_CHECK(!in_time.expired);
  CAF_CHECK_EQUAL(in_time.report.ack.accepted, 2u);
  CAF_CHECK_EQUAL(in_time.applied_ns, now_ns());
  CAF_CHECK_EQUAL(events_at(sup_a), 2u);
}

CAF_TEST(
  a node applies its shards only while the coordinator renews its lease) {
  own(1);
  auto mine = model_owned_by(0, 0);
  // A map but no renewal yet: the event waits.
  auto res = self->request(a, caf::infinite, batch_of({mine}));
  drain();
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK_EQUAL(events_at(sup_a), 0u);
  renew(1);
  require_answers();
  res.receive([&](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
              [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(events_at(sup_a), 1u);
  // No renewal for a term (1.5 s): events wait again.
  advance_time(1500ms);
  drain();
  res = self->request(a, caf::infinite, batch_of({mine}));
  drain();
  wait_ticks(3);
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK_EQUAL(events_at(sup_a), 1u);
  // A renewal that names a newer map than the router has: still waits.
  renew(2);
  wait_ticks(1);
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK_EQUAL(events_at(sup_a), 1u);
  self->send(a, map(2, 1));
  drain();
  wait_ticks(1);
  require_answers();
  res.receive([&](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
              [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(events_at(sup_a), 2u);
  // A lost link revokes the lease at once.
  self->send(a, atom::lease::value, int64_t{-1}, uint64_t{0});
  drain();
  res = self->request(a, caf::infinite, batch_of({mine}));
  drain();
  wait_ticks(2);
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK_EQUAL(events_at(sup_a), 2u);
}

CAF_TEST(
  a batch that outlived the lease in the supervisor mailbox is not applied) {
  own(1);
  renew(1);
  auto mine = model_owned_by(0, 0);
  auto res = self->request(a, caf::infinite, batch_of({mine}));
  // The router hands the batch on; then the node is stopped past the
  // lease before the supervisor gets to it.
  expect((metric_batch), from(self).to(a));
  advance_time(1500ms);
  drain();
  // Given back, parked, never applied while the lease is gone.
  wait_ticks(5);
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK_EQUAL(events_at(sup_a), 0u);
  // A renewal after the node resumed lets it through.
  renew(1);
  wait_ticks(1);
  require_answers();
  res.receive([&](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
              [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(events_at(sup_a), 1u);
}

CAF_TEST(forwarded events under another epoch of their shard go back) {
  own(1);
  renew(1);
  auto mine = model_owned_by(0, 0);
  // The sender routed the first event under epoch 2 of its shard; a holds
  // it at epoch 1.
  auto reply = ask<shard_reply>(
    a, shard_batch{2, batch_of({mine, mine}).events, {2, 1}});
  CAF_CHECK_EQUAL(reply.report.ack.accepted, 1u);
  CAF_CHECK_EQUAL(reply.returned, std::vector<uint64_t>{0});
  CAF_CHECK_EQUAL(events_at(sup_a), 1u);
  // Without the lease nothing a peer forwards is applied.
  advance_time(1500ms);
  drain();
  reply = ask<shard_reply>(a, shard_batch{1, batch_of({mine}).events, {1}});
  CAF_CHECK_EQUAL(reply.report.ack.accepted, 0u);
  CAF_CHECK_EQUAL(reply.returned, std::vector<uint64_t>{0});
  CAF_CHECK_EQUAL(events_at(sup_a), 1u);
}

CAF_TEST(the only monitor node applies without the lease) {
  // As a single monitor node did before shards: nobody else can be given
  // its shards while the coordinator is down.
  self->send(a, map(1, 1, true));
  drain();
  auto ack = ask<ingest_ack>(a, batch_of({model_owned_by(1, 0)}));
  CAF_CHECK_EQUAL(ack.accepted, 1u);
  self->send(a, atom::lease::value, int64_t{-1}, uint64_t{0});
  drain();
  ack = ask<ingest_ack>(a, batch_of({model_owned_by(0, 0)}));
  CAF_CHECK_EQUAL(ack.accepted, 1u);
  CAF_CHECK_EQUAL(events_at(sup_a), 2u);
}

CAF_TEST(a shard taken over from another node waits a term before it applies) {
  // First map among two members: a's shards settle for a term.
  self->send(a, map(1, 1));
  renew(1);
  auto mine = model_owned_by(0, 0);
  auto res = self->request(a, caf::infinite, batch_of({mine}));
  drain();
  wait_ticks(10);
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  CAF_CHECK_EQUAL(events_at(sup_a), 0u);
  renew(1);
  wait_ticks(6);
  require_answers();
  res.receive([&](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
              [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(events_at(sup_a), 1u);
  // b's odd shards come to a at epoch 2: they settle; a's own, unchanged
  // at epoch 1, go on at once.
  auto all = map(2, 1, true);
  for (uint32_t s = 1; s < 8; s += 2)
    all.epochs[s] = 2;
  self->send(a, all);
  renew(2);
  auto gained = model_owned_by(1, 0);
  auto ack = ask<ingest_ack>(a, batch_of({mine}));
  CAF_CHECK_EQUAL(ack.accepted, 1u);
  res = self->request(a, caf::infinite, batch_of({gained}));
  drain();
  wait_ticks(10);
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  renew(2);
  wait_ticks(6);
  require_answers();
  res.receive([&](ingest_ack& ack) { CAF_CHECK_EQUAL(ack.accepted, 1u); },
              [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(events_at(sup_a), 3u);
}

CAF_TEST(the coordinator renews the lease of members only) {
  auto alloc = sys.spawn(shard_allocator, std::unique_ptr<shard_store>{},
                         uint32_t{8});
  // Not joined (or lost): no renewal, so a lost node cannot renew its way
  // back to shards given away.
  auto res = self->request(alloc, caf::infinite, atom::lease::value);
  drain();
  require_answers();
  res.receive([&](uint64_t) { CAF_FAIL("renewed the lease of no member"); },
              [&](caf::error& err) { CAF_CHECK_EQUAL(err, ec::unreachable); });
  self->send(alloc, shard_member{"a", "a", 1});
  drain();
  auto version = ask<uint64_t>(alloc, atom::lease::value);
  CAF_CHECK_EQUAL(version, 8u);
  anon_send_exit(alloc, caf::exit_reason::user_shutdown);
  drain();
}

CAF_TEST_FIXTURE_SCOPE_END()
