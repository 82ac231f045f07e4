#define CAF_SUITE policies
#include "test_support.hpp"

#include "retrain/config_error.hpp"
#include "retrain/dispatcher.hpp"
#include "retrain/job_store.hpp"
#include "retrain/monitor.hpp"
#include "retrain/registry.hpp"
#include "retrain/supervisor.hpp"
#include "retrain/version_store.hpp"

#include "store_support.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

const std::string model = "cv:anomaly:1.2.0";

// A node watching accuracy below 0.9 with alpha 1 (the EWMA is the last
// value), warm-up 3, one breach, no cooldown.
monitor_config node_config() {
  monitor_config cfg;
  cfg.alpha = 1.0;
  cfg.min_samples = 3;
  cfg.consecutive_breaches = 1;
  cfg.cooldown = 0ms;
  cfg.watch_threshold(metric_kind::accuracy, 0.9);
  cfg.watch_threshold(metric_kind::latency_ms, 100);
  return cfg;
}

// What a monitor of a line under `text` (for `pattern`) runs.
monitor_policy policy_of(const char* pattern, uint64_t version,
                         const char* text) {
  auto p = core::parse_policy_pattern(pattern);
  auto v = core::parse_policy(text);
  CAF_REQUIRE(p && v);
  core::stored_policy stored{*p, version, *v};
  return monitor_setup::describe(
    core::resolve(node_config().policy_base(), &stored));
}

policy_record record_of(const char* pattern, uint64_t version,
                        const char* text) {
  policy_record result;
  result.pattern = pattern;
  result.version = version;
  result.text = text;
  return result;
}

const kind_status* kind_of(const model_status& st, metric_kind kind) {
  for (auto& k : st.kinds)
    if (k.kind == kind)
      return &k;
  return nullptr;
}

struct monitor_fixture : actor_fixture {
  std::shared_ptr<supervisor_log> seen = std::make_shared<supervisor_log>();
  monitor_parent_actor sup = sys.spawn(fake_supervisor, seen);

  monitor_actor spawn_monitor(std::optional<monitor_snapshot> snap = {},
                              std::shared_ptr<const monitor_setup> setup = {}) {
    monitor_start start;
    start.model = model;
    start.setup = setup ? setup : monitor_setup::make(node_config());
    start.snapshot = std::move(snap);
    return sys.spawn<monitor_impl>(std::move(start), sup);
  }

  void feed(const monitor_actor& mon, metric_kind kind,
            std::vector<double> values) {
    self->send(mon, run_of(kind, std::move(values)));
    drain();
  }

  model_status status(const monitor_actor& mon) {
    return ask<model_status>(mon, atom::status::value);
  }

  void switch_to(const monitor_actor& mon, monitor_policy policy) {
    self->send(mon, std::move(policy));
    drain();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(policy_monitor_tests, monitor_fixture)

CAF_TEST(a changed gate keeps the detector state) {
  auto mon = spawn_monitor();
  feed(mon, metric_kind::accuracy, {0.95, 0.95});
  // Warm-up 3 -> 2, breaches 1 -> 2: the two samples count.
  switch_to(mon, policy_of("cv:*", 1,
                           "[retrain.monitor]\nmin-samples = 2\n"
                           "consecutive-breaches = 2\n"));
  auto st = status(mon);
  CAF_CHECK_EQUAL(st.policy, "cv:*");
  CAF_CHECK_EQUAL(st.policy_version, 1u);
  CAF_REQUIRE(kind_of(st, metric_kind::accuracy) != nullptr);
  CAF_CHECK_EQUAL(kind_of(st, metric_kind::accuracy)->samples, 2u);
  feed(mon, metric_kind::accuracy, {0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 0u);
  feed(mon, metric_kind::accuracy, {0.5});
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen->triggers[0].reason.samples, 4u);
}

CAF_TEST(a changed parameter restarts that kind only) {
  auto mon = spawn_monitor();
  feed(mon, metric_kind::accuracy, {0.95, 0.95, 0.95});
  feed(mon, metric_kind::latency_ms, {10, 10});
  switch_to(mon, policy_of("cv:anomaly", 2,
                           "[retrain.threshold]\naccuracy = 0.97\n"));
  auto st = status(mon);
  // The accuracy detector starts again; latency keeps its warm-up.
  CAF_CHECK(kind_of(st, metric_kind::accuracy) == nullptr);
  CAF_REQUIRE(kind_of(st, metric_kind::latency_ms) != nullptr);
  CAF_CHECK_EQUAL(kind_of(st, metric_kind::latency_ms)->samples, 2u);
  // 0.95 is a breach now, after a fresh warm-up of 3.
  feed(mon, metric_kind::accuracy, {0.95, 0.95});
  CAF_CHECK_EQUAL(seen->triggers.size(), 0u);
  feed(mon, metric_kind::accuracy, {0.95});
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen->triggers[0].reason.threshold, 0.97);
  // Another strategy for latency starts it fresh too.
  switch_to(mon, policy_of("cv:anomaly", 3,
                           "[retrain.strategy]\nlatency_ms = \"adwin\"\n"));
  st = status(mon);
  CAF_CHECK(kind_of(st, metric_kind::latency_ms) == nullptr);
  feed(mon, metric_kind::latency_ms, {10});
  st = status(mon);
  CAF_CHECK_EQUAL(kind_of(st, metric_kind::latency_ms)->strategy, "adwin");
}

CAF_TEST(a changed cooldown applies to the trigger already sent) {
  auto mon = spawn_monitor();
  feed(mon, metric_kind::accuracy, {0.5, 0.5, 0.5});
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  self->send(mon, line_state{"cv:anomaly", false, ""});
  switch_to(mon, policy_of("*", 1, "[retrain.monitor]\ncooldown = 10min\n"));
  advance_time(5min);
  feed(mon, metric_kind::accuracy, {0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 1u);
  advance_time(6min);
  feed(mon, metric_kind::accuracy, {0.5});
  CAF_CHECK_EQUAL(seen->triggers.size(), 2u);
}

CAF_TEST(a monitor started again runs the policy in force now) {
  auto mon = spawn_monitor();
  feed(mon, metric_kind::accuracy, {0.95, 0.95});
  feed(mon, metric_kind::latency_ms, {10, 10});
  self->send(mon, atom::tick::value);
  drain();
  CAF_REQUIRE_EQUAL(seen->snapshots.size(), 1u);
  auto snap = seen->snapshots.back();
  CAF_CHECK_EQUAL(snap.specs.size(), 2u);
  // Passivated meanwhile; the accuracy threshold changed, latency did not.
  auto changed = monitor_setup::make(
    policy_of("cv:*", 1, "[retrain.threshold]\naccuracy = 0.97\n"), 0, 0);
  auto again = spawn_monitor(snap, changed);
  auto st = status(again);
  CAF_CHECK_EQUAL(st.policy, "cv:*");
  CAF_CHECK(kind_of(st, metric_kind::accuracy) == nullptr);
  CAF_REQUIRE(kind_of(st, metric_kind::latency_ms) != nullptr);
  CAF_CHECK_EQUAL(kind_of(st, metric_kind::latency_ms)->samples, 2u);
  // Only the gate changed: everything is kept.
  auto gate = monitor_setup::make(
    policy_of("cv:*", 2, "[retrain.monitor]\nmin-samples = 1\n"), 0, 0);
  auto kept = spawn_monitor(snap, gate);
  st = status(kept);
  CAF_REQUIRE(kind_of(st, metric_kind::accuracy) != nullptr);
  CAF_CHECK_EQUAL(kind_of(st, metric_kind::accuracy)->samples, 2u);
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

using supervisor_impl
  = caf::stateful_actor<supervisor_state, supervisor_self_actor::base>;

struct supervisor_fixture : actor_fixture {
  std::shared_ptr<link_log> seen_link = std::make_shared<link_log>();
  coordinator_link_actor link = sys.spawn(fake_link, seen_link);
  supervisor_actor sup = sys.spawn(supervisor, node_config(), link);

  model_status status_of(const std::string& id) {
    auto all = ask<std::vector<model_status>>(sup, atom::status::value, id);
    CAF_REQUIRE_EQUAL(all.size(), 1u);
    return all[0];
  }

  void push(uint64_t epoch, std::vector<policy_record> xs) {
    self->send(sup, policy_set{epoch, std::move(xs)});
    drain();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(policy_supervisor_tests, supervisor_fixture)

CAF_TEST(a pushed set switches the monitors of matching lines only) {
  ask<ingest_ack>(sup, batch_of("fraud:a:1.0.0", metric_kind::accuracy,
                                {0.95, 0.95}));
  ask<ingest_ack>(sup,
                  batch_of("cv:b:1.0.0", metric_kind::accuracy, {0.95, 0.95}));
  push(1, {record_of("fraud:*", 1, "[retrain.threshold]\naccuracy = 0.97\n")});
  auto fraud = status_of("fraud:a:1.0.0");
  auto cv = status_of("cv:b:1.0.0");
  CAF_CHECK_EQUAL(fraud.policy, "fraud:*");
  CAF_CHECK(kind_of(fraud, metric_kind::accuracy) == nullptr);
  CAF_CHECK_EQUAL(cv.policy, "*");
  CAF_CHECK_EQUAL(kind_of(cv, metric_kind::accuracy)->samples, 2u);
  // A new model of the line starts under it.
  ask<ingest_ack>(sup,
                  batch_of("fraud:c:1.0.0", metric_kind::accuracy, {0.95}));
  CAF_CHECK_EQUAL(status_of("fraud:c:1.0.0").policy, "fraud:*");
  auto e = ask<core::policy_explanation>(sup, atom::explain::value,
                                         std::string{"fraud:c:1.0.0"});
  CAF_CHECK_EQUAL(e.pattern, "fraud:*");
  CAF_CHECK_EQUAL(e.version, 1u);
  // The same epoch again changes nothing; a removal switches back.
  push(1, {});
  CAF_CHECK_EQUAL(status_of("fraud:a:1.0.0").policy, "fraud:*");
  push(2, {});
  CAF_CHECK_EQUAL(status_of("fraud:a:1.0.0").policy, "*");
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

struct dispatcher_fixture : actor_fixture {
  temp_dir dir{"retrain-policies"};
  registry_actor reg;
  dispatcher_actor disp;
  std::shared_ptr<std::vector<retrain_job>> jobs
    = std::make_shared<std::vector<retrain_job>>();
  retrain_worker_actor worker = sys.spawn(fake_worker, jobs);
  std::shared_ptr<std::vector<policy_set>> pushed
    = std::make_shared<std::vector<policy_set>>();

  dispatcher_fixture() {
    start();
  }

  void start() {
    job_config cfg;
    cfg.max_attempts = 3;
    cfg.retry_delay = 1000ms;
    cfg.retry_cap = 1000ms;
    cfg.data_dir = dir.str();
    auto versions = version_store::open(dir.str());
    auto store = job_store::open(dir.str());
    CAF_REQUIRE(versions && store);
    reg = sys.spawn(registry, std::move(*versions));
    disp = sys.spawn(dispatcher, std::move(*store), reg, cfg, 10000ms,
                     news_actor{});
    drain();
  }

  caf::error change(policy_change x) {
    auto res = self->request(disp, caf::infinite, std::move(x));
    drain();
    require_answers();
    caf::error result;
    res.receive([](policy_record&) {}, [&](caf::error& err) { result = err; });
    return result;
  }

  policy_change set(const char* pattern, const char* text,
                    const char* by = "") {
    return policy_change{pattern, text, by, "", false};
  }

  std::vector<policy_record> history(const char* pattern) {
    return ask<std::vector<policy_record>>(disp, atom::policy::value,
                                           std::string{pattern});
  }

  // A link stand-in that takes job news and policy sets.
  job_news_actor subscribe() {
    auto sub = sys.spawn([p = pushed](caf::event_based_actor*) {
      return caf::behavior{
        [](job_update&) {},
        [p](policy_set& x) { p->push_back(std::move(x)); },
      };
    });
    auto handle = caf::actor_cast<job_news_actor>(sub);
    ask<std::vector<line_state>>(disp, atom::subscribe::value, handle,
                                 std::vector<line_state>{});
    return handle;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(policy_dispatcher_tests, dispatcher_fixture)

CAF_TEST(changes are versions and a refused change stores nothing) {
  CAF_CHECK_EQUAL(
    change(set("fraud:*", "[retrain.threshold]\naccuracy = 0.9\n", "alice")),
    caf::none);
  CAF_CHECK_EQUAL(change(set("fraud:*", "[retrain.monitor]\ncooldown = 5s\n")),
                  caf::none);
  auto err = change(set("fraud:*", "[retrain.monitor]\ncooldwn = 5s\n"));
  CAF_CHECK_EQUAL(err, ec::invalid_config);
  CAF_CHECK_NOT_EQUAL(error_text(err).find("retrain.monitor.cooldwn"),
                      std::string::npos);
  CAF_CHECK_EQUAL(change(set("fraud", "[retrain.monitor]\ncooldown = 5s\n")),
                  ec::invalid_config);
  CAF_CHECK_EQUAL(change(policy_change{"cv:*", "", "", "", true}),
                  ec::no_such_policy);
  CAF_CHECK_EQUAL(change(policy_change{"fraud:*", "", "bob", "done", true}),
                  caf::none);
  auto h = history("fraud:*");
  CAF_REQUIRE_EQUAL(h.size(), 3u);
  CAF_CHECK_EQUAL(h[0].by, "alice");
  CAF_CHECK_EQUAL(h[0].text, "[retrain.threshold]\naccuracy = 0.9\n");
  CAF_CHECK_EQUAL(h[1].version, 2u);
  CAF_CHECK(h[2].removed);
  CAF_CHECK_EQUAL(h[2].epoch, 3u);
  CAF_CHECK(ask<std::vector<policy_record>>(disp, atom::policy::value).empty());
  // The history is in the database: a new dispatcher reads it back.
  anon_send_exit(disp, caf::exit_reason::user_shutdown);
  drain();
  start();
  CAF_CHECK_EQUAL(history("fraud:*").size(), 3u);
}

CAF_TEST(subscribers get the set at subscribe and on every change) {
  CAF_CHECK_EQUAL(change(set("cv:*", "[retrain.threshold]\naccuracy = 0.9\n")),
                  caf::none);
  subscribe();
  CAF_REQUIRE_EQUAL(pushed->size(), 1u);
  CAF_CHECK_EQUAL(pushed->back().epoch, 1u);
  CAF_REQUIRE_EQUAL(pushed->back().policies.size(), 1u);
  CAF_CHECK_EQUAL(pushed->back().policies[0].pattern, "cv:*");
  CAF_CHECK_EQUAL(change(set("*", "[retrain.monitor]\ncooldown = 5s\n")),
                  caf::none);
  CAF_REQUIRE_EQUAL(pushed->size(), 2u);
  CAF_CHECK_EQUAL(pushed->back().epoch, 2u);
  CAF_CHECK_EQUAL(pushed->back().policies.size(), 2u);
  // A refused change pushes nothing.
  change(set("*", "[retrain.monitor]\ncooldown = -5s\n"));
  CAF_CHECK_EQUAL(pushed->size(), 2u);
}

CAF_TEST(jobs of a line run with its job settings) {
  CAF_CHECK_EQUAL(change(set("cv:a", "[retrain.job]\nmax-attempts = 1\n"
                                     "timeout = 30s\n"
                                     "command = [\"train\", \"{model}\"]\n")),
                  caf::none);
  self->send(disp, atom::enlist::value, worker);
  drain();
  retrain_trigger t;
  t.model = "cv:a:1.0.0";
  self->send(disp, t);
  drain();
  CAF_REQUIRE_EQUAL(jobs->size(), 1u);
  auto job = jobs->at(0);
  CAF_CHECK(job.has_command);
  CAF_CHECK_EQUAL(job.command, (std::vector<std::string>{"train", "{model}"}));
  CAF_CHECK_EQUAL(job.timeout_ms, 30000);
  // One attempt only: the first failure fails the job (the node allows 3).
  job_result r;
  r.job_id = job.record.id;
  r.attempt = job.attempt;
  r.error = "exit code 3";
  caf::send_as(worker, disp, r);
  drain();
  auto all = ask<std::vector<job_record>>(disp, atom::jobs::value);
  CAF_REQUIRE_EQUAL(all.size(), 1u);
  CAF_CHECK_EQUAL(all[0].state, job_state::failed);
  // Another line keeps the node's settings.
  t.model = "cv:b:1.0.0";
  self->send(disp, t);
  drain();
  CAF_REQUIRE_EQUAL(jobs->size(), 2u);
  CAF_CHECK(!jobs->at(1).has_command);
  CAF_CHECK_EQUAL(jobs->at(1).timeout_ms, 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
