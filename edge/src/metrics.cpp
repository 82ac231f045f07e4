#include "retrain/edge/metrics.hpp"

#include <limits>
#include <utility>

#include <caf/scoped_actor.hpp>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "retrain/core/duration_histogram.hpp"

namespace retrain::edge {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using labels = std::vector<ClientMetric::Label>;

// Builds families one at a time; a family without samples is left out.
class family_list {
public:
  MetricFamily& add(std::string name, std::string help, MetricType type) {
    families_.push_back(
      MetricFamily{std::move(name), std::move(help), type, {}});
    return families_.back();
  }

  void counter(std::string name, std::string help, double value,
               labels ls = {}) {
    auto& f = add(std::move(name), std::move(help), MetricType::Counter);
    sample(f, value, std::move(ls));
  }

  void gauge(std::string name, std::string help, double value, labels ls = {}) {
    auto& f = add(std::move(name), std::move(help), MetricType::Gauge);
    sample(f, value, std::move(ls));
  }

  static void sample(MetricFamily& f, double value, labels ls = {}) {
    ClientMetric m;
    m.label = std::move(ls);
    if (f.type == MetricType::Counter)
      m.counter.value = value;
    else
      m.gauge.value = value;
    f.metric.push_back(std::move(m));
  }

  std::vector<MetricFamily> take() {
    std::vector<MetricFamily> result;
    for (auto& f : families_)
      if (!f.metric.empty())
        result.push_back(std::move(f));
    return result;
  }

private:
  std::vector<MetricFamily> families_;
};

double num(uint64_t x) {
  return static_cast<double>(x);
}

void add_monitors(family_list& out, const monitor_stats& ms) {
  auto& events = out.add("retrain_events_total",
                         "Metric events taken (by kind) and refused (by "
                         "reason) by this node's ingest since it started",
                         MetricType::Counter);
  for (std::size_t i = 0; i < ms.accepted.size() && i < metric_kind_count; ++i)
    family_list::sample(events, num(ms.accepted[i]),
                        {{"kind", to_string(static_cast<metric_kind>(i))},
                         {"result", "accepted"}});
  for (auto& [reason, n] : ms.rejected)
    family_list::sample(events, num(n),
                        {{"reason", reason}, {"result", "rejected"}});
  out.counter("retrain_events_applied_total",
              "Metric events applied by this node's monitors (counted by the "
              "monitors, kept across monitor restarts)",
              num(ms.events));
  auto& monitors = out.add("retrain_monitors",
                           "Monitors (one per model id) on this node",
                           MetricType::Gauge);
  family_list::sample(monitors, num(ms.models - ms.quarantined - ms.passivated),
                      {{"state", "active"}});
  family_list::sample(monitors, num(ms.quarantined),
                      {{"state", "quarantined"}});
  family_list::sample(monitors, num(ms.passivated), {{"state", "passivated"}});
  out.counter("retrain_models_forgotten_total",
              "Models forgotten after retrain.monitor.expire-after without "
              "events, since the node started",
              num(ms.forgotten));
  out.counter("retrain_triggers_total",
              "Retrain decisions (triggers) of this node's monitors",
              num(ms.triggers));
  out.counter("retrain_breaches_total",
              "Evaluations on the wrong side of a threshold, before warm-up, "
              "hysteresis and cooldown",
              num(ms.breaches));
  out.gauge("retrain_flush_window_seconds",
            "How long the supervisor holds events for longer runs now: "
            "retrain.monitor.flush-interval, longer while the node is behind "
            "(at most retrain.monitor.max-flush-delay)",
            static_cast<double>(ms.flush_window_ns) / 1e9);
  out.counter("retrain_snapshots_shipped_total",
              "Monitor snapshots this node shipped to the coordinator "
              "(retrain.monitor.persist-interval and handovers)",
              num(ms.snapshots_shipped));
  out.counter("retrain_snapshot_bytes_shipped_total",
              "Bytes of the monitor snapshots this node shipped to the "
              "coordinator",
              num(ms.snapshot_bytes_shipped));
}

void add_coordinator(family_list& out, const coordinator_status& st) {
  auto& jobs = out.add("retrain_jobs",
                       "Jobs queued or running (at most one per model line)",
                       MetricType::Gauge);
  family_list::sample(jobs, num(st.queued), {{"state", "queued"}});
  family_list::sample(jobs, num(st.running), {{"state", "running"}});
  out.gauge("retrain_queue_depth", "Jobs waiting for a worker", num(st.queued));
  auto& ended = out.add("retrain_jobs_ended_total",
                        "Jobs that ended since the coordinator started",
                        MetricType::Counter);
  family_list::sample(ended, num(st.succeeded), {{"state", "succeeded"}});
  family_list::sample(ended, num(st.failed), {{"state", "failed"}});
  out.counter("retrain_job_attempts_total",
              "Attempts handed to workers since the coordinator started",
              num(st.attempts));
  if (st.job_seconds.size() == core::duration_histogram::bounds.size() + 1) {
    auto& f = out.add("retrain_job_duration_seconds",
                      "Time from a job's creation to its end, of jobs that "
                      "ended since the coordinator started",
                      MetricType::Histogram);
    ClientMetric m;
    uint64_t cumulative = 0;
    for (std::size_t i = 0; i < st.job_seconds.size(); ++i) {
      cumulative += st.job_seconds[i];
      auto bound = i < core::duration_histogram::bounds.size()
                     ? core::duration_histogram::bounds[i]
                     : std::numeric_limits<double>::infinity();
      m.histogram.bucket.push_back(ClientMetric::Bucket{cumulative, bound});
    }
    m.histogram.sample_count = cumulative;
    m.histogram.sample_sum = num(st.job_ms_sum) / 1000.0;
    f.metric.push_back(std::move(m));
  }
  uint64_t busy = 0;
  for (auto& w : st.workers)
    if (w.job_id != 0)
      ++busy;
  auto& workers = out.add("retrain_workers",
                          "Workers enlisted with the coordinator",
                          MetricType::Gauge);
  family_list::sample(workers, num(busy), {{"state", "busy"}});
  family_list::sample(workers, num(st.workers.size() - busy),
                      {{"state", "idle"}});
  out.gauge("retrain_monitor_nodes", "Monitor nodes subscribed to job news",
            num(st.supervisors));
  out.counter("retrain_storage_errors_total",
              "Writes the registry database refused since the coordinator "
              "started",
              num(st.storage_errors));
  out.gauge("retrain_storage_degraded",
            "1 while the registry database refuses writes (decisions wait)",
            st.storage == "ok" ? 0.0 : 1.0);
}

void add_models(family_list& out, const std::vector<model_status>& models) {
  auto& statistic = out.add("retrain_model_statistic",
                            "The statistic of each model's strategy per "
                            "metric kind (EWMA for ewma_threshold)",
                            MetricType::Gauge);
  auto& threshold = out.add("retrain_model_threshold",
                            "The threshold each model's statistic is "
                            "compared with",
                            MetricType::Gauge);
  auto& samples = out.add("retrain_model_samples",
                          "Values each model's strategy took per kind",
                          MetricType::Gauge);
  auto& events = out.add("retrain_model_events_total",
                         "Events applied per model", MetricType::Counter);
  for (auto& m : models) {
    family_list::sample(events, num(m.events), {{"model", m.model}});
    for (auto& k : m.kinds) {
      labels ls{{"kind", to_string(k.kind)}, {"model", m.model}};
      family_list::sample(statistic, k.statistic, ls);
      family_list::sample(threshold, k.threshold, ls);
      family_list::sample(samples, num(k.samples), ls);
    }
  }
}

} // namespace

scrape collect(caf::actor_system& sys, const metric_sources& sources,
               std::chrono::milliseconds timeout) {
  scrape result;
  result.version = sources.version;
  caf::scoped_actor self{sys};
  auto failed = [&](caf::error&) { result.complete = false; };
  if (sources.ingest) {
    self->request(sources.ingest, timeout, atom::stats::value)
      .receive([&](monitor_stats& ms) { result.monitors = std::move(ms); },
               failed);
    if (sources.per_model)
      self->request(sources.ingest, timeout, atom::status::value)
        .receive(
          [&](std::vector<model_status>& xs) { result.models = std::move(xs); },
          failed);
  }
  if (sources.coordinator)
    self->request(sources.coordinator, timeout, atom::status::value)
      .receive(
        [&](coordinator_status& st) { result.coordinator = std::move(st); },
        failed);
  if (auto& w = sources.webhooks)
    result.webhooks = webhook_totals{w->queued.load(), w->delivered.load(),
                                     w->retried.load(), w->failed.load(),
                                     w->dropped.load()};
  if (sources.link)
    self->request(sources.link, timeout, atom::status::value)
      .receive([&](link_status& st) { result.link = st; }, failed);
  return result;
}

void add_metrics_route(http_server& server, caf::actor_system& sys,
                       metric_sources sources,
                       std::chrono::milliseconds timeout) {
  server.add("GET", "/metrics", [&sys, sources, timeout](const http_request&) {
    http_response res;
    res.content_type = metrics_content_type;
    res.body = render(collect(sys, sources, timeout));
    return res;
  });
}

std::string render(const scrape& x) {
  family_list out;
  out.gauge("retrain_build_info", "The retrain version this node runs", 1.0,
            {{"version", x.version}});
  out.gauge("retrain_scrape_complete",
            "1 if every actor of this node answered this scrape in time",
            x.complete ? 1.0 : 0.0);
  if (x.monitors)
    add_monitors(out, *x.monitors);
  if (x.coordinator)
    add_coordinator(out, *x.coordinator);
  if (x.link) {
    out.gauge("retrain_coordinator_connected",
              "1 while this node's link reaches the coordinator",
              x.link->connected ? 1.0 : 0.0);
    out.gauge("retrain_held_triggers",
              "Triggers of this node's monitors not yet acknowledged by the "
              "coordinator (kept in the outbox)",
              num(x.link->held_triggers));
    out.gauge("retrain_held_reports",
              "Results of this node's workers not yet acknowledged by the "
              "coordinator",
              num(x.link->held_reports));
  }
  if (auto& w = x.webhooks) {
    auto& f = out.add("retrain_webhook_deliveries_total",
                      "Webhook deliveries (one per event and URL) that "
                      "ended: delivered (2xx), failed (attempts used up) or "
                      "dropped (the queue was full)",
                      MetricType::Counter);
    family_list::sample(f, num(w->delivered), {{"result", "delivered"}});
    family_list::sample(f, num(w->failed), {{"result", "failed"}});
    family_list::sample(f, num(w->dropped), {{"result", "dropped"}});
    out.counter("retrain_webhook_retries_total",
                "Webhook attempts that failed and are tried again",
                num(w->retried));
    auto ended = w->delivered + w->failed;
    out.gauge("retrain_webhook_queue",
              "Webhook deliveries waiting or being tried",
              num(w->queued > ended ? w->queued - ended : 0));
  }
  if (!x.models.empty())
    add_models(out, x.models);
  return prometheus::TextSerializer{}.Serialize(out.take());
}

} // namespace retrain::edge
