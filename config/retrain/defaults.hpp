#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "retrain/metric_kind.hpp"
#include "retrain/node_role.hpp"

/// Every default value of a node, in one place. The config structs start
/// from these; `retrain-node --help` and `config/retrain.ini` show them (a
/// test compares the file with them); `retrain-ctl` and `retrain-bench` find
/// a node started with them.
namespace retrain::defaults {

/// `retrain.role`
inline constexpr node_role role = node_role::all;

/// `retrain.data-dir`
inline constexpr std::string_view data_dir = "./retrain-data";

/// `retrain.host`; also the host of `retrain.coordinator`.
inline constexpr std::string_view host = "127.0.0.1";

/// `retrain.ingest-port`
inline constexpr uint16_t ingest_port = 4242;

/// `retrain.coordinator-port`; also the port of `retrain.coordinator`.
inline constexpr uint16_t coordinator_port = 4243;

/// `retrain.workers`
inline constexpr uint32_t workers = 2;

/// `retrain.shutdown-grace`: how long a stopping node may take to deliver
/// what it holds (systemd's TimeoutStopSec in the unit is longer).
inline constexpr std::chrono::milliseconds shutdown_grace
  = std::chrono::seconds{10};

/// `retrain.request-timeout`
inline constexpr std::chrono::milliseconds request_timeout
  = std::chrono::seconds{10};

/// `retrain.log-level`
inline constexpr std::string_view log_level = "info";

/// `retrain.log-format`: readable text; `json` for log shippers.
inline constexpr std::string_view log_format = "text";

/// `retrain.monitor.*` and `retrain.threshold.*`
namespace monitor {

/// `retrain.monitor.alpha`: the seed's EWMA weight.
inline constexpr double alpha = 0.2;

/// `retrain.monitor.min-samples`
inline constexpr uint64_t min_samples = 5;

/// `retrain.monitor.consecutive-breaches`
inline constexpr uint64_t consecutive_breaches = 3;

/// `retrain.monitor.cooldown`
inline constexpr std::chrono::milliseconds cooldown = std::chrono::minutes{1};

/// `retrain.monitor.snapshot-interval`
inline constexpr std::chrono::milliseconds snapshot_interval
  = std::chrono::seconds{1};

/// `retrain.monitor.flush-interval` of a node. A `monitor_config` on its own
/// sends at once (0), which the actor tests rely on.
inline constexpr std::chrono::milliseconds flush_interval{2};

/// `retrain.monitor.max-restarts`
inline constexpr uint32_t max_restarts = 5;

/// `retrain.monitor.restart-window`
inline constexpr std::chrono::milliseconds restart_window
  = std::chrono::minutes{1};

/// `retrain.monitor.idle-timeout`: a monitor with no event this long is
/// stopped and kept as its snapshot (0 = never).
inline constexpr std::chrono::milliseconds idle_timeout
  = std::chrono::minutes{5};

/// `retrain.monitor.max-models`: events of new model ids past this many
/// models on one node are refused.
inline constexpr uint64_t max_models = 2'000'000;

/// `retrain.monitor.expire-after`: a model with no event this long is
/// forgotten (0 = never).
inline constexpr std::chrono::milliseconds expire_after{0};

/// `retrain.history.points`: points kept per model and metric kind (0 =
/// no history).
inline constexpr uint64_t history_points = 1000;

/// The most `retrain.history.points` may be.
inline constexpr uint64_t max_history_points = 100'000;

/// `retrain.history.resolution`: width of one history point (0 = one point
/// per distinct event time).
inline constexpr std::chrono::milliseconds history_resolution
  = std::chrono::seconds{1};

/// `retrain.monitor.max-flush-delay`: the longest the flush window grows
/// to while the supervisor is behind.
inline constexpr std::chrono::milliseconds max_flush_delay{250};

/// `retrain.monitor.persist-interval`: how often a monitor node ships the
/// snapshots of its changed monitors to the coordinator.
inline constexpr std::chrono::milliseconds persist_interval
  = std::chrono::seconds{5};

/// A kind watched by default with `ewma_threshold`.
struct kind_threshold {
  metric_kind kind;
  double threshold;
};

/// `retrain.threshold.<kind>`: the seed's thresholds; every kind not listed
/// is "off".
inline constexpr kind_threshold thresholds[] = {
  {metric_kind::accuracy, 0.92},
  {metric_kind::f1_score, 0.90},
};

} // namespace monitor

/// `retrain.job.*`
namespace job {

/// `retrain.job.simulated-duration`
inline constexpr std::chrono::milliseconds simulated_duration
  = std::chrono::seconds{2};

/// `retrain.job.timeout`
inline constexpr std::chrono::milliseconds timeout = std::chrono::hours{1};

/// `retrain.job.max-attempts`
inline constexpr uint32_t max_attempts = 3;

/// `retrain.job.retry-delay`
inline constexpr std::chrono::milliseconds retry_delay
  = std::chrono::seconds{30};

/// `retrain.job.retry-cap`
inline constexpr std::chrono::milliseconds retry_cap = std::chrono::minutes{30};

/// `retrain.registry.lease-timeout`: how old (in database time) the lease
/// of the active coordinator on a shared PostgreSQL registry may get
/// before a standby takes over.
inline constexpr std::chrono::milliseconds lease_timeout
  = std::chrono::seconds{5};

} // namespace job

/// `retrain.http*`, `retrain.webhook*`: the public edge.
namespace edge {

/// `retrain.http-port`
inline constexpr uint16_t http_port = 4244;

/// `retrain.http-max-body`: 8 MiB, about 100,000 events.
inline constexpr uint64_t http_max_body = 8 * 1024 * 1024;

/// `retrain.http-read-timeout`
inline constexpr std::chrono::milliseconds http_read_timeout
  = std::chrono::seconds{10};

/// `retrain.http-max-connections`
inline constexpr uint32_t http_max_connections = 256;

/// `retrain.webhook-queue`
inline constexpr uint32_t webhook_queue = 10000;

/// `retrain.webhook-max-attempts`
inline constexpr uint32_t webhook_max_attempts = 10;

} // namespace edge

/// `retrain.cluster.*`: the sharded monitor tier.
namespace cluster {

/// `retrain.cluster.shards`: model lines map to this many shards, which the
/// coordinator spreads over the monitor nodes.
inline constexpr uint32_t shards = 256;

/// The most `retrain.cluster.shards` may be.
inline constexpr uint32_t max_shards = 65536;

/// `retrain.cluster.port`: where a monitor node takes the events other
/// monitor nodes forward to it; 0 picks a free port (the shard map tells
/// the others).
inline constexpr uint16_t port = 0;

/// `retrain.cluster.apply-journal`: where a monitor node records each batch
/// it applies (node, shard, epoch, steady-clock time); empty: nowhere.
inline constexpr const char* apply_journal = "";

} // namespace cluster

/// CAF settings whose defaults a node changes.
namespace caf_settings {

/// `scheduler.policy`: work stealing crawls when one actor wakes tens of
/// thousands of monitors (in CAF 0.17 a thief's take_tail is linear in the
/// victim's queue); sharing does not.
inline constexpr char scheduler_policy[] = "sharing";

/// `middleman.heartbeat-interval`: heartbeats on, so that a hung peer is
/// noticed (CAF's default is off).
inline constexpr std::chrono::seconds heartbeat_interval{1};

/// `middleman.connection-timeout`: a silent peer is lost after this.
inline constexpr std::chrono::seconds connection_timeout{3};

} // namespace caf_settings

} // namespace retrain::defaults
