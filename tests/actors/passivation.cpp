#define CAF_SUITE passivation
#include "test_support.hpp"

#include "retrain/supervisor.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

using supervisor_impl
  = caf::stateful_actor<supervisor_state, supervisor_self_actor::base>;

const std::string model_a = "cv:a:1.0.0";
const std::string model_b = "cv:b:1.0.0";
const std::string model_c = "cv:c:1.0.0";

// Two kinds, two strategies: ewma_threshold on accuracy (warm-up,
// hysteresis) and page_hinkley on f1_score. The cooldown outlasts several
// passivations.
monitor_config make_config(std::chrono::milliseconds idle_timeout) {
  monitor_config cfg;
  cfg.alpha = 0.3;
  cfg.min_samples = 3;
  cfg.consecutive_breaches = 2;
  cfg.cooldown = 3s;
  cfg.idle_timeout = idle_timeout;
  cfg.watch_threshold(metric_kind::accuracy, 0.9);
  kind_watch ph;
  ph.strategy = "page_hinkley";
  ph.params = {{"threshold", "0.5"}, {"delta", "0.01"}, {"mode", "down"}};
  cfg.kinds[static_cast<size_t>(metric_kind::f1_score)] = ph;
  if (auto err = cfg.validate())
    CAF_FAIL("invalid test config");
  return cfg;
}

struct fixture : actor_fixture {
  std::shared_ptr<link_log> never_link_log = std::make_shared<link_log>();
  std::shared_ptr<link_log> idle_link_log = std::make_shared<link_log>();
  /// Never passivates.
  supervisor_actor never;
  /// Passivates a monitor at the first scan after its event (every second
  /// of the test clock).
  supervisor_actor idle;

  fixture() {
    never = sys.spawn(supervisor, make_config(0ms),
                      sys.spawn(fake_link, never_link_log));
    idle = sys.spawn(supervisor, make_config(10ms),
                     sys.spawn(fake_link, idle_link_log));
    drain();
  }

  supervisor_state& state_of(const supervisor_actor& sup) {
    return deref<supervisor_impl>(sup).state;
  }

  monitored_model& entry(const supervisor_actor& sup,
                         const std::string& model) {
    auto& st = state_of(sup);
    auto slot = st.find(model);
    CAF_REQUIRE_NOT_EQUAL(slot, core::slot_index::npos);
    return st.models[slot];
  }

  model_status status(const supervisor_actor& sup, const std::string& model) {
    auto rows = ask<std::vector<model_status>>(sup, atom::status::value, model);
    CAF_REQUIRE_EQUAL(rows.size(), 1u);
    return rows[0];
  }

  ingest_ack feed(const supervisor_actor& sup, const std::string& model,
                  metric_kind kind, double value) {
    return ask<ingest_ack>(sup, batch_of(model, kind, {value}));
  }

  void check_same(const model_status& x, const model_status& y) {
    CAF_CHECK_EQUAL(x.state, y.state);
    CAF_CHECK_EQUAL(x.events, y.events);
    CAF_CHECK_EQUAL(x.triggers, y.triggers);
    CAF_REQUIRE_EQUAL(x.kinds.size(), y.kinds.size());
    for (size_t i = 0; i < x.kinds.size(); ++i) {
      CAF_CHECK_EQUAL(x.kinds[i].kind, y.kinds[i].kind);
      CAF_CHECK_EQUAL(x.kinds[i].strategy, y.kinds[i].strategy);
      // Exactly: the same bits, not nearly.
      CAF_CHECK_EQUAL(x.kinds[i].statistic, y.kinds[i].statistic);
      CAF_CHECK_EQUAL(x.kinds[i].threshold, y.kinds[i].threshold);
      CAF_CHECK_EQUAL(x.kinds[i].samples, y.kinds[i].samples);
      CAF_CHECK_EQUAL(x.kinds[i].state, y.kinds[i].state);
    }
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(passivation_tests, fixture)

CAF_TEST(
  a model passivated between every two events decides as one never passivated) {
  // Warm-up, breaches, a trigger, a cooldown and line news, in both kinds.
  std::vector<std::pair<metric_kind, double>> events;
  for (auto x : {0.95, 0.96, 0.5, 0.5, 0.97, 0.4, 0.4, 0.4, 0.96, 0.3, 0.3})
    events.emplace_back(metric_kind::accuracy, x);
  for (int i = 0; i < 12; ++i)
    events.emplace_back(metric_kind::f1_score, i < 5 ? 0.95 : 0.2);
  for (auto x : {0.3, 0.3, 0.3, 0.2})
    events.emplace_back(metric_kind::accuracy, x);
  size_t passivations = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    auto [kind, value] = events[i];
    CAF_CHECK_EQUAL(feed(never, model_a, kind, value).accepted, 1u);
    CAF_CHECK_EQUAL(feed(idle, model_a, kind, value).accepted, 1u);
    check_same(status(never, model_a), status(idle, model_a));
    CAF_CHECK_EQUAL(never_link_log->triggers.size(),
                    idle_link_log->triggers.size());
    if (i == 15) {
      // The coordinator says the line is idle again, while the model is
      // passivated: it starts again with the news.
      self->send(never, line_state{"cv:a", false, ""});
      self->send(idle, line_state{"cv:a", false, ""});
    }
    advance_time(1s);
    drain();
    CAF_CHECK(!entry(never, model_a).passivated);
    if (entry(idle, model_a).passivated)
      ++passivations;
  }
  CAF_CHECK_EQUAL(passivations, events.size());
  CAF_CHECK_GREATER_OR_EQUAL(never_link_log->triggers.size(), 2u);
  for (size_t i = 0; i < never_link_log->triggers.size(); ++i)
    CAF_CHECK_EQUAL(to_string(never_link_log->triggers[i].reason),
                    to_string(idle_link_log->triggers[i].reason));
  auto x = ask<monitor_stats>(never, atom::stats::value);
  auto y = ask<monitor_stats>(idle, atom::stats::value);
  CAF_CHECK_EQUAL(x.events, y.events);
  CAF_CHECK_EQUAL(x.triggers, y.triggers);
  CAF_CHECK_EQUAL(x.breaches, y.breaches);
  CAF_CHECK_EQUAL(x.passivated, 0u);
  CAF_CHECK_EQUAL(y.passivated, 1u);
  // Passivation is no restart: nothing counts towards quarantine.
  CAF_CHECK(!entry(idle, model_a).trouble);
  CAF_CHECK_EQUAL(status(idle, model_a).restarts, 0u);
}

CAF_TEST(questions about a passivated model are answered without starting it) {
  feed(idle, model_a, metric_kind::accuracy, 0.95);
  feed(idle, model_a, metric_kind::accuracy, 0.96);
  advance_time(1s);
  drain();
  CAF_REQUIRE(entry(idle, model_a).passivated);
  CAF_CHECK(!entry(idle, model_a).handle);
  CAF_CHECK_EQUAL(state_of(idle).running, 0u);
  auto st = status(idle, model_a);
  CAF_CHECK_EQUAL(st.state, "passivated");
  CAF_CHECK_EQUAL(st.events, 2u);
  auto all = ask<std::vector<model_status>>(idle, atom::status::value);
  CAF_REQUIRE_EQUAL(all.size(), 1u);
  CAF_CHECK_EQUAL(all[0].state, "passivated");
  auto totals = ask<monitor_stats>(idle, atom::stats::value);
  CAF_CHECK_EQUAL(totals.models, 1u);
  CAF_CHECK_EQUAL(totals.passivated, 1u);
  CAF_CHECK_EQUAL(totals.events, 2u);
  CAF_CHECK(entry(idle, model_a).passivated);
  CAF_CHECK(!entry(idle, model_a).handle);
  // The next event starts it again, counts intact.
  feed(idle, model_a, metric_kind::accuracy, 0.97);
  CAF_CHECK(!entry(idle, model_a).passivated);
  st = status(idle, model_a);
  CAF_CHECK_EQUAL(st.state, "watching");
  CAF_CHECK_EQUAL(st.events, 3u);
  CAF_CHECK_EQUAL(ask<monitor_stats>(idle, atom::stats::value).passivated, 0u);
}

CAF_TEST(events that come while a monitor stops go to the next one) {
  feed(idle, model_a, metric_kind::accuracy, 0.95);
  // The scan stops the monitor; a batch comes before it is down.
  advance_time(1s);
  self->send(idle, batch_of(model_a, metric_kind::accuracy, {0.96, 0.97}));
  drain();
  CAF_CHECK(!entry(idle, model_a).passivated);
  CAF_CHECK(entry(idle, model_a).handle);
  CAF_CHECK_EQUAL(status(idle, model_a).events, 3u);
  CAF_CHECK_EQUAL(status(idle, model_a).lost, 0u);
}

CAF_TEST(only idle monitors are passivated) {
  // Scans every second; a monitor goes after 2 s without events.
  auto sup = sys.spawn(supervisor, make_config(2s),
                       sys.spawn(fake_link, idle_link_log));
  drain();
  feed(sup, model_a, metric_kind::accuracy, 0.95);
  advance_time(1500ms);
  drain();
  feed(sup, model_b, metric_kind::accuracy, 0.95);
  CAF_CHECK(!entry(sup, model_a).passivated);
  // The next scan, a second after the last one: a is 2.5 s idle, b 1 s.
  advance_time(1s);
  drain();
  CAF_CHECK(entry(sup, model_a).passivated);
  CAF_CHECK(!entry(sup, model_b).passivated);
  CAF_CHECK_EQUAL(state_of(sup).passivated, 1u);
  CAF_CHECK_EQUAL(state_of(sup).running, 1u);
}

CAF_TEST(events of new models past max models are refused with a reason) {
  auto cfg = make_config(0ms);
  cfg.max_models = 2;
  auto sup = sys.spawn(supervisor, cfg, sys.spawn(fake_link, never_link_log));
  drain();
  CAF_CHECK_EQUAL(feed(sup, model_a, metric_kind::accuracy, 0.95).accepted, 1u);
  CAF_CHECK_EQUAL(feed(sup, model_b, metric_kind::accuracy, 0.95).accepted, 1u);
  auto ack = feed(sup, model_c, metric_kind::accuracy, 0.95);
  CAF_CHECK_EQUAL(ack.accepted, 0u);
  CAF_CHECK_EQUAL(ack.rejected, 1u);
  CAF_CHECK_EQUAL(ack.first_error,
                  "model cv:c:1.0.0 is new and this node watches 2 models "
                  "already (retrain.monitor.max-models)");
  auto report
    = ask<batch_report>(sup, atom::explain::value,
                        batch_of(model_c, metric_kind::accuracy, {0.95}));
  CAF_REQUIRE_EQUAL(report.rejects.size(), 1u);
  CAF_CHECK(report.rejects[0].reason == ec::too_many_models);
  // Known models still get in.
  CAF_CHECK_EQUAL(feed(sup, model_a, metric_kind::accuracy, 0.96).accepted, 1u);
  auto totals = ask<monitor_stats>(sup, atom::stats::value);
  CAF_CHECK_EQUAL(totals.models, 2u);
  CAF_CHECK_EQUAL(totals.rejected,
                  (std::map<std::string, uint64_t>{{"too_many_models", 2}}));
}

CAF_TEST(models without events for expire after are forgotten) {
  auto cfg = make_config(1s);
  cfg.expire_after = 4s;
  cfg.max_models = 2;
  auto sup = sys.spawn(supervisor, cfg, sys.spawn(fake_link, idle_link_log));
  drain();
  const std::string old_a = "cv:a:0.9.0";
  feed(sup, old_a, metric_kind::accuracy, 0.95);
  feed(sup, model_a, metric_kind::accuracy, 0.95);
  feed(sup, model_a, metric_kind::accuracy, 0.96);
  // Past the cap until one goes.
  CAF_CHECK_EQUAL(feed(sup, model_b, metric_kind::accuracy, 0.9).accepted, 0u);
  for (int i = 0; i < 3; ++i) {
    advance_time(1s);
    drain();
    feed(sup, old_a, metric_kind::accuracy, 0.95); // keeps old_a alive
  }
  CAF_CHECK(entry(sup, model_a).passivated);
  advance_time(1s);
  drain();
  // model_a went 4 s without events: forgotten, old_a kept.
  CAF_CHECK_EQUAL(state_of(sup).find(model_a), core::slot_index::npos);
  CAF_CHECK_EQUAL(state_of(sup).model_count(), 1u);
  auto totals = ask<monitor_stats>(sup, atom::stats::value);
  CAF_CHECK_EQUAL(totals.models, 1u);
  CAF_CHECK_EQUAL(totals.forgotten, 1u);
  CAF_CHECK_EQUAL(totals.passivated, 1u); // old_a, idle since the last scan
  auto line = ask<std::vector<model_status>>(sup, atom::status::value,
                                             std::string{"cv:a"});
  CAF_REQUIRE_EQUAL(line.size(), 1u);
  CAF_CHECK_EQUAL(line[0].model, old_a);
  CAF_CHECK_EQUAL(line[0].events, 4u);
  // Room again; a later event of the forgotten model starts it fresh.
  CAF_CHECK_EQUAL(feed(sup, model_a, metric_kind::accuracy, 0.97).accepted, 1u);
  CAF_CHECK_EQUAL(status(sup, model_a).events, 1u);
  CAF_CHECK_EQUAL(status(sup, model_a).restarts, 0u);
  line = ask<std::vector<model_status>>(sup, atom::status::value,
                                        std::string{"cv:a"});
  CAF_CHECK_EQUAL(line.size(), 2u);
}

CAF_TEST(forget drops a model or a line at once) {
  const std::string old_a = "cv:a:0.9.0";
  feed(never, old_a, metric_kind::accuracy, 0.95);
  feed(never, model_a, metric_kind::accuracy, 0.95);
  feed(never, model_b, metric_kind::accuracy, 0.95);
  CAF_CHECK_EQUAL(ask<uint64_t>(never, atom::forget::value, model_b), 1u);
  CAF_CHECK_EQUAL(state_of(never).find(model_b), core::slot_index::npos);
  CAF_CHECK_EQUAL(state_of(never).running, 2u);
  // Unknown: nothing to forget.
  CAF_CHECK_EQUAL(ask<uint64_t>(never, atom::forget::value, model_b), 0u);
  CAF_CHECK_EQUAL(
    ask<uint64_t>(never, atom::forget::value, std::string{"cv:a"}), 2u);
  auto totals = ask<monitor_stats>(never, atom::stats::value);
  CAF_CHECK_EQUAL(totals.models, 0u);
  CAF_CHECK_EQUAL(totals.forgotten, 3u);
  CAF_CHECK(ask<std::vector<model_status>>(never, atom::status::value).empty());
  // Neither a model nor a line.
  auto res = self->request(never, caf::infinite, atom::forget::value,
                           std::string{"cv"});
  drain();
  require_answers();
  res.receive([](uint64_t) { CAF_FAIL("forget of 'cv' succeeded"); },
              [](caf::error& err) {
                CAF_CHECK(err == ec::invalid_model_line);
              });
  // A later event starts the model fresh, in a slot of a forgotten one.
  feed(never, model_a, metric_kind::accuracy, 0.96);
  CAF_CHECK_EQUAL(status(never, model_a).events, 1u);
  CAF_CHECK_EQUAL(state_of(never).models.size(), 3u);
}

CAF_TEST(
  the history of a model survives passivation and is served while it sleeps) {
  // One event per second of event time: each its own point at the default
  // resolution; the third breaches twice in a row after warm-up.
  std::vector<double> values{0.95, 0.96, 0.5, 0.4, 0.3};
  for (size_t i = 0; i < values.size(); ++i) {
    auto batch = batch_of(model_a, metric_kind::accuracy, {values[i]});
    batch.events[0].observed_at_ns = static_cast<int64_t>(i + 1)
                                     * 1'000'000'000;
    ask<ingest_ack>(idle, batch);
  }
  auto before = ask<model_history>(idle, atom::history::value, model_a);
  CAF_REQUIRE_EQUAL(before.kinds.size(), 1u);
  CAF_REQUIRE_EQUAL(before.kinds[0].points.size(), values.size());
  CAF_REQUIRE_EQUAL(before.triggers.size(), 1u);
  advance_time(1s);
  drain();
  CAF_REQUIRE(entry(idle, model_a).passivated);
  // Answered from the final snapshot, without starting the monitor.
  auto asleep = ask<model_history>(idle, atom::history::value, model_a);
  CAF_CHECK(entry(idle, model_a).passivated);
  CAF_CHECK_EQUAL(asleep.model, model_a);
  CAF_REQUIRE_EQUAL(asleep.kinds.size(), 1u);
  CAF_REQUIRE_EQUAL(asleep.kinds[0].points.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    auto& p = asleep.kinds[0].points[i];
    CAF_CHECK_EQUAL(p.time_ns, static_cast<int64_t>(i + 1) * 1'000'000'000);
    CAF_CHECK_EQUAL(p.last, values[i]);
    CAF_CHECK_EQUAL(p.statistic, before.kinds[0].points[i].statistic);
    CAF_CHECK(p.state == before.kinds[0].points[i].state);
  }
  CAF_REQUIRE_EQUAL(asleep.triggers.size(), 1u);
  CAF_CHECK_EQUAL(asleep.triggers[0].samples, before.triggers[0].samples);
  // Woken by the next event, it goes on from the restored history.
  auto batch = batch_of(model_a, metric_kind::accuracy, {0.2});
  batch.events[0].observed_at_ns = 6'000'000'000;
  ask<ingest_ack>(idle, batch);
  CAF_CHECK(!entry(idle, model_a).passivated);
  auto awake = ask<model_history>(idle, atom::history::value, model_a);
  CAF_REQUIRE_EQUAL(awake.kinds.size(), 1u);
  CAF_REQUIRE_EQUAL(awake.kinds[0].points.size(), values.size() + 1);
  CAF_CHECK_EQUAL(awake.kinds[0].points.back().last, 0.2);
  CAF_CHECK_EQUAL(awake.triggers.size(), 1u);
  // An unknown model has no history.
  CAF_CHECK(
    ask<model_history>(idle, atom::history::value, model_c).model.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
