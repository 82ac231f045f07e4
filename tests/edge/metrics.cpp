#define CAF_SUITE metrics
#include <caf/test/unit_test.hpp>

#include <string>

#include "retrain/edge/metrics.hpp"

using namespace retrain;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

edge::scrape sample() {
  edge::scrape x;
  x.version = "0.1.0 (git abc)";
  monitor_stats ms;
  ms.models = 5;
  ms.quarantined = 1;
  ms.passivated = 2;
  ms.forgotten = 6;
  ms.events = 40;
  ms.triggers = 2;
  ms.breaches = 7;
  ms.accepted = {30, 0, 0, 10, 0};
  ms.rejected = {{"invalid_value", 3}, {"quarantined", 1}};
  x.monitors = ms;
  coordinator_status cs;
  cs.queued = 2;
  cs.running = 1;
  cs.succeeded = 4;
  cs.failed = 1;
  cs.attempts = 6;
  cs.storage = "ok";
  cs.workers = {{"n/1", 9}, {"n/2", 0}, {"n/3", 0}};
  cs.job_seconds.assign(12, 0);
  cs.job_seconds[0] = 1;  // <= 1 s
  cs.job_seconds[2] = 3;  // <= 15 s
  cs.job_seconds[11] = 1; // above 7200 s
  cs.job_ms_sum = 8'000'500;
  x.coordinator = cs;
  return x;
}

} // namespace

CAF_TEST(events are counted by kind and by reason) {
  auto text = edge::render(sample());
  CAF_CHECK(has_line(text, "# TYPE retrain_events_total counter"));
  CAF_CHECK(has_line(
    text, R"(retrain_events_total{kind="accuracy",result="accepted"} 30)"));
  CAF_CHECK(has_line(
    text, R"(retrain_events_total{kind="f1_score",result="accepted"} 10)"));
  CAF_CHECK(has_line(
    text,
    R"(retrain_events_total{reason="invalid_value",result="rejected"} 3)"));
  CAF_CHECK(has_line(
    text, R"(retrain_events_total{reason="quarantined",result="rejected"} 1)"));
  CAF_CHECK(has_line(text, R"(retrain_monitors{state="active"} 2)"));
  CAF_CHECK(has_line(text, R"(retrain_monitors{state="passivated"} 2)"));
  CAF_CHECK(has_line(text, "retrain_models_forgotten_total 6"));
  CAF_CHECK(has_line(text, R"(retrain_monitors{state="quarantined"} 1)"));
  CAF_CHECK(has_line(text, "retrain_triggers_total 2"));
}

CAF_TEST(jobs workers and the duration histogram come from the coordinator) {
  auto text = edge::render(sample());
  CAF_CHECK(has_line(text, R"(retrain_jobs{state="queued"} 2)"));
  CAF_CHECK(has_line(text, R"(retrain_jobs{state="running"} 1)"));
  CAF_CHECK(has_line(text, R"(retrain_jobs_ended_total{state="failed"} 1)"));
  CAF_CHECK(has_line(text, "retrain_job_attempts_total 6"));
  CAF_CHECK(has_line(text, R"(retrain_workers{state="busy"} 1)"));
  CAF_CHECK(has_line(text, R"(retrain_workers{state="idle"} 2)"));
  CAF_CHECK(has_line(text, "retrain_storage_degraded 0"));
  // Buckets are cumulative and end with +Inf, which counts every job.
  CAF_CHECK(has_line(text, "# TYPE retrain_job_duration_seconds histogram"));
  CAF_CHECK(has_line(text, R"(retrain_job_duration_seconds_bucket{le="1"} 1)"));
  CAF_CHECK(has_line(text, R"(retrain_job_duration_seconds_bucket{le="5"} 1)"));
  CAF_CHECK(
    has_line(text, R"(retrain_job_duration_seconds_bucket{le="15"} 4)"));
  CAF_CHECK(
    has_line(text, R"(retrain_job_duration_seconds_bucket{le="7200"} 4)"));
  CAF_CHECK(
    has_line(text, R"(retrain_job_duration_seconds_bucket{le="+Inf"} 5)"));
  CAF_CHECK(has_line(text, "retrain_job_duration_seconds_count 5"));
  CAF_CHECK(has_line(text, "retrain_job_duration_seconds_sum 8000.5"));
}

CAF_TEST(a node shows only the families of the roles it runs) {
  auto x = sample();
  x.coordinator.reset();
  auto text = edge::render(x);
  CAF_CHECK(
    has_line(text, "retrain_build_info{version=\"0.1.0 (git abc)\"} 1"));
  CAF_CHECK(text.find("retrain_jobs") == std::string::npos);
  CAF_CHECK(text.find("retrain_events_total") != std::string::npos);
  x.monitors.reset();
  x.complete = false;
  text = edge::render(x);
  CAF_CHECK(text.find("retrain_events_total") == std::string::npos);
  CAF_CHECK(has_line(text, "retrain_scrape_complete 0"));
}

CAF_TEST(per model gauges appear only for the models given) {
  auto x = sample();
  CAF_CHECK(edge::render(x).find("retrain_model_") == std::string::npos);
  model_status m;
  m.model = "cv:a:1.0.0";
  m.events = 12;
  m.kinds.push_back(kind_status{metric_kind::accuracy, "ewma_threshold", 0.875,
                                0.92, 12, "breach"});
  x.models.push_back(m);
  auto text = edge::render(x);
  CAF_CHECK(has_line(
    text,
    R"(retrain_model_statistic{kind="accuracy",model="cv:a:1.0.0"} 0.875)"));
  CAF_CHECK(has_line(
    text,
    R"(retrain_model_threshold{kind="accuracy",model="cv:a:1.0.0"} 0.92)"));
  CAF_CHECK(
    has_line(text, R"(retrain_model_events_total{model="cv:a:1.0.0"} 12)"));
}

CAF_TEST(a node with a coordinator link shows what it holds) {
  auto x = sample();
  CAF_CHECK(edge::render(x).find("retrain_held_triggers") == std::string::npos);
  link_status ls;
  ls.connected = false;
  ls.held_triggers = 3;
  ls.held_reports = 1;
  x.link = ls;
  auto text = edge::render(x);
  CAF_CHECK(has_line(text, "retrain_coordinator_connected 0"));
  CAF_CHECK(has_line(text, "retrain_held_triggers 3"));
  CAF_CHECK(has_line(text, "retrain_held_reports 1"));
}

CAF_TEST(webhook deliveries are counted by how they ended) {
  auto x = sample();
  x.webhooks = edge::webhook_totals{10, 6, 4, 1, 2};
  auto text = edge::render(x);
  CAF_CHECK(has_line(
    text, R"(retrain_webhook_deliveries_total{result="delivered"} 6)"));
  CAF_CHECK(
    has_line(text, R"(retrain_webhook_deliveries_total{result="failed"} 1)"));
  CAF_CHECK(
    has_line(text, R"(retrain_webhook_deliveries_total{result="dropped"} 2)"));
  CAF_CHECK(has_line(text, "retrain_webhook_retries_total 4"));
  CAF_CHECK(has_line(text, "retrain_webhook_queue 3"));
}
