#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "retrain/edge/http_server.hpp"
#include "retrain/edge/webhook.hpp"
#include "retrain/messages.hpp"

namespace retrain::edge {

/// The webhook counters at one moment.
struct webhook_totals {
  uint64_t queued = 0;
  uint64_t delivered = 0;
  uint64_t retried = 0;
  uint64_t failed = 0;
  uint64_t dropped = 0;
};

/// What one scrape of `/metrics` read from the node's actors. A part is
/// absent when the node does not run that role or its actor did not answer
/// in time (then `complete` is false).
struct scrape {
  /// The retrain version of the node, e.g. `0.1.0 (git 1a2b3c4d5e6f)`.
  std::string version;
  /// Totals over the node's monitors and ingest (monitor role).
  std::optional<monitor_stats> monitors;
  /// The coordinator's queue, workers and counters (coordinator role).
  std::optional<coordinator_status> coordinator;
  /// What the node's coordinator link holds (monitor and worker roles).
  std::optional<link_status> link;
  /// Webhook deliveries, on a node that sends webhooks.
  std::optional<webhook_totals> webhooks;
  /// Every model's status, with `retrain.metrics.per-model` only.
  std::vector<model_status> models;
  /// Whether every actor asked answered.
  bool complete = true;
};

/// The typed handles a scrape asks; null ones are not asked.
struct metric_sources {
  monitor_node_actor ingest;
  dispatcher_actor coordinator;
  link_status_actor link;
  /// The counters of the webhook sender, or null without webhooks.
  std::shared_ptr<const webhook_counters> webhooks;
  std::string version;
  bool per_model = false;
};

/// Asks the actors of `sources` (each within `timeout`) from the calling
/// thread, which must not be a CAF scheduler thread.
scrape collect(caf::actor_system& sys, const metric_sources& sources,
               std::chrono::milliseconds timeout);

/// Renders `x` in Prometheus' text format (version 0.0.4).
std::string render(const scrape& x);

/// Adds `GET /metrics` to `server`: each request collects (bounded by
/// `timeout` per actor) and renders.
void add_metrics_route(http_server& server, caf::actor_system& sys,
                       metric_sources sources,
                       std::chrono::milliseconds timeout);

/// The content type of `render`'s text.
inline constexpr const char* metrics_content_type
  = "text/plain; version=0.0.4; charset=utf-8";

} // namespace retrain::edge
