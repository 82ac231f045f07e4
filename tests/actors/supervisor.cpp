#define CAF_SUITE supervisor
#include "test_support.hpp"

#include <map>

#include "retrain/config_error.hpp"
#include "retrain/supervisor.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

using supervisor_impl
  = caf::stateful_actor<supervisor_state, supervisor_self_actor::base>;

const std::string model_a = "cv:a:1.0.0";
const std::string model_b = "cv:b:2.0.0";

// Monitors that fire on the first accuracy below 0.9, events held for
// `flush_interval`.
monitor_config quick_config(std::chrono::milliseconds flush_interval = 0ms) {
  monitor_config cfg;
  cfg.alpha = 1.0;
  cfg.min_samples = 1;
  cfg.consecutive_breaches = 1;
  cfg.cooldown = 0ms;
  cfg.flush_interval = flush_interval;
  cfg.max_flush_delay = flush_interval;
  cfg.watch_threshold(metric_kind::accuracy, 0.9);
  return cfg;
}

struct fixture : actor_fixture {
  std::shared_ptr<link_log> seen_link = std::make_shared<link_log>();
  coordinator_link_actor link = sys.spawn(fake_link, seen_link);
  supervisor_actor sup;

  fixture() {
    auto cfg = quick_config();
    cfg.max_restarts = 2;
    cfg.restart_window = 60000ms;
    sup = sys.spawn(supervisor, cfg, link);
    drain();
  }

  supervisor_state& state() {
    return deref<supervisor_impl>(sup).state;
  }

  ingest_ack feed(const std::string& model, std::vector<double> values) {
    return ask<ingest_ack>(sup, batch_of(model, metric_kind::accuracy,
                                         std::move(values)));
  }

  model_status status_of(const std::string& model) {
    auto all = ask<std::vector<model_status>>(sup, atom::status::value);
    for (auto& st : all)
      if (st.model == model)
        return st;
    CAF_FAIL("no status for " << model);
    return {};
  }

  monitored_model& entry(const std::string& model) {
    auto slot = state().find(model);
    CAF_REQUIRE_NOT_EQUAL(slot, core::slot_index::npos);
    return state().models[slot];
  }

  void crash(const std::string& model) {
    auto handle = entry(model).handle;
    CAF_REQUIRE(handle);
    caf::anon_send_exit(handle, caf::exit_reason::kill);
    drain();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(supervisor_tests, fixture)

CAF_TEST(one monitor per model id spawned on first event) {
  auto ack = feed(model_a, {0.95, 0.96});
  CAF_CHECK_EQUAL(ack.accepted, 2u);
  feed(model_b, {0.97});
  feed(model_a, {0.94});
  CAF_CHECK_EQUAL(state().models.size(), 2u);
  CAF_CHECK_EQUAL(status_of(model_a).events, 3u);
  CAF_CHECK_EQUAL(status_of(model_b).events, 1u);
}

CAF_TEST(a crashed monitor restarts from its last snapshot) {
  feed(model_a, {0.95, 0.96, 0.97});
  advance_time(1s); // snapshot sweep: the monitor saves 3 events
  drain();
  CAF_CHECK_EQUAL(entry(model_a).snapshot_events, 3u);
  feed(model_a, {0.91, 0.92}); // applied, but after the snapshot
  auto old_handle = entry(model_a).handle;
  crash(model_a);
  CAF_CHECK_NOT_EQUAL(entry(model_a).handle, old_handle);
  auto st = status_of(model_a);
  CAF_CHECK_EQUAL(st.state, "watching");
  CAF_CHECK_EQUAL(st.restarts, 1u);
  CAF_CHECK_EQUAL(st.events, 3u);
  CAF_CHECK_EQUAL(st.lost, 2u);
  CAF_REQUIRE_EQUAL(st.kinds.size(), 1u);
  CAF_CHECK_EQUAL(st.kinds[0].samples, 3u);
  CAF_CHECK_EQUAL(st.kinds[0].statistic, 0.97);
  // Events after the restart reach the new monitor.
  auto ack = feed(model_a, {0.93});
  CAF_CHECK_EQUAL(ack.accepted, 1u);
  CAF_CHECK_EQUAL(status_of(model_a).events, 4u);
}

CAF_TEST(a restarted monitor keeps its breach count) {
  feed(model_a, {0.5, 0.6}); // two breaches; the first triggers
  advance_time(1s);
  drain();
  crash(model_a);
  auto totals = ask<monitor_stats>(sup, atom::stats::value);
  CAF_CHECK_EQUAL(totals.events, 2u);
  CAF_CHECK_EQUAL(totals.triggers, 1u);
  CAF_CHECK_EQUAL(totals.breaches, 2u);
}

CAF_TEST(a monitor crashing too often is quarantined) {
  feed(model_a, {0.95});
  crash(model_a);
  crash(model_a);
  CAF_CHECK(!entry(model_a).quarantined);
  crash(model_a);
  CAF_CHECK(entry(model_a).quarantined);
  auto ack = feed(model_a, {0.95, 0.96});
  CAF_CHECK_EQUAL(ack.accepted, 0u);
  CAF_CHECK_EQUAL(ack.rejected, 2u);
  CAF_CHECK_EQUAL(ack.first_error,
                  "model cv:a:1.0.0 is quarantined after repeated monitor "
                  "crashes");
  CAF_CHECK_EQUAL(status_of(model_a).state, "quarantined");
  // Other models are unaffected.
  CAF_CHECK_EQUAL(feed(model_b, {0.95}).accepted, 1u);
  // The totals (what /metrics shows) name the quarantined monitor and the
  // refused events, and count the taken ones by kind.
  auto totals = ask<monitor_stats>(sup, atom::stats::value);
  CAF_CHECK_EQUAL(totals.models, 2u);
  CAF_CHECK_EQUAL(totals.quarantined, 1u);
  std::vector<uint64_t> by_kind(metric_kind_count, 0);
  by_kind[static_cast<std::size_t>(metric_kind::accuracy)] = 2;
  CAF_CHECK_EQUAL(totals.accepted, by_kind);
  CAF_CHECK_EQUAL(totals.rejected,
                  (std::map<std::string, uint64_t>{{"quarantined", 2}}));
}

CAF_TEST(a monitor stopped on purpose restarts without nearing quarantine) {
  // Nothing here stops monitors, but one that is stopped anyway (an exit
  // with user_shutdown) is no crash: three times is no quarantine.
  feed(model_a, {0.95});
  for (int i = 0; i < 3; ++i) {
    auto handle = entry(model_a).handle;
    CAF_REQUIRE(handle);
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
    drain();
  }
  CAF_CHECK(!entry(model_a).quarantined);
  auto st = status_of(model_a);
  CAF_CHECK_EQUAL(st.state, "watching");
  CAF_CHECK_EQUAL(st.restarts, 3u);
}

CAF_TEST(refused events carry their code) {
  feed(model_a, {0.95});
  crash(model_a);
  crash(model_a);
  crash(model_a);
  CAF_REQUIRE(entry(model_a).quarantined);
  // Ingest checks ids; a sender that skips it is refused here.
  metric_batch batch;
  batch.events = {event(model_a, metric_kind::accuracy, 0.95),
                  event("cv:a", metric_kind::accuracy, 0.95),
                  event(model_b, metric_kind::accuracy, 0.95)};
  auto report = ask<batch_report>(sup, atom::explain::value, batch);
  CAF_CHECK_EQUAL(report.ack.accepted, 1u);
  CAF_REQUIRE_EQUAL(report.rejects.size(), 2u);
  CAF_CHECK_EQUAL(report.rejects[0].index, 0u);
  CAF_CHECK_EQUAL(report.rejects[0].reason, caf::make_error(ec::quarantined));
  CAF_CHECK_EQUAL(report.rejects[1].index, 1u);
  CAF_CHECK_EQUAL(report.rejects[1].reason,
                  caf::make_error(ec::invalid_model_id));
  CAF_CHECK_EQUAL(error_text(report.rejects[1].reason),
                  "model cv:a is not a valid model id");
}

CAF_TEST(crashes outside the restart window do not add up) {
  feed(model_a, {0.95});
  crash(model_a);
  crash(model_a);
  advance_time(61s);
  drain();
  crash(model_a);
  CAF_CHECK(!entry(model_a).quarantined);
}

CAF_TEST(triggers go to the link the supervisor gets line news from) {
  CAF_REQUIRE_EQUAL(seen_link->subscribers.size(), 1u);
  CAF_CHECK_EQUAL(seen_link->subscribers[0], sup.address());
  feed(model_a, {0.5});
  feed(model_b, {0.5});
  CAF_REQUIRE_EQUAL(seen_link->triggers.size(), 2u);
  CAF_CHECK_EQUAL(seen_link->triggers[0].model, model_a);
  CAF_CHECK_EQUAL(seen_link->triggers[1].model, model_b);
}

CAF_TEST(line news holds the monitors of a line quiet until it is idle) {
  feed(model_a, {0.95});
  self->send(sup, line_state{"cv:a", true, ""});
  drain();
  CAF_CHECK_EQUAL(status_of(model_a).state, "job-active");
  feed(model_a, {0.5});
  CAF_CHECK_EQUAL(seen_link->triggers.size(), 0u);
  self->send(sup, line_state{"cv:a", false, ""});
  drain();
  CAF_CHECK_EQUAL(status_of(model_a).state, "watching");
  feed(model_a, {0.5});
  CAF_CHECK_EQUAL(seen_link->triggers.size(), 1u);
}

CAF_TEST(line news sends the held events of its line ahead and no others) {
  // With a flush window, news of a line goes out behind the events held
  // for its models, and only those: the other models' events wait for
  // their window.
  auto cfg = quick_config(50ms);
  auto log = std::make_shared<link_log>();
  auto held = sys.spawn(supervisor, cfg, sys.spawn(fake_link, log));
  drain();
  auto& st = deref<supervisor_impl>(held).state;
  auto sent_to = [&](const std::string& model) {
    return st.models[st.find(model)].sent;
  };
  // Breaching events of two lines, held in the window.
  ask<ingest_ack>(held, batch_of(model_a, metric_kind::accuracy, {0.5}));
  ask<ingest_ack>(held, batch_of(model_b, metric_kind::accuracy, {0.5}));
  CAF_CHECK_EQUAL(sent_to(model_a), 0u);
  CAF_CHECK_EQUAL(sent_to(model_b), 0u);
  self->send(held, line_state{"cv:a", true, ""});
  drain();
  // a's event reached its monitor before the news: it fired while its line
  // was still idle. b's event is still held.
  CAF_CHECK_EQUAL(sent_to(model_a), 1u);
  CAF_CHECK_EQUAL(sent_to(model_b), 0u);
  CAF_REQUIRE_EQUAL(log->triggers.size(), 1u);
  CAF_CHECK_EQUAL(log->triggers[0].model, model_a);
  // The window ends: b's event goes out and fires.
  advance_time(50ms);
  drain();
  CAF_CHECK_EQUAL(sent_to(model_b), 1u);
  CAF_REQUIRE_EQUAL(log->triggers.size(), 2u);
  CAF_CHECK_EQUAL(log->triggers[1].model, model_b);
  // a's line is busy now: a held breach of it stays quiet.
  ask<ingest_ack>(held, batch_of(model_a, metric_kind::accuracy, {0.5}));
  advance_time(50ms);
  drain();
  CAF_CHECK_EQUAL(sent_to(model_a), 2u);
  CAF_CHECK_EQUAL(log->triggers.size(), 2u);
  caf::anon_send_exit(held, caf::exit_reason::user_shutdown);
  drain();
}

CAF_TEST(snapshots are asked only of monitors that changed) {
  feed(model_a, {0.95});
  feed(model_b, {0.95});
  advance_time(1s);
  drain();
  CAF_CHECK_EQUAL(entry(model_a).snapshot_events, 1u);
  CAF_CHECK_EQUAL(entry(model_b).snapshot_events, 1u);
  auto snapshot_b = entry(model_b).snapshot;
  feed(model_a, {0.96, 0.97});
  advance_time(1s);
  drain();
  CAF_CHECK_EQUAL(entry(model_a).snapshot_events, 3u);
  // Untouched: b's monitor was not asked (its snapshot is the same bytes).
  CAF_CHECK(entry(model_b).snapshot == snapshot_b);
  // Nothing changed: no sweep timer is left running.
  CAF_CHECK(!state().sweep.scheduled());
}

CAF_TEST(a sweep asks a model with held events through its run) {
  // The sweep neither cuts the window short nor sends such a model a
  // second message: its monitor sends the snapshot once it applied the
  // held events, which the snapshot covers.
  auto cfg = quick_config(300ms);
  cfg.snapshot_interval = 1000ms;
  auto held = sys.spawn(supervisor, cfg, link);
  drain();
  auto& st = deref<supervisor_impl>(held).state;
  auto at = [&](const std::string& model) -> monitored_model& {
    return st.models[st.find(model)];
  };
  auto feed_held = [&](const std::string& model, std::vector<double> values) {
    ask<ingest_ack>(held, batch_of(model, metric_kind::accuracy,
                                   std::move(values)));
  };
  feed_held(model_a, {0.95});
  feed_held(model_b, {0.95});
  advance_time(300ms); // the window ends; the sweep is due at 1,300 ms
  drain();
  CAF_CHECK_EQUAL(at(model_a).sent, 1u);
  advance_time(800ms);
  feed_held(model_a, {0.96, 0.97}); // held until 1,100 ms + 300 ms
  drain();
  advance_time(200ms); // the sweep
  drain();
  // b had nothing held: its monitor was asked and answered.
  CAF_CHECK_EQUAL(at(model_b).snapshot_events, 1u);
  // a's events are still held, and so is the question.
  CAF_CHECK_EQUAL(at(model_a).sent, 1u);
  CAF_CHECK_EQUAL(at(model_a).snapshot_events, 0u);
  advance_time(100ms); // a's window ends
  drain();
  CAF_CHECK_EQUAL(at(model_a).sent, 3u);
  CAF_CHECK_EQUAL(at(model_a).snapshot_events, 3u);
  // That snapshot covers the run: no sweep is left to ask a again.
  CAF_CHECK(!st.sweep.scheduled());
  caf::anon_send_exit(held, caf::exit_reason::user_shutdown);
  drain();
}

CAF_TEST(news of a line reaches every version of it and only it) {
  const std::string old_a = "cv:a:0.9.0";
  feed(model_a, {0.95});
  feed(old_a, {0.95});
  feed(model_b, {0.95});
  CAF_CHECK_EQUAL(state().models.size(), 3u);
  self->send(sup, line_state{"cv:a", false, "1.0.0"});
  drain();
  CAF_CHECK_EQUAL(status_of(old_a).state, "standing-down");
  CAF_CHECK_EQUAL(status_of(model_a).state, "watching");
  CAF_CHECK_EQUAL(status_of(model_b).state, "watching");
  self->send(sup, line_state{"cv:a", true, ""});
  drain();
  CAF_CHECK_EQUAL(status_of(model_a).state, "job-active");
  CAF_CHECK_EQUAL(status_of(model_b).state, "watching");
  // A model of the line seen later starts standing down at once.
  const std::string older_a = "cv:a:0.8.0";
  feed(older_a, {0.5});
  CAF_CHECK_EQUAL(status_of(older_a).state, "standing-down");
}

CAF_TEST(older news of a line does not lower its latest version) {
  // News can arrive out of order (a resync after newer news): the latest
  // version a supervisor knows only rises.
  self->send(sup, line_state{"cv:a", false, "1.3.0"});
  self->send(sup, line_state{"cv:a", false, "1.2.0"});
  drain();
  const std::string mid_a = "cv:a:1.2.5";
  feed(mid_a, {0.95});
  CAF_CHECK_EQUAL(status_of(mid_a).state, "standing-down");
}

CAF_TEST(a monitor lost during a status query is asked again once restarted) {
  feed(model_a, {0.95});
  feed(model_b, {0.96});
  advance_time(1s); // snapshots
  drain();
  auto first = self->request(sup, caf::infinite, atom::status::value);
  auto second = self->request(sup, caf::infinite, atom::status::value);
  // b dies before the supervisor hears of it: the first round asks it and
  // waits, then learns it is gone.
  auto b = entry(model_b).handle;
  caf::anon_send_exit(b, caf::exit_reason::kill);
  expect((caf::exit_msg), to(b));
  drain();
  require_answers(2);
  for (auto* res : {&first, &second}) {
    std::vector<model_status> rows;
    res->receive([&](std::vector<model_status>& x) { rows = std::move(x); },
                 [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
    CAF_REQUIRE_EQUAL(rows.size(), 2u);
    auto& row_b = rows[0].model == model_b ? rows[0] : rows[1];
    CAF_CHECK_EQUAL(row_b.state, "watching");
    CAF_CHECK_EQUAL(row_b.restarts, 1u);
    CAF_CHECK_EQUAL(row_b.events, 1u);
  }
}

CAF_TEST(the last awaited monitor crashing does not lose held events) {
  // With a flush interval, events wait in the supervisor. A crash of the
  // only monitor a stats round waits for must not start the next round
  // (which flushes) before the model has a monitor again.
  auto cfg = quick_config(100ms);
  auto sup2 = sys.spawn(supervisor, cfg, link);
  ask<ingest_ack>(sup2, batch_of(model_a, metric_kind::accuracy, {0.95}));
  advance_time(100ms); // flushed: the monitor has 1 event
  drain();
  advance_time(1s); // and its snapshot
  drain();
  // In sup2's mailbox: a stats query (its round asks a's monitor), three
  // events (held), a second query (waits for the next round); meanwhile
  // a's monitor dies, so the round learns of it only after all that.
  auto first = self->request(sup2, caf::infinite, atom::stats::value);
  self->send(sup2,
             batch_of(model_a, metric_kind::accuracy, {0.96, 0.97, 0.98}));
  auto second = self->request(sup2, caf::infinite, atom::stats::value);
  auto& st2 = deref<supervisor_impl>(sup2).state;
  auto a = st2.models[st2.find(model_a)].handle;
  caf::anon_send_exit(a, caf::exit_reason::kill);
  expect((caf::exit_msg), to(a));
  drain();
  require_answers(2);
  monitor_stats totals;
  first.receive([&](monitor_stats& x) { totals = x; },
                [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  // The restarted monitor answered the first round from its snapshot.
  CAF_CHECK_EQUAL(totals.events, 1u);
  // The second round started after the restart, so the held events reached
  // the new monitor.
  second.receive([&](monitor_stats& x) { totals = x; },
                 [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(totals.events, 4u);
  auto rows = ask<std::vector<model_status>>(sup2, atom::status::value);
  CAF_REQUIRE_EQUAL(rows.size(), 1u);
  CAF_CHECK_EQUAL(rows[0].lost, 0u);
  anon_send_exit(sup2, caf::exit_reason::user_shutdown);
  drain();
}

CAF_TEST(status of one model or one line asks only those monitors) {
  const std::string old_a = "cv:a:0.9.0";
  feed(model_a, {0.95});
  feed(old_a, {0.95, 0.96});
  feed(model_b, {0.97});
  crash(model_b);
  crash(model_b);
  crash(model_b); // quarantined: answered from its snapshot
  auto one = ask<std::vector<model_status>>(sup, atom::status::value,
                                            std::string{old_a});
  CAF_REQUIRE_EQUAL(one.size(), 1u);
  CAF_CHECK_EQUAL(one[0].events, 2u);
  auto line = ask<std::vector<model_status>>(sup, atom::status::value,
                                             std::string{"cv:a"});
  CAF_CHECK_EQUAL(line.size(), 2u);
  auto b = ask<std::vector<model_status>>(sup, atom::status::value,
                                          std::string{"cv:b"});
  CAF_REQUIRE_EQUAL(b.size(), 1u);
  CAF_CHECK_EQUAL(b[0].state, "quarantined");
  CAF_CHECK_EQUAL(b[0].restarts, 2u);
  CAF_CHECK(ask<std::vector<model_status>>(sup, atom::status::value,
                                           std::string{"cv:zzz:1.0.0"})
              .empty());
  auto bad = self->request(sup, caf::infinite, atom::status::value,
                           std::string{"not an id"});
  drain();
  require_answers();
  bad.receive([](std::vector<model_status>&) { CAF_FAIL("expected an error"); },
              [](caf::error& err) {
                CAF_CHECK_EQUAL(err, caf::make_error(ec::invalid_model_line));
              });
}

CAF_TEST(thousands of models each keep their own state) {
  for (int i = 0; i < 3000; ++i) {
    metric_batch batch;
    auto id = "p:m" + std::to_string(i) + ":1.0.0";
    batch.events.push_back(event(id, metric_kind::accuracy, 0.95));
    if (i % 3 == 0)
      batch.events.push_back(event(id, metric_kind::accuracy, 0.96));
    self->send(sup, std::move(batch));
  }
  drain();
  CAF_CHECK_EQUAL(state().models.size(), 3000u);
  CAF_CHECK_EQUAL(status_of("p:m0:1.0.0").events, 2u);
  CAF_CHECK_EQUAL(status_of("p:m1:1.0.0").events, 1u);
  CAF_CHECK_EQUAL(status_of("p:m2997:1.0.0").events, 2u);
  CAF_CHECK_EQUAL(status_of("p:m2999:1.0.0").events, 1u);
  CAF_CHECK_EQUAL(state().find("p:m3000:1.0.0"), core::slot_index::npos);
  auto totals = ask<monitor_stats>(sup, atom::stats::value);
  CAF_CHECK_EQUAL(totals.models, 3000u);
  CAF_CHECK_EQUAL(totals.events, 4000u);
}

CAF_TEST(the summary counts models by state as they change) {
  // Every state the rows show is counted without asking a monitor, and
  // the counts agree with what the monitors themselves say.
  const std::string old_a = "cv:a:0.9.0";
  auto summary = [&](std::string which = {}) {
    return ask<model_page>(sup, atom::status::value,
                           model_query{std::move(which), "", 0, 0});
  };
  auto rows_agree = [&] {
    std::map<std::string, uint64_t> seen;
    for (auto& row : ask<std::vector<model_status>>(sup, atom::status::value))
      ++seen[row.state];
    CAF_CHECK_EQUAL(seen, summary().states);
  };
  feed(model_a, {0.95});
  feed(old_a, {0.95, 0.96});
  feed(model_b, {0.97});
  auto s = summary();
  CAF_CHECK_EQUAL(s.models, 3u);
  CAF_CHECK_EQUAL(s.total, 3u);
  CAF_CHECK(s.rows.empty());
  CAF_CHECK_EQUAL(s.states, (std::map<std::string, uint64_t>{{"watching", 3}}));
  self->send(sup, line_state{"cv:a", true, "1.0.0"});
  drain();
  CAF_CHECK_EQUAL(summary().states,
                  (std::map<std::string, uint64_t>{
                    {"job-active", 1}, {"standing-down", 1}, {"watching", 1}}));
  rows_agree();
  crash(model_b);
  crash(model_b);
  crash(model_b);
  CAF_CHECK_EQUAL(summary().states,
                  (std::map<std::string, uint64_t>{{"job-active", 1},
                                                   {"quarantined", 1},
                                                   {"standing-down", 1}}));
  rows_agree();
  // One line only: its models, its counts.
  s = summary("cv:a");
  CAF_CHECK_EQUAL(s.models, 2u);
  CAF_CHECK_EQUAL(s.states, (std::map<std::string, uint64_t>{
                              {"job-active", 1}, {"standing-down", 1}}));
  // Idle monitors passivate; the totals still hold their events (b's one
  // event was lost with its monitor: it crashed before any snapshot).
  auto events = ask<monitor_stats>(sup, atom::stats::value).events;
  CAF_CHECK_EQUAL(events, 3u);
  advance_time(6min);
  drain();
  advance_time(2min);
  drain();
  CAF_CHECK_EQUAL(summary().states, (std::map<std::string, uint64_t>{
                                      {"passivated", 2}, {"quarantined", 1}}));
  rows_agree();
  CAF_CHECK_EQUAL(ask<monitor_stats>(sup, atom::stats::value).events, events);
  // An event wakes one; forgetting drops one from the counts.
  feed(model_a, {0.95});
  CAF_CHECK_EQUAL(summary().states,
                  (std::map<std::string, uint64_t>{
                    {"job-active", 1}, {"passivated", 1}, {"quarantined", 1}}));
  CAF_CHECK_EQUAL(ask<monitor_stats>(sup, atom::stats::value).events,
                  events + 1);
  CAF_CHECK_EQUAL(ask<uint64_t>(sup, atom::forget::value, old_a), 1u);
  s = summary();
  CAF_CHECK_EQUAL(s.models, 2u);
  CAF_CHECK_EQUAL(s.states, (std::map<std::string, uint64_t>{
                              {"job-active", 1}, {"quarantined", 1}}));
  rows_agree();
  CAF_CHECK_EQUAL(ask<monitor_stats>(sup, atom::stats::value).events,
                  events + 1 - 2);
}

CAF_TEST(pages filter by state and line and come in model id order) {
  for (int i = 9; i >= 0; --i)
    feed("p:m:1.0." + std::to_string(i), {0.95});
  feed("q:n:1.0.0", {0.95});
  auto page = [&](std::string which, std::string state, uint64_t offset,
                  uint64_t limit) {
    return ask<model_page>(sup, atom::status::value,
                           model_query{std::move(which), std::move(state),
                                       offset, limit});
  };
  auto names = [](const model_page& p) {
    std::vector<std::string> result;
    for (auto& row : p.rows)
      result.push_back(row.model);
    return result;
  };
  auto p = page("", "", 2, 3);
  CAF_CHECK_EQUAL(p.total, 11u);
  CAF_CHECK_EQUAL(names(p), (std::vector<std::string>{"p:m:1.0.2", "p:m:1.0.3",
                                                      "p:m:1.0.4"}));
  p = page("p:m", "", 8, 100);
  CAF_CHECK_EQUAL(p.total, 10u);
  CAF_CHECK_EQUAL(names(p),
                  (std::vector<std::string>{"p:m:1.0.8", "p:m:1.0.9"}));
  p = page("", "watching", 10, 5);
  CAF_CHECK_EQUAL(names(p), (std::vector<std::string>{"q:n:1.0.0"}));
  p = page("", "quarantined", 0, 5);
  CAF_CHECK_EQUAL(p.total, 0u);
  CAF_CHECK(p.rows.empty());
  p = page("q:n:1.0.0", "", 0, 5);
  CAF_CHECK_EQUAL(p.total, 1u);
  CAF_REQUIRE_EQUAL(p.rows.size(), 1u);
  CAF_CHECK_EQUAL(p.rows[0].events, 1u);
  CAF_CHECK(page("", "", 11, 5).rows.empty());
  for (auto bad :
       {model_query{"", "sleeping", 0, 1}, model_query{"P!", "", 0, 1}}) {
    auto res = self->request(sup, caf::infinite, atom::status::value, bad);
    drain();
    require_answers();
    res.receive([](model_page&) { CAF_FAIL("expected an error"); },
                [](caf::error& err) { CAF_CHECK(err); });
  }
}

CAF_TEST_FIXTURE_SCOPE_END()
