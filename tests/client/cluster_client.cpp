#define CAF_SUITE cluster_client
#include <caf/test/unit_test.hpp>

#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "retrain/cluster_client.hpp"
#include "retrain/ec.hpp"

// The cluster client against a coordinator and an owner's router that are
// plain actors in a second actor system, published on loopback ports: real
// sockets, an owner that answers as the test says. (The client against real
// nodes: tests/e2e/test_cluster_client.py.)

using namespace retrain;

namespace {

/// What the fake owner does with each shard batch.
enum class owner_mode {
  /// Accepts every event.
  accept,
  /// Refuses the event at position 1 as quarantined, accepts the others.
  refuse_second,
  /// Returns every event: not its shard by its map.
  return_all,
};

caf::actor_system_config& configure(caf::actor_system_config& cfg) {
  register_messages(cfg);
  cfg.load<caf::io::middleman>();
  cfg.set("logger.verbosity", caf::atom("quiet"));
  return cfg;
}

shard_router_actor::behavior_type fake_owner(shard_router_actor::pointer,
                                             owner_mode mode) {
  return {
    [=](shard_batch& x) {
      shard_reply reply;
      reply.version = x.version;
      uint64_t accepted = 0;
      for (uint64_t i = 0; i < x.events.size(); ++i) {
        if (mode == owner_mode::return_all) {
          reply.returned.push_back(i);
        } else if (mode == owner_mode::refuse_second && i == 1) {
          reply.report.rejects.push_back(event_reject{
            i, caf::make_error(ec::quarantined, "model quarantined")});
        } else {
          ++accepted;
        }
      }
      reply.report.ack.accepted = accepted;
      reply.report.ack.rejected = reply.report.rejects.size();
      return reply;
    },
    [=](atom::shards, atom::stats) -> caf::result<uint64_t, uint64_t> {
      return {uint64_t{0}, uint64_t{0}};
    },
    [=](atom::release, std::vector<uint32_t>&) { return snapshot_shipment{}; },
  };
}

/// A coordinator and one owner of every shard in their own actor system.
struct fake_cluster {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  uint16_t coordinator_port = 0;
  std::vector<caf::actor> actors;

  explicit fake_cluster(owner_mode mode) : sys(configure(cfg)) {
    auto owner = sys.spawn(fake_owner, mode);
    actors.push_back(caf::actor_cast<caf::actor>(owner));
    auto owner_port = sys.middleman().publish(owner, 0, "127.0.0.1");
    CAF_REQUIRE(owner_port);
    shard_table map;
    map.version = 4;
    map.nodes.push_back(shard_member{"owner:1", "127.0.0.1", *owner_port});
    map.owners.assign(4, 0);
    map.epochs.assign(4, 1);
    auto coordinator
      = sys.spawn([map]() -> shard_map_source_actor::behavior_type {
          return {[map](atom::shards) { return map; }};
        });
    actors.push_back(caf::actor_cast<caf::actor>(coordinator));
    auto port = sys.middleman().publish(coordinator, 0, "127.0.0.1");
    CAF_REQUIRE(port);
    coordinator_port = *port;
  }

  ~fake_cluster() {
    // The system waits for its actors when it goes.
    for (auto& a : actors)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
};

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;

  fixture() : sys(configure(cfg)) {
    // nop
  }

  cluster_client_config client_config(uint16_t coordinator_port) {
    cluster_client_config cc;
    cc.coordinators = {"127.0.0.1:" + std::to_string(coordinator_port)};
    cc.timeout = std::chrono::seconds(10);
    cc.attempts = 3;
    cc.retry_delay = std::chrono::milliseconds(10);
    cc.retry_delay_cap = std::chrono::milliseconds(20);
    return cc;
  }

  static metric_batch batch(size_t n) {
    metric_batch b;
    for (size_t i = 0; i < n; ++i)
      b.events.push_back(metric_event{"fake:m" + std::to_string(i) + ":1.0.0",
                                      metric_kind::accuracy, 0.9, 0});
    return b;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(cluster_client_tests, fixture)

CAF_TEST(invalid configurations are refused with a reason) {
  struct row {
    cluster_client_config cfg;
    std::string error_part;
  };
  auto with = [](auto change) {
    cluster_client_config c;
    c.coordinators = {"127.0.0.1:4243"};
    change(c);
    return c;
  };
  std::vector<row> rows{
    {with([](auto& c) { c.coordinators.clear(); }), "at least one coordinator"},
    {with([](auto& c) { c.coordinators = {"127.0.0.1"}; }), "not HOST:PORT"},
    {with([](auto& c) { c.coordinators = {"h:0"}; }), "not HOST:PORT"},
    {with([](auto& c) { c.coordinators = {"h:65536"}; }), "not HOST:PORT"},
    {with([](auto& c) { c.coordinators = {":4243"}; }), "not HOST:PORT"},
    {with([](auto& c) { c.attempts = 0; }), "at least 1 attempt"},
    {with([](auto& c) { c.timeout = std::chrono::milliseconds(0); }),
     "timeout"},
    {with([](auto& c) {
       c.retry_delay_cap = c.retry_delay - std::chrono::milliseconds(1);
     }),
     "retry delay"},
  };
  for (auto& r : rows) {
    auto client = cluster_client::start(sys, r.cfg);
    CAF_REQUIRE(!client);
    auto text = sys.render(client.error());
    CAF_CHECK(text.find(r.error_part) != std::string::npos);
  }
  auto ok = cluster_client::start(sys, with([](auto&) {}));
  CAF_CHECK(ok);
}

CAF_TEST(an owners refusal keeps its reason and the rest is accepted) {
  fake_cluster cluster{owner_mode::refuse_second};
  auto client = cluster_client::start(sys,
                                      client_config(cluster.coordinator_port));
  CAF_REQUIRE(client);
  auto b = batch(5);
  // Refused by the client itself: never sent.
  b.events[3].value = std::numeric_limits<double>::quiet_NaN();
  auto ack = client->send(std::move(b));
  CAF_REQUIRE(ack);
  CAF_CHECK_EQUAL(ack->accepted, 3u);
  CAF_CHECK_EQUAL(ack->rejected, 2u);
  CAF_CHECK_EQUAL(ack->first_error, "event 1: model quarantined");
  auto sent = client->sent();
  CAF_REQUIRE(sent);
  CAF_CHECK_EQUAL(sent->first, 4u);
  CAF_CHECK_EQUAL(sent->second, 0u);
  auto map = client->map();
  CAF_REQUIRE(map);
  CAF_CHECK_EQUAL(map->version, 4u);
}

CAF_TEST(events no owner takes are rejected after the last attempt) {
  fake_cluster cluster{owner_mode::return_all};
  auto client = cluster_client::start(sys,
                                      client_config(cluster.coordinator_port));
  CAF_REQUIRE(client);
  auto ack = client->send(batch(3));
  CAF_REQUIRE(ack);
  CAF_CHECK_EQUAL(ack->accepted, 0u);
  CAF_CHECK_EQUAL(ack->rejected, 3u);
  CAF_CHECK(ack->first_error.find("event 0: not delivered after 3 attempts")
            == 0);
  CAF_CHECK(ack->first_error.find("does not own its shard")
            != std::string::npos);
  // Each event went three times, and waited for a new map after each.
  auto sent = client->sent();
  CAF_REQUIRE(sent);
  CAF_CHECK_EQUAL(sent->first, 9u);
  CAF_CHECK_EQUAL(sent->second, 9u);
}

CAF_TEST(an accepted batch needs no second map) {
  fake_cluster cluster{owner_mode::accept};
  auto client = cluster_client::start(sys,
                                      client_config(cluster.coordinator_port));
  CAF_REQUIRE(client);
  for (int round = 0; round < 3; ++round) {
    auto ack = client->send(batch(10));
    CAF_REQUIRE(ack);
    CAF_CHECK_EQUAL(ack->accepted, 10u);
    CAF_CHECK_EQUAL(ack->rejected, 0u);
    CAF_CHECK_EQUAL(ack->first_error, "");
  }
  auto empty = client->send(metric_batch{});
  CAF_REQUIRE(empty);
  CAF_CHECK_EQUAL(empty->accepted, 0u);
  auto sent = client->sent();
  CAF_REQUIRE(sent);
  CAF_CHECK_EQUAL(sent->first, 30u);
  CAF_CHECK_EQUAL(sent->second, 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
