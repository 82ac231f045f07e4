#define CAF_SUITE monitor
#include "test_support.hpp"

#include "retrain/monitor.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

const std::string model = "cv:anomaly:1.2.0";

struct fixture : actor_fixture {
  std::shared_ptr<supervisor_log> seen = std::make_shared<supervisor_log>();
  monitor_parent_actor sup = sys.spawn(fake_supervisor, seen);

  // A monitor of `model` watching accuracy below 0.9 with alpha 1, so the
  // EWMA equals the last value and tables stay readable.
  monitor_actor spawn_monitor(uint64_t min_samples, uint64_t breaches,
                              std::chrono::milliseconds cooldown) {
    monitor_config cfg;
    cfg.alpha = 1.0;
    cfg.min_samples = min_samples;
    cfg.consecutive_breaches = breaches;
    cfg.cooldown = cooldown;
    cfg.watch_threshold(metric_kind::accuracy, 0.9);
    monitor_start start;
    start.model = model;
    start.setup = monitor_setup::make(cfg);
    return sys.spawn<monitor_impl>(std::move(start), sup);
  }

  void feed(const monitor_actor& mon, std::vector<double> values) {
    self->send(mon, run_of(metric_kind::accuracy, std::move(values)));
    drain();
  }

  void finish_job(const monitor_actor& mon, job_state state,
                  std::string version = "") {
    self->send(mon,
               line_state{"cv:anomaly", is_active(state), std::move(version)});
    drain();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(monitor_tests, fixture)

CAF_TEST(warm up holds back the first decisions) {
  auto mon = spawn_monitor(4, 1, 0ms);
  feed(mon, {0.5, 0.5, 0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 0u);
  feed(mon, {0.5});
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  auto& reason = seen->triggers[0].reason;
  CAF_CHECK_EQUAL(seen->triggers[0].model, model);
  CAF_CHECK_EQUAL(reason.strategy, "ewma_threshold");
  CAF_CHECK_EQUAL(reason.kind, metric_kind::accuracy);
  CAF_CHECK_EQUAL(reason.statistic, 0.5);
  CAF_CHECK_EQUAL(reason.threshold, 0.9);
  CAF_CHECK_EQUAL(reason.samples, 4u);
}

CAF_TEST(hysteresis needs consecutive breaches) {
  auto mon = spawn_monitor(1, 3, 0ms);
  feed(mon, {0.5, 0.5, 0.95, 0.5, 0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 0u);
  feed(mon, {0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 1u);
}

CAF_TEST(one trigger per episode while the job is active) {
  auto mon = spawn_monitor(1, 1, 0ms);
  feed(mon, {0.5, 0.5, 0.5, 0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 1u);
  finish_job(mon, job_state::running);
  feed(mon, {0.5, 0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 1u);
  finish_job(mon, job_state::failed);
  feed(mon, {0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 2u);
}

CAF_TEST(cooldown keeps the monitor quiet after a trigger) {
  auto mon = spawn_monitor(1, 1, 10000ms);
  feed(mon, {0.5});
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  finish_job(mon, job_state::failed);
  advance_time(9s);
  feed(mon, {0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 1u);
  advance_time(1s);
  feed(mon, {0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 2u);
}

CAF_TEST(a newer registered version makes the monitor stand down) {
  auto mon = spawn_monitor(1, 1, 0ms);
  feed(mon, {0.5});
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  finish_job(mon, job_state::succeeded, "1.2.1");
  feed(mon, {0.5, 0.5, 0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 1u);
  auto st = ask<model_status>(mon, atom::status::value);
  CAF_CHECK_EQUAL(st.state, "standing-down");
  CAF_CHECK_EQUAL(st.events, 4u);
  CAF_REQUIRE_EQUAL(st.kinds.size(), 1u);
  CAF_CHECK_EQUAL(st.kinds[0].samples, 4u);
}

CAF_TEST(an older registered version does not ) {
  auto mon = spawn_monitor(1, 1, 0ms);
  finish_job(mon, job_state::succeeded, "1.1.9");
  feed(mon, {0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 1u);
}

CAF_TEST(snapshots go out when asked and state changed) {
  auto mon = spawn_monitor(1, 1, 0ms);
  feed(mon, {0.95, 0.96});
  CAF_CHECK_EQUAL(seen->snapshots.size(), 0u);
  self->send(mon, atom::tick::value);
  drain();
  CAF_REQUIRE_EQUAL(seen->snapshots.size(), 1u);
  CAF_CHECK_EQUAL(seen->snapshots[0].model, model);
  CAF_CHECK_EQUAL(seen->snapshots[0].events, 2u);
  // Nothing changed: no snapshot.
  self->send(mon, atom::tick::value);
  drain();
  CAF_CHECK_EQUAL(seen->snapshots.size(), 1u);
  // A trigger is snapshotted at once.
  feed(mon, {0.5});
  CAF_CHECK_EQUAL(seen->snapshots.size(), 2u);
  CAF_CHECK_EQUAL(seen->snapshots[1].triggers, 1u);
}

CAF_TEST(per prediction outcomes feed binary detectors the error indicator) {
  // DDM on accuracy: 1 = correct prediction, the detector sees 1 - x.
  monitor_config cfg;
  kind_watch w;
  w.strategy = "ddm";
  cfg.kinds[static_cast<size_t>(metric_kind::accuracy)] = w;
  cfg.cooldown = 0ms;
  monitor_start start;
  start.model = model;
  start.setup = monitor_setup::make(cfg);
  auto mon = sys.spawn<monitor_impl>(std::move(start), sup);
  // Mostly correct predictions: no drift.
  std::vector<double> good;
  for (int i = 0; i < 200; ++i)
    good.push_back(i % 10 == 0 ? 0.0 : 1.0);
  feed(mon, good);
  CAF_CHECK_EQUAL(seen->triggers.size(), 0u);
  // Then the model gets most predictions wrong: DDM drifts.
  feed(mon, std::vector<double>(100, 0.0));
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen->triggers[0].reason.strategy, "ddm");
  CAF_CHECK_EQUAL(seen->triggers[0].reason.kind, metric_kind::accuracy);
}

CAF_TEST(a snapshot whose parts do not pair up restores no strategy) {
  monitor_config cfg;
  cfg.alpha = 1.0;
  cfg.min_samples = 1;
  cfg.consecutive_breaches = 1;
  cfg.watch_threshold(metric_kind::accuracy, 0.9);
  monitor_snapshot snap;
  snap.events = 7;
  snap.kinds = {metric_kind::accuracy, static_cast<metric_kind>(42)};
  snap.strategies = {core::strategy_snapshot{"ewma_threshold", {}}};
  monitor_start start;
  start.model = model;
  start.setup = monitor_setup::make(cfg);
  start.snapshot = snap;
  auto mon = sys.spawn<monitor_impl>(std::move(start), sup);
  auto st = ask<model_status>(mon, atom::status::value);
  CAF_CHECK_EQUAL(st.events, 7u);
  CAF_CHECK(st.kinds.empty()); // fresh: no samples
  feed(mon, {0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 1u);
}

CAF_TEST(monitors sharing one behavior keep their own state) {
  // Every monitor of a process runs the same behavior: each handler must
  // act on the monitor that got the message, however they interleave.
  monitor_config cfg;
  cfg.alpha = 1.0;
  cfg.min_samples = 1;
  cfg.consecutive_breaches = 1;
  cfg.watch_threshold(metric_kind::accuracy, 0.9);
  auto setup = monitor_setup::make(cfg);
  auto spawn_of = [&](std::string id) {
    monitor_start start;
    start.model = std::move(id);
    start.setup = setup;
    return sys.spawn<monitor_impl>(std::move(start), sup);
  };
  auto good = spawn_of("cv:good:1.0.0");
  auto bad = spawn_of("cv:bad:1.0.0");
  for (int i = 0; i < 3; ++i) {
    self->send(good, run_of(metric_kind::accuracy, {0.95}));
    self->send(bad, run_of(metric_kind::accuracy, {0.5, 0.5}));
  }
  drain();
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen->triggers[0].model, "cv:bad:1.0.0");
  auto g = ask<model_status>(good, atom::status::value);
  auto b = ask<model_status>(bad, atom::status::value);
  CAF_CHECK_EQUAL(g.model, "cv:good:1.0.0");
  CAF_CHECK_EQUAL(g.events, 3u);
  CAF_CHECK_EQUAL(g.triggers, 0u);
  CAF_CHECK_EQUAL(b.model, "cv:bad:1.0.0");
  CAF_CHECK_EQUAL(b.events, 6u);
  CAF_CHECK_EQUAL(b.triggers, 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST(monitors on scheduler threads each apply their own events) {
  // The shared behavior finds its monitor per thread: on a real scheduler
  // with two threads, 200 monitors fed at once each count exactly theirs.
  test_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system real{cfg};
  monitor_config mcfg;
  mcfg.watch_threshold(metric_kind::accuracy, 0.0);
  auto setup = monitor_setup::make(mcfg);
  caf::scoped_actor me{real};
  auto parent = real.spawn(fake_supervisor, std::make_shared<supervisor_log>());
  std::vector<monitor_actor> mons;
  for (int i = 0; i < 200; ++i) {
    monitor_start start;
    start.model = "cv:m" + std::to_string(i) + ":1.0.0";
    start.setup = setup;
    mons.push_back(real.spawn<monitor_impl>(std::move(start), parent));
  }
  for (int round = 0; round < 50; ++round)
    for (std::size_t i = 0; i < mons.size(); ++i)
      me->send(mons[i], run_of(metric_kind::accuracy,
                               std::vector<double>(i % 7 + 1, 0.95)));
  for (std::size_t i = 0; i < mons.size(); ++i) {
    model_status st;
    me->request(mons[i], caf::infinite, atom::status::value)
      .receive([&](model_status& x) { st = std::move(x); },
               [&](caf::error& err) { CAF_FAIL(real.render(err)); });
    CAF_CHECK_EQUAL(st.model, "cv:m" + std::to_string(i) + ":1.0.0");
    CAF_CHECK_EQUAL(st.events, 50u * (i % 7 + 1));
  }
  for (auto& m : mons)
    me->send_exit(m, caf::exit_reason::user_shutdown);
  me->send_exit(parent, caf::exit_reason::user_shutdown);
}
