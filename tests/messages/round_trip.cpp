#define CAF_SUITE round_trip
#include <caf/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/detail/int_list.hpp>
#include <caf/message.hpp>
#include <caf/uniform_type_info_map.hpp>

#include "retrain/messages.hpp"

using namespace retrain;

namespace {

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  fixture() {
    register_messages(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  template <class T>
  std::vector<char> serialize(const T& x) {
    std::vector<char> buf;
    caf::binary_serializer sink{*sys, buf};
    auto copy = x;
    if (auto err = sink(copy))
      CAF_FAIL("serialization failed: " << sys->render(err));
    return buf;
  }

  template <class T>
  T deserialize(const std::vector<char>& buf) {
    T result;
    caf::binary_deserializer source{*sys, buf};
    if (auto err = source(result))
      CAF_FAIL("deserialization failed: " << sys->render(err));
    CAF_CHECK_EQUAL(source.remaining(), 0u);
    return result;
  }

  // Checks that `x` survives the binary serializer unchanged, alone and
  // inside a `caf::message` (which needs the registered type name), and
  // returns the copy. The checks here go through `inspect` on both sides,
  // so a field `inspect` leaves out passes them: tests compare fields of
  // the copy too.
  template <class T>
  T check_round_trip(const T& x) {
    auto buf = serialize(x);
    auto y = deserialize<T>(buf);
    CAF_CHECK_EQUAL(serialize(y), buf);
    CAF_CHECK_EQUAL(caf::deep_to_string(y), caf::deep_to_string(x));
    auto msg = caf::make_message(x);
    auto msg_buf = serialize(msg);
    auto msg2 = deserialize<caf::message>(msg_buf);
    CAF_REQUIRE(msg2.template match_elements<T>());
    CAF_CHECK_EQUAL(serialize(msg2.template get_as<T>(0)), buf);
    return y;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(round_trip_tests, fixture)

CAF_TEST(contract messages) {
  metric_event ev{"cv:anomaly_detector:1.2.0", metric_kind::latency_ms, 123.25,
                  1'700'000'000'123'456'789};
  auto ev2 = check_round_trip(ev);
  CAF_CHECK_EQUAL(ev2.model, ev.model);
  CAF_CHECK_EQUAL(ev2.kind, ev.kind);
  CAF_CHECK_EQUAL(ev2.value, ev.value);
  CAF_CHECK_EQUAL(ev2.observed_at_ns, ev.observed_at_ns);
  metric_batch batch;
  batch.events = {ev, {"a:b:0.0.1-rc.1", metric_kind::f1_score, 0.5, 0}};
  CAF_CHECK_EQUAL(check_round_trip(batch).events.size(), 2u);
  check_round_trip(metric_batch{});
  auto ack = check_round_trip(
    ingest_ack{998, 2, "event 17: accuracy value nan is not finite"});
  CAF_CHECK_EQUAL(ack.accepted, 998u);
  CAF_CHECK_EQUAL(ack.rejected, 2u);
  CAF_CHECK_EQUAL(ack.first_error,
                  "event 17: accuracy value nan is not finite");
  // Values ingest must see as sent, to refuse or apply them: CAF's own
  // double packing hangs on infinities and garbles these.
  for (auto value : {std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity(), -0.0,
                     std::numeric_limits<double>::denorm_min(), 1e-310,
                     std::numeric_limits<double>::max(), 0.1}) {
    metric_event in{"p:n:1.0.0", metric_kind::accuracy, value, 0};
    auto out = deserialize<metric_event>(serialize(in));
    CAF_CHECK_EQUAL(std::memcmp(&in.value, &out.value, sizeof(double)), 0);
  }
  // Every kind survives the trip.
  for (auto kind :
       {metric_kind::accuracy, metric_kind::precision, metric_kind::recall,
        metric_kind::f1_score, metric_kind::latency_ms})
    check_round_trip(metric_event{
      "p:n:1.0.0", kind, std::numeric_limits<double>::denorm_min(), -1});
}

CAF_TEST(internal messages) {
  trigger_reason reason{"ewma_threshold", metric_kind::accuracy, 0.8712, 0.92,
                        40};
  check_round_trip(reason);
  auto trig = check_round_trip(
    retrain_trigger{"cv:a:1.0.0", reason, 17, "0a1b-42", "1.0.3"});
  CAF_CHECK_EQUAL(trig.id, "0a1b-42");
  CAF_CHECK_EQUAL(trig.known_latest, "1.0.3");
  auto ack = check_round_trip(trigger_ack{"0a1b-42", trigger_outcome::merged, 7,
                                          job_state::running, "1.0.3"});
  CAF_CHECK_EQUAL(ack.trigger_id, "0a1b-42");
  CAF_CHECK_EQUAL(ack.outcome, trigger_outcome::merged);
  CAF_CHECK_EQUAL(ack.job_id, 7u);
  CAF_CHECK_EQUAL(ack.state, job_state::running);
  CAF_CHECK_EQUAL(ack.latest, "1.0.3");
  job_record rec{42,
                 "cv:a:1.0.0",
                 "cv:a",
                 "1.0.0",
                 "1.0.1",
                 job_state::succeeded,
                 2,
                 5,
                 to_string(reason),
                 "oops",
                 "1.0.1",
                 1,
                 2};
  auto copy = check_round_trip(rec);
  CAF_CHECK_EQUAL(copy.id, 42u);
  CAF_CHECK_EQUAL(copy.model, "cv:a:1.0.0");
  CAF_CHECK_EQUAL(copy.line, "cv:a");
  CAF_CHECK_EQUAL(copy.base_version, "1.0.0");
  CAF_CHECK_EQUAL(copy.next_version, "1.0.1");
  CAF_CHECK_EQUAL(copy.state, job_state::succeeded);
  CAF_CHECK_EQUAL(copy.attempts, 2u);
  CAF_CHECK_EQUAL(copy.merged, 5u);
  CAF_CHECK_EQUAL(copy.reason, to_string(reason));
  CAF_CHECK_EQUAL(copy.error, "oops");
  CAF_CHECK_EQUAL(copy.version, "1.0.1");
  CAF_CHECK_EQUAL(copy.created_at_ns, 1);
  CAF_CHECK_EQUAL(copy.updated_at_ns, 2);
  auto job
    = check_round_trip(retrain_job{rec, 3, true, {"train", "{model}"}, 30000});
  CAF_CHECK_EQUAL(caf::deep_to_string(job.record), caf::deep_to_string(rec));
  CAF_CHECK_EQUAL(job.attempt, 3u);
  CAF_CHECK(job.has_command);
  CAF_CHECK_EQUAL(job.command.size(), 2u);
  CAF_CHECK_EQUAL(job.timeout_ms, 30000);
  check_round_trip(job_result{42, 3, false, 137, "", "timeout after 5s",
                              5'000'000'000, "/tmp/x/jobs/42-3.log"});
  check_round_trip(job_update{42, "cv:a", job_state::failed, ""});
  auto update = job_update::of(rec);
  CAF_CHECK_EQUAL(update.job_id, 42u);
  CAF_CHECK_EQUAL(update.line, "cv:a");
  CAF_CHECK_EQUAL(update.state, job_state::succeeded);
  CAF_CHECK_EQUAL(update.version, "1.0.1");
  auto reg = check_round_trip(
    register_version{42, "cv:a:1.0.0", "why", "s3://x", "1.0.4"});
  CAF_CHECK_EQUAL(reg.base_version, "1.0.4");
  auto mv = check_round_trip(
    model_version{"cv:a", "1.0.1", "1.0.0", 42, 99, "why", "s3://x"});
  CAF_CHECK_EQUAL(mv.line, "cv:a");
  CAF_CHECK_EQUAL(mv.version, "1.0.1");
  CAF_CHECK_EQUAL(mv.parent, "1.0.0");
  CAF_CHECK_EQUAL(mv.job_id, 42u);
  CAF_CHECK_EQUAL(mv.created_at_ns, 99);
  CAF_CHECK_EQUAL(mv.reason, "why");
  CAF_CHECK_EQUAL(mv.artifact, "s3://x");
  model_status st{"cv:a:1.0.0", "watching", 10, 1, 0, 0, {}, "cv:*", 2};
  st.kinds.push_back(
    kind_status{metric_kind::f1_score, "ewma_threshold", 0.9, 0.9, 10, "none"});
  check_round_trip(st);
  monitor_snapshot snap;
  snap.model = "cv:a:1.0.0";
  snap.events = 7;
  snap.breaches = 3;
  snap.kinds = {metric_kind::accuracy};
  snap.strategies = {core::strategy_snapshot{"ewma_threshold", {0.9, 7, 0}}};
  auto snap2 = check_round_trip(snap);
  CAF_CHECK_EQUAL(snap2.events, 7u);
  CAF_CHECK_EQUAL(snap2.breaches, 3u);
  CAF_REQUIRE_EQUAL(snap2.strategies.size(), 1u);
  CAF_CHECK_EQUAL(snap2.strategies[0].values, (std::vector<double>{0.9, 7, 0}));
  coordinator_status cs{1,
                        2,
                        3,
                        4,
                        1,
                        {worker_status{"node/7", 42}},
                        "ok",
                        "abc",
                        "0.1.0 (git a)",
                        {{"node-b", "0.1.1 (git b)"}},
                        5,
                        6,
                        {1, 0, 2},
                        7500};
  auto cs2 = check_round_trip(cs);
  CAF_CHECK_EQUAL(cs2.attempts, 5u);
  CAF_CHECK_EQUAL(cs2.storage_errors, 6u);
  CAF_CHECK_EQUAL(cs2.job_seconds, (std::vector<uint64_t>{1, 0, 2}));
  CAF_CHECK_EQUAL(cs2.job_ms_sum, 7500u);
  monitor_stats ms;
  ms.models = 3;
  ms.quarantined = 1;
  ms.accepted = {10, 0, 0, 2, 0};
  ms.rejected = {{"invalid_value", 4}, {"quarantined", 5}};
  auto ms2 = check_round_trip(ms);
  CAF_CHECK_EQUAL(ms2.quarantined, 1u);
  CAF_CHECK_EQUAL(ms2.accepted, ms.accepted);
  CAF_CHECK_EQUAL(ms2.rejected, ms.rejected);
  CAF_CHECK_EQUAL(cs2.storage, "ok");
  CAF_CHECK_EQUAL(cs2.registry, "abc");
  CAF_CHECK_EQUAL(cs2.version, "0.1.0 (git a)");
  CAF_CHECK_EQUAL(cs2.node_versions.at("node-b"), "0.1.1 (git b)");
  check_round_trip(job_state::running);
  auto ls = check_round_trip(link_status{true, 3, 2});
  CAF_CHECK(ls.connected);
  CAF_CHECK_EQUAL(ls.held_triggers, 3u);
  CAF_CHECK_EQUAL(ls.held_reports, 2u);
  // A refusal keeps its code across the wire, not only its words.
  auto report2 = check_round_trip(
    batch_report{ingest_ack{3, 1, "event 2: why"},
                 {event_reject{2, caf::make_error(ec::quarantined, "why")}}});
  CAF_REQUIRE_EQUAL(report2.rejects.size(), 1u);
  auto& refusal = report2.rejects[0].reason;
  CAF_CHECK_EQUAL(refusal, caf::make_error(ec::quarantined));
  CAF_REQUIRE(refusal.context().match_elements<std::string>());
  CAF_CHECK_EQUAL(refusal.context().get_as<std::string>(0), "why");
  metric_run run;
  run.events = {run_event{metric_kind::accuracy, 0.93, 1},
                run_event{metric_kind::latency_ms, 250.5, -1}};
  auto run2 = check_round_trip(run);
  CAF_REQUIRE_EQUAL(run2.events.size(), 2u);
  CAF_CHECK_EQUAL(run2.events[1].kind, metric_kind::latency_ms);
  CAF_CHECK_EQUAL(run2.events[1].value, 250.5);
  CAF_CHECK_EQUAL(run2.events[1].observed_at_ns, -1);
  check_round_trip(metric_run{});
  // The history, also inside a passivated monitor's snapshot: doubles
  // bit for bit, the verdict of each point kept.
  core::history_point hp;
  hp.time_ns = -5;
  hp.min = -0.0;
  hp.max = 0.97;
  hp.last = 0.5;
  hp.statistic = 0.875;
  hp.threshold = 0.92;
  hp.samples = 34;
  hp.count = 3;
  hp.state = core::verdict::drift;
  model_history mh;
  mh.model = "cv:a:1.0.0";
  mh.resolution_ns = 1'000'000'000;
  mh.capacity = 1000;
  mh.kinds = {kind_history{metric_kind::accuracy, "ewma_threshold", {hp, hp}}};
  mh.triggers = {trigger_mark{7, metric_kind::accuracy, 34, 0.88, 0.92}};
  auto mh2 = check_round_trip(mh);
  CAF_CHECK_EQUAL(mh2.capacity, 1000u);
  CAF_REQUIRE_EQUAL(mh2.kinds.size(), 1u);
  CAF_REQUIRE_EQUAL(mh2.kinds[0].points.size(), 2u);
  auto& p2 = mh2.kinds[0].points[1];
  CAF_CHECK_EQUAL(p2.time_ns, -5);
  CAF_CHECK(std::signbit(p2.min));
  CAF_CHECK_EQUAL(p2.statistic, 0.875);
  CAF_CHECK_EQUAL(p2.samples, 34u);
  CAF_CHECK_EQUAL(p2.count, 3u);
  CAF_CHECK(p2.state == core::verdict::drift);
  CAF_REQUIRE_EQUAL(mh2.triggers.size(), 1u);
  CAF_CHECK_EQUAL(mh2.triggers[0].samples, 34u);
  snap.history = mh.kinds;
  snap.marks = mh.triggers;
  auto snap3 = check_round_trip(snap);
  CAF_REQUIRE_EQUAL(snap3.history.size(), 1u);
  CAF_CHECK_EQUAL(snap3.history[0].points.size(), 2u);
  CAF_CHECK_EQUAL(snap3.marks.size(), 1u);
}

CAF_TEST(vectors sent as replies) {
  model_status st{"cv:a:1.0.0", "watching", 10, 1, 0, 0, {}, "cv:*", 2};
  CAF_CHECK_EQUAL(check_round_trip(std::vector<model_status>{st, st}).size(),
                  2u);
  check_round_trip(std::vector<line_state>{line_state{"cv:a", true, "1.0.1"}});
  check_round_trip(std::vector<job_record>{job_record{}});
  check_round_trip(std::vector<model_version>{model_version{}});
}

CAF_TEST(wire names of the contract stay) {
  auto name = [&](const std::type_info& ti) {
    return sys->types().portable_name(0, &ti);
  };
  CAF_CHECK_EQUAL(name(typeid(metric_event)), "retrain::metric_event");
  CAF_CHECK_EQUAL(name(typeid(metric_batch)), "retrain::metric_batch");
  CAF_CHECK_EQUAL(name(typeid(ingest_ack)), "retrain::ingest_ack");
  CAF_CHECK_EQUAL(name(typeid(metric_kind)), "retrain::metric_kind");
  CAF_CHECK_EQUAL(name(typeid(ingest_actor)), "retrain::ingest_actor");
  CAF_CHECK_EQUAL(name(typeid(monitor_node_actor)),
                  "retrain::monitor_node_actor");
  CAF_CHECK_EQUAL(name(typeid(std::vector<model_status>)),
                  "std::vector<retrain::model_status>");
}

namespace {

// The name each type of the block is registered under, and its name in the
// block.
template <long... Is>
std::vector<std::pair<std::string, std::string>>
names_of_block(const caf::uniform_type_info_map& types,
               caf::detail::int_list<Is...>) {
  return {{types.portable_name(0, &typeid(typename caf::type_by_id<Is>::type)),
           caf::type_name_by_id<Is>::value}...};
}

} // namespace

CAF_TEST(every type of the block is registered under its name) {
  using block = caf::id_block::retrain;
  CAF_CHECK_GREATER(block::end, block::begin);
  auto names = names_of_block(
    sys->types(),
    typename caf::detail::il_range<block::begin, block::end>::type{});
  CAF_CHECK_EQUAL(names.size(), static_cast<size_t>(block::end - block::begin));
  for (auto& [registered, declared] : names)
    CAF_CHECK_EQUAL(registered, declared);
}

CAF_TEST(errors render readably) {
  auto err = caf::make_error(ec::invalid_model_id, "model id 'x': bad");
  CAF_CHECK_EQUAL(sys->render(err),
                  "retrain::invalid_model_id: model id 'x': bad");
}

CAF_TEST(protocol version is stamped) {
  auto ids = caf::get_or(cfg, "middleman.app-identifiers",
                         std::vector<std::string>{});
  CAF_CHECK_EQUAL(ids, std::vector<std::string>{"retrain.v1"});
}

CAF_TEST_FIXTURE_SCOPE_END()
