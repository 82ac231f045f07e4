#define CAF_SUITE coordinator_gate
#include "test_support.hpp"

#include "retrain/coordinator_gate.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

/// What the keeper and link stand-ins heard from the gate.
struct gate_log {
  /// How often the gate told the keeper that it stepped down.
  int keeper_told = 0;
  /// The epochs links were told the coordinator stepped down from.
  std::vector<uint64_t> link_told;
};

caf::behavior fake_keeper(std::shared_ptr<gate_log> log) {
  return {
    [log](atom::standby) { ++log->keeper_told; },
  };
}

caf::behavior fake_gate_link(std::shared_ptr<gate_log> log) {
  return {
    [log](atom::standby, uint64_t epoch) { log->link_told.push_back(epoch); },
  };
}

int64_t steady_ns(std::chrono::steady_clock::time_point t) {
  return t.time_since_epoch().count();
}

struct fixture : actor_fixture {
  std::shared_ptr<write_fence> fence = std::make_shared<write_fence>();
  std::shared_ptr<gate_log> heard = std::make_shared<gate_log>();
  std::shared_ptr<coordinator_log> seen = std::make_shared<coordinator_log>();
  caf::actor gate;
  caf::actor keeper = sys.spawn(fake_keeper, heard);
  caf::actor link = sys.spawn(fake_gate_link, heard);
  coordinator_actor coordinator = sys.spawn(fake_coordinator, seen);
  registry_actor registry;

  fixture() {
    gate = sys.spawn(coordinator_gate, core::lease_timing{3000ms}, fence,
                     "0.1.0 (git test)");
    registry = caf::actor_cast<registry_actor>(sys.spawn(fake_keeper, heard));
    caf::send_as(keeper, gate, atom::linkup::value, keeper);
    drain();
  }

  ~fixture() {
    // The gate checks its self-fence on a timer, and the base fixture
    // fires every timer when it ends: stop it first.
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    drain();
  }

  // The keeper hands over a coordinator at `epoch`, its last renewal sent
  // at `sent`.
  void activate(uint64_t epoch, std::chrono::steady_clock::time_point sent
                                = std::chrono::steady_clock::now()) {
    // A gate that stepped down stopped the last ones: new ones, as the
    // keeper spawns them.
    coordinator = sys.spawn(fake_coordinator, seen);
    registry = caf::actor_cast<registry_actor>(sys.spawn(fake_keeper, heard));
    fence->hold(static_cast<int64_t>(epoch));
    caf::send_as(keeper, gate, atom::linkup::value,
                 caf::actor_cast<dispatcher_actor>(coordinator), registry,
                 epoch, steady_ns(sent));
    drain();
  }

  // The error the gate answers `atom::standby` with, or none.
  caf::error probe_error() {
    auto res = self->request(gate, caf::infinite, atom::standby::value);
    drain();
    require_answers();
    caf::error result;
    res.receive([](uint64_t) {}, [&](caf::error& err) { result = err; });
    return result;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(coordinator_gate_tests, fixture)

CAF_TEST(a standby answers every request with standby and passes nothing on) {
  CAF_CHECK_EQUAL(probe_error(), ec::standby);
  auto res = self->request(gate, caf::infinite, retrain_trigger{});
  drain();
  require_answers();
  res.receive([](trigger_ack&) { CAF_FAIL("a standby took a trigger"); },
              [](caf::error& err) { CAF_CHECK_EQUAL(err, ec::standby); });
  caf::send_as(link, gate, atom::hello::value, std::string{"0.2.0"});
  drain();
  CAF_CHECK(seen->triggers.empty());
  CAF_CHECK(seen->hellos.empty());
}

CAF_TEST(an active gate passes every message on and answers with its epoch) {
  activate(4);
  CAF_CHECK_EQUAL(ask<uint64_t>(gate, atom::standby::value), 4u);
  // The coordinator hears the version of its own node, then the link's.
  caf::send_as(link, gate, atom::hello::value, std::string{"0.2.0"});
  drain();
  CAF_CHECK_EQUAL(seen->hellos,
                  (std::vector<std::string>{"0.1.0 (git test)", "0.2.0"}));
  // A request is answered by the coordinator, straight to the asker.
  retrain_trigger trigger;
  trigger.id = "t1";
  auto ack = ask<trigger_ack>(gate, trigger);
  CAF_CHECK_EQUAL(ack.trigger_id, "t1");
  CAF_CHECK_EQUAL(seen->triggers.size(), 1u);
}

CAF_TEST(only the keeper hands over a coordinator) {
  caf::send_as(link, gate, atom::linkup::value,
               caf::actor_cast<dispatcher_actor>(coordinator), registry,
               uint64_t{2}, steady_ns(std::chrono::steady_clock::now()));
  drain();
  CAF_CHECK_EQUAL(probe_error(), ec::standby);
}

CAF_TEST(a write that found another epoch makes the gate step down) {
  activate(4);
  caf::send_as(link, gate, atom::hello::value, std::string{"0.2.0"});
  drain();
  fence->lose(5);
  CAF_CHECK_EQUAL(probe_error(), ec::standby);
  // The links look elsewhere, the keeper lets the lease go, no write
  // passes, and the coordinator gets nothing more.
  CAF_CHECK_EQUAL(heard->link_told, std::vector<uint64_t>{4});
  CAF_CHECK_EQUAL(heard->keeper_told, 1);
  CAF_CHECK_EQUAL(fence->epoch(), 0);
  auto res = self->request(gate, caf::infinite, retrain_trigger{});
  drain();
  require_answers();
  res.receive([](trigger_ack&) { CAF_FAIL("a trigger after stepping down"); },
              [](caf::error& err) { CAF_CHECK_EQUAL(err, ec::standby); });
  CAF_CHECK(seen->triggers.empty());
}

CAF_TEST(an active gate stops acting once its last renewal is too old) {
  // A renewal sent 2 s ago: within the self-fence time (1.8 s of 3 s)?
  // No: it stops at once.
  activate(7, std::chrono::steady_clock::now() - 2s);
  CAF_CHECK_EQUAL(probe_error(), ec::standby);
  CAF_CHECK_EQUAL(fence->epoch(), 0);
  CAF_CHECK_EQUAL(heard->keeper_told, 1);
  // Taken again (the keeper won a later epoch), renewed in time: active.
  activate(9);
  CAF_CHECK_EQUAL(ask<uint64_t>(gate, atom::standby::value), 9u);
  // A renewal of another epoch does not count.
  caf::send_as(keeper, gate, atom::lease::value, uint64_t{8},
               steady_ns(std::chrono::steady_clock::now()));
  drain();
  CAF_CHECK_EQUAL(ask<uint64_t>(gate, atom::standby::value), 9u);
}

CAF_TEST(a stopping node makes the gate step down) {
  activate(3);
  CAF_CHECK_EQUAL(ask<uint64_t>(gate, atom::drain::value), 0u);
  CAF_CHECK_EQUAL(probe_error(), ec::standby);
  CAF_CHECK_EQUAL(heard->keeper_told, 1);
}

CAF_TEST_FIXTURE_SCOPE_END()
