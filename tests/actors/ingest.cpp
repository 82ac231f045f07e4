#define CAF_SUITE ingest
#include "test_support.hpp"

#include <limits>

#include "retrain/config_error.hpp"
#include "retrain/ingest.hpp"
#include "retrain/supervisor.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

struct fixture : actor_fixture {
  supervisor_actor sup;
  ingest_self_actor in;

  fixture() {
    auto cfg = monitor_config::defaults();
    sup = sys.spawn(supervisor, cfg, coordinator_link_actor{});
    in = sys.spawn(ingest, sup, cfg, 10000ms);
  }

  ~fixture() {
    anon_send_exit(in, caf::exit_reason::user_shutdown);
    anon_send_exit(sup, caf::exit_reason::user_shutdown);
    drain();
  }

  // The code and text of a refusal: `<code>: <reason>`.
  static std::string show(const caf::error& err) {
    if (!err || err.category() != caf::atom("retrain"))
      return "not a retrain error: " + caf::to_string(err);
    return to_string(static_cast<ec>(err.code())) + ": " + error_text(err);
  }

  uint64_t events_of(const std::string& model) {
    for (auto& st : ask<std::vector<model_status>>(in, atom::status::value))
      if (st.model == model)
        return st.events;
    return 0;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(ingest_tests, fixture)

CAF_TEST(bad events are refused with the first reason and the rest applied) {
  auto nan = std::numeric_limits<double>::quiet_NaN();
  metric_batch batch;
  batch.events = {
    event("cv:good:1.0.0", metric_kind::accuracy, 0.95),
    event("cv:good:1.0.0", metric_kind::accuracy, nan),
    event("cv:good:1.0.0", metric_kind::accuracy, 1.5),
    event("cv:good:1.0.0", metric_kind::latency_ms, -1.0),
    event("CV:bad:1.0.0", metric_kind::accuracy, 0.9),
    event("cv:good:1.0", metric_kind::accuracy, 0.9),
    event("cv:good:1.0.0", static_cast<metric_kind>(42), 0.9),
    event("cv:good:1.0.0", metric_kind::f1_score, 0.93),
  };
  auto ack = ask<ingest_ack>(in, batch);
  CAF_CHECK_EQUAL(ack.accepted, 2u);
  CAF_CHECK_EQUAL(ack.rejected, 6u);
  CAF_CHECK_EQUAL(ack.first_error, "event 1: accuracy value nan is not finite");
  CAF_CHECK_EQUAL(events_of("cv:good:1.0.0"), 2u);
  // The node's totals count the batch's events as its ack does.
  auto& st
    = deref<caf::stateful_actor<ingest_state, ingest_self_actor::base>>(in)
        .state;
  CAF_CHECK_EQUAL(st.accepted, 2u);
  CAF_CHECK_EQUAL(st.rejected, 6u);
  // The node's totals (what /metrics shows) count them by kind and reason.
  auto totals = ask<monitor_stats>(in, atom::stats::value);
  std::vector<uint64_t> by_kind(metric_kind_count, 0);
  by_kind[static_cast<std::size_t>(metric_kind::accuracy)] = 1;
  by_kind[static_cast<std::size_t>(metric_kind::f1_score)] = 1;
  CAF_CHECK_EQUAL(totals.accepted, by_kind);
  CAF_CHECK_EQUAL(totals.rejected,
                  (std::map<std::string, uint64_t>{{"invalid_metric_kind", 1},
                                                   {"invalid_model_id", 2},
                                                   {"invalid_value", 3}}));
}

CAF_TEST(explain reports the reason of every refused event) {
  metric_batch batch;
  batch.events = {
    event("cv:good:1.0.0", metric_kind::accuracy, 0.95),
    event("cv:good:1.0.0", metric_kind::accuracy, 1.5),
    event("cv", metric_kind::accuracy, 0.9),
    event("cv:good:1.0.0", metric_kind::latency_ms, 12.0),
  };
  auto report = ask<batch_report>(in, atom::explain::value, batch);
  CAF_CHECK_EQUAL(report.ack.accepted, 2u);
  CAF_CHECK_EQUAL(report.ack.rejected, 2u);
  CAF_REQUIRE_EQUAL(report.rejects.size(), 2u);
  CAF_CHECK_EQUAL(report.rejects[0].index, 1u);
  CAF_CHECK_EQUAL(show(report.rejects[0].reason),
                  "invalid_value: accuracy value 1.5 is outside [0, 1]");
  CAF_CHECK_EQUAL(report.rejects[1].index, 2u);
  CAF_CHECK_EQUAL(show(report.rejects[1].reason),
                  "invalid_model_id: model id 'cv': expected "
                  "<project>:<name>:<semver>, e.g. cv:anomaly_detector:1.2.0");
  CAF_CHECK_EQUAL(events_of("cv:good:1.0.0"), 2u);
}

CAF_TEST(each kind of bad input has its own reason) {
  auto reason = [&](metric_event ev) {
    metric_batch batch;
    batch.events.push_back(std::move(ev));
    return ask<ingest_ack>(in, batch).first_error;
  };
  CAF_CHECK_EQUAL(reason(event("cv:a:1.0.0", metric_kind::recall, -0.1)),
                  "event 0: recall value -0.1 is outside [0, 1]");
  CAF_CHECK_EQUAL(reason(event("cv:a:1.0.0", metric_kind::latency_ms, -5)),
                  "event 0: latency_ms value -5 is negative");
  CAF_CHECK_EQUAL(reason(event("cv:a", metric_kind::accuracy, 0.5)),
                  "event 0: model id 'cv:a': expected "
                  "<project>:<name>:<semver>, e.g. cv:anomaly_detector:1.2.0");
  CAF_CHECK_EQUAL(reason(event("cv:a:1.0.0", static_cast<metric_kind>(7), 1)),
                  "event 0: unknown metric kind 7 (known: accuracy, precision, "
                  "recall, f1_score, latency_ms)");
}

CAF_TEST(each refusal carries the code of what is wrong) {
  auto code = [&](metric_event ev) {
    metric_batch batch;
    batch.events.push_back(std::move(ev));
    auto report = ask<batch_report>(in, atom::explain::value, batch);
    CAF_REQUIRE_EQUAL(report.rejects.size(), 1u);
    auto& err = report.rejects[0].reason;
    CAF_REQUIRE(err);
    CAF_CHECK_EQUAL(err.category(), caf::atom("retrain"));
    return static_cast<ec>(err.code());
  };
  auto nan = std::numeric_limits<double>::quiet_NaN();
  CAF_CHECK_EQUAL(code(event("cv:a", metric_kind::accuracy, 0.5)),
                  ec::invalid_model_id);
  CAF_CHECK_EQUAL(code(event("cv:a:1.0.0", static_cast<metric_kind>(7), 1)),
                  ec::invalid_metric_kind);
  CAF_CHECK_EQUAL(code(event("cv:a:1.0.0", metric_kind::accuracy, nan)),
                  ec::invalid_value);
  CAF_CHECK_EQUAL(code(event("cv:a:1.0.0", metric_kind::latency_ms, -5)),
                  ec::invalid_value);
}

CAF_TEST(single events are fire and forget) {
  self->send(in, event("cv:one:1.0.0", metric_kind::accuracy, 0.97));
  self->send(in, event("cv:one:1.0.0", metric_kind::accuracy,
                       std::numeric_limits<double>::infinity()));
  drain();
  CAF_CHECK_EQUAL(events_of("cv:one:1.0.0"), 1u);
  auto& st
    = deref<caf::stateful_actor<ingest_state, ingest_self_actor::base>>(in)
        .state;
  CAF_CHECK_EQUAL(st.accepted, 1u);
  CAF_CHECK_EQUAL(st.rejected, 1u);
}

CAF_TEST(binary strategies take only 0 or 1) {
  monitor_config cfg;
  kind_watch w;
  w.strategy = "ddm";
  cfg.kinds[static_cast<size_t>(metric_kind::accuracy)] = w;
  auto bin = sys.spawn(ingest, sup, cfg, 10000ms);
  metric_batch batch;
  batch.events = {event("cv:b:1.0.0", metric_kind::accuracy, 1.0),
                  event("cv:b:1.0.0", metric_kind::accuracy, 0.0),
                  event("cv:b:1.0.0", metric_kind::accuracy, 0.5)};
  auto ack = ask<ingest_ack>(bin, batch);
  CAF_CHECK_EQUAL(ack.accepted, 2u);
  CAF_CHECK_EQUAL(ack.rejected, 1u);
  CAF_CHECK_EQUAL(ack.first_error,
                  "event 2: accuracy is watched by a per-prediction strategy: "
                  "value must be 0 or 1 (1 = correct)");
  auto report = ask<batch_report>(bin, atom::explain::value, batch);
  CAF_REQUIRE_EQUAL(report.rejects.size(), 1u);
  CAF_CHECK_EQUAL(show(report.rejects[0].reason),
                  "invalid_value: accuracy is watched by a per-prediction "
                  "strategy: value must be 0 or 1 (1 = correct)");
  anon_send_exit(bin, caf::exit_reason::user_shutdown);
}

CAF_TEST(explain names events of a quarantined model by their position) {
  // Crash the monitor of cv:q until its model is quarantined (5 restarts
  // allowed by default).
  ask<ingest_ack>(in, batch_of("cv:q:1.0.0", metric_kind::accuracy, {0.95}));
  auto& sup_state
    = deref<caf::stateful_actor<supervisor_state, supervisor_self_actor::base>>(
        sup)
        .state;
  for (int i = 0; i < 6; ++i) {
    auto& entry = sup_state.models[sup_state.find("cv:q:1.0.0")];
    CAF_REQUIRE(entry.handle);
    caf::anon_send_exit(entry.handle, caf::exit_reason::kill);
    drain();
  }
  CAF_REQUIRE(sup_state.models[sup_state.find("cv:q:1.0.0")].quarantined);
  metric_batch batch;
  batch.events = {
    event("cv:good:1.0.0", metric_kind::accuracy, 1.5), // ingest refuses
    event("cv:q:1.0.0", metric_kind::accuracy, 0.9),    // supervisor refuses
    event("cv:good:1.0.0", metric_kind::accuracy, 0.9),
    event("cv:q:1.0.0", metric_kind::accuracy, 0.9),
  };
  auto report = ask<batch_report>(in, atom::explain::value, batch);
  CAF_CHECK_EQUAL(report.ack.accepted, 1u);
  CAF_CHECK_EQUAL(report.ack.rejected, 3u);
  CAF_REQUIRE_EQUAL(report.rejects.size(), 3u);
  CAF_CHECK_EQUAL(report.rejects[0].index, 0u);
  CAF_CHECK_EQUAL(report.rejects[1].index, 1u);
  CAF_CHECK_EQUAL(show(report.rejects[0].reason),
                  "invalid_value: accuracy value 1.5 is outside [0, 1]");
  CAF_CHECK_EQUAL(show(report.rejects[1].reason),
                  "quarantined: model cv:q:1.0.0 is quarantined after "
                  "repeated monitor crashes");
  CAF_CHECK_EQUAL(report.ack.first_error,
                  "event 0: accuracy value 1.5 is outside [0, 1]");
  CAF_CHECK_EQUAL(report.rejects[2].index, 3u);
  // Refusals by ingest and by the supervisor both count in the totals.
  auto& st
    = deref<caf::stateful_actor<ingest_state, ingest_self_actor::base>>(in)
        .state;
  CAF_CHECK_EQUAL(st.accepted, 2u);
  CAF_CHECK_EQUAL(st.rejected, 3u);
}

CAF_TEST(a batch sent again with its key is answered and not applied again) {
  auto batch = batch_of("cv:k:1.0.0", metric_kind::accuracy, {0.95, 0.9, 2.0});
  auto first = ask<batch_report>(in, atom::explain::value, batch,
                                 std::string{"key-1"});
  CAF_CHECK_EQUAL(first.ack.accepted, 2u);
  CAF_CHECK_EQUAL(first.ack.rejected, 1u);
  auto again = ask<batch_report>(in, atom::explain::value, batch,
                                 std::string{"key-1"});
  CAF_CHECK_EQUAL(again.ack.accepted, 2u);
  CAF_CHECK_EQUAL(again.ack.rejected, 1u);
  CAF_REQUIRE_EQUAL(again.rejects.size(), 1u);
  CAF_CHECK_EQUAL(again.rejects[0].index, 2u);
  CAF_CHECK_EQUAL(events_of("cv:k:1.0.0"), 2u);
  // Another key is another batch, applied.
  ask<batch_report>(in, atom::explain::value, batch, std::string{"key-2"});
  CAF_CHECK_EQUAL(events_of("cv:k:1.0.0"), 4u);
}

CAF_TEST(a repeat that comes while the first is applied waits for its answer) {
  auto batch = batch_of("cv:k:1.0.0", metric_kind::accuracy, {0.95});
  auto a = self->request(in, caf::infinite, atom::explain::value, batch,
                         std::string{"key-1"});
  auto b = self->request(in, caf::infinite, atom::explain::value, batch,
                         std::string{"key-1"});
  drain();
  require_answers(2);
  for (auto* res : {&a, &b})
    res->receive(
      [](batch_report& x) { CAF_CHECK_EQUAL(x.ack.accepted, 1u); },
      [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(events_of("cv:k:1.0.0"), 1u);
}

CAF_TEST(a key given with another batch or malformed is refused) {
  ask<batch_report>(in, atom::explain::value,
                    batch_of("cv:k:1.0.0", metric_kind::accuracy, {0.95}),
                    std::string{"key-1"});
  auto refused = [&](metric_batch batch, std::string key) {
    auto res = self->request(in, caf::infinite, atom::explain::value,
                             std::move(batch), std::move(key));
    drain();
    require_answers();
    std::string result;
    res.receive([](batch_report&) { CAF_FAIL("the batch was taken"); },
                [&](caf::error& err) { result = show(err); });
    return result;
  };
  CAF_CHECK_EQUAL(refused(batch_of("cv:k:1.0.0", metric_kind::accuracy, {0.9}),
                          "key-1"),
                  "idempotency_conflict: idempotency key 'key-1' came with "
                  "another batch before");
  CAF_CHECK_EQUAL(
    refused(batch_of("cv:k:1.0.0", metric_kind::accuracy, {0.9}), "a key"),
    "invalid_value: an idempotency key is 1 to 128 visible ASCII characters");
  CAF_CHECK_EQUAL(
    refused(batch_of("cv:k:1.0.0", metric_kind::accuracy, {0.9}), ""),
    "invalid_value: an idempotency key is 1 to 128 visible ASCII characters");
  CAF_CHECK_EQUAL(events_of("cv:k:1.0.0"), 1u);
}

CAF_TEST(a key is forgotten ten minutes after its answer) {
  auto batch = batch_of("cv:k:1.0.0", metric_kind::accuracy, {0.95});
  ask<batch_report>(in, atom::explain::value, batch, std::string{"key-1"});
  advance_time(ingest_state::key_ttl - 1s);
  drain();
  ask<batch_report>(in, atom::explain::value, batch, std::string{"key-1"});
  CAF_CHECK_EQUAL(events_of("cv:k:1.0.0"), 1u);
  advance_time(1s);
  drain();
  ask<batch_report>(in, atom::explain::value, batch, std::string{"key-1"});
  CAF_CHECK_EQUAL(events_of("cv:k:1.0.0"), 2u);
}

CAF_TEST(a key whose batch failed answers repeats with that failure) {
  // A supervisor that fails every batch: with a timeout first (the batch
  // may have been applied), then as a draining node (nothing was taken).
  auto calls = std::make_shared<int>(0);
  auto failure = std::make_shared<caf::error>(
    caf::make_error(caf::sec::request_timeout));
  auto fake = sys.spawn([=](caf::event_based_actor*) -> caf::behavior {
    return {
      [=](atom::explain, metric_batch&) -> caf::result<batch_report> {
        ++*calls;
        return *failure;
      },
    };
  });
  auto keyed = sys.spawn(ingest, caf::actor_cast<supervisor_actor>(fake),
                         monitor_config::defaults(), 10000ms);
  auto send = [&](const std::string& key) {
    auto res = self->request(keyed, caf::infinite, atom::explain::value,
                             batch_of("cv:k:1.0.0", metric_kind::accuracy,
                                      {0.95}),
                             key);
    drain();
    require_answers();
    caf::error result;
    res.receive([](batch_report&) { CAF_FAIL("no failure"); },
                [&](caf::error& err) { result = std::move(err); });
    return result;
  };
  CAF_CHECK_EQUAL(send("key-1"), caf::sec::request_timeout);
  CAF_CHECK_EQUAL(send("key-1"), caf::sec::request_timeout);
  CAF_CHECK_EQUAL(*calls, 1);
  *failure = caf::make_error(ec::draining);
  CAF_CHECK_EQUAL(send("key-2"), ec::draining);
  CAF_CHECK_EQUAL(send("key-2"), ec::draining);
  CAF_CHECK_EQUAL(*calls, 3);
  anon_send_exit(keyed, caf::exit_reason::user_shutdown);
  anon_send_exit(fake, caf::exit_reason::user_shutdown);
}

CAF_TEST(a draining node refuses new events whole) {
  ask<ingest_ack>(in, batch_of("cv:d:1.0.0", metric_kind::accuracy, {0.95}));
  CAF_CHECK_EQUAL(ask<uint64_t>(in, atom::drain::value), 1u);
  // A batch is refused whole: nothing of it was taken, the producer sends
  // it elsewhere or again.
  auto res = self->request(in, caf::infinite,
                           batch_of("cv:d:1.0.0", metric_kind::accuracy,
                                    {0.95, 0.96}));
  drain();
  res.receive([](ingest_ack&) { CAF_FAIL("a draining node took a batch"); },
              [](caf::error& err) {
                CAF_CHECK_EQUAL(err, caf::make_error(ec::draining));
              });
  auto explained
    = self->request(in, caf::infinite, atom::explain::value,
                    batch_of("cv:d:1.0.0", metric_kind::accuracy, {0.95}));
  drain();
  explained.receive([](batch_report&) { CAF_FAIL("took an explained batch"); },
                    [](caf::error& err) {
                      CAF_CHECK_EQUAL(err, caf::make_error(ec::draining));
                    });
  self->send(in, event("cv:d:1.0.0", metric_kind::accuracy, 0.5));
  drain();
  CAF_CHECK_EQUAL(events_of("cv:d:1.0.0"), 1u);
  // Draining twice changes nothing.
  CAF_CHECK_EQUAL(ask<uint64_t>(in, atom::drain::value), 1u);
  // Every refused event counts as refused for draining.
  auto totals = ask<monitor_stats>(in, atom::stats::value);
  CAF_CHECK_EQUAL(totals.rejected,
                  (std::map<std::string, uint64_t>{{"draining", 4}}));
}

CAF_TEST_FIXTURE_SCOPE_END()
