#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/core/policy.hpp"
#include "retrain/core/strategy.hpp"
#include "retrain/core/strategy_factory.hpp"
#include "retrain/defaults.hpp"
#include "retrain/metric_kind.hpp"

namespace retrain {

/// How one metric kind is watched.
struct kind_watch {
  /// Strategy name, e.g. `ewma_threshold`.
  std::string strategy;
  /// Its parameters, complete (thresholds and EWMA settings filled in).
  core::param_map params;
};

/// How monitors decide: `retrain.monitor.*`, `retrain.threshold.*` and
/// `retrain.strategy.*`.
struct monitor_config {
  /// EWMA weight of the newest value.
  double alpha = retrain::defaults::monitor::alpha;
  /// No decision before this many values of a kind.
  uint64_t min_samples = retrain::defaults::monitor::min_samples;
  /// Breaching evaluations in a row for a trigger.
  uint64_t consecutive_breaches
    = retrain::defaults::monitor::consecutive_breaches;
  /// Quiet time after a trigger.
  std::chrono::milliseconds cooldown = retrain::defaults::monitor::cooldown;
  /// How often the supervisor asks the monitors that changed for their
  /// state.
  std::chrono::milliseconds snapshot_interval
    = retrain::defaults::monitor::snapshot_interval;
  /// How long the supervisor may hold events to send each monitor longer
  /// runs; 0 sends every batch's runs at once. Nodes default to
  /// `retrain::defaults::monitor::flush_interval` (`node_defaults()`).
  std::chrono::milliseconds flush_interval{0};
  /// Restarts allowed per monitor within `restart_window` before the model
  /// is quarantined.
  uint32_t max_restarts = retrain::defaults::monitor::max_restarts;
  std::chrono::milliseconds restart_window
    = retrain::defaults::monitor::restart_window;
  /// A monitor with no event this long is stopped and kept as its snapshot
  /// until its next event; 0 = never.
  std::chrono::milliseconds idle_timeout
    = retrain::defaults::monitor::idle_timeout;
  /// Events of new model ids past this many models are refused.
  uint64_t max_models = retrain::defaults::monitor::max_models;
  /// A model with no event this long is forgotten; 0 = never.
  std::chrono::milliseconds expire_after
    = retrain::defaults::monitor::expire_after;
  /// History points kept per model and kind (`retrain.history.points`).
  uint64_t history_points = retrain::defaults::monitor::history_points;
  /// Width of one history point (`retrain.history.resolution`).
  std::chrono::milliseconds history_resolution
    = retrain::defaults::monitor::history_resolution;
  /// How long events may wait at most while the supervisor is behind: the
  /// flush window grows from `flush_interval` up to this; at least
  /// `flush_interval`.
  std::chrono::milliseconds max_flush_delay
    = retrain::defaults::monitor::max_flush_delay;
  /// How often a monitor node of a cluster ships the snapshots of its
  /// changed monitors to the coordinator: what a node lost by kill -9
  /// loses at most, per model.
  std::chrono::milliseconds persist_interval
    = retrain::defaults::monitor::persist_interval;
  /// Timeout of the supervisor's requests (status, subscribing); nodes set
  /// it from `retrain.request-timeout`.
  std::chrono::milliseconds request_timeout
    = retrain::defaults::request_timeout;
  /// Per kind: how it is watched, or nothing (not watched).
  std::array<std::optional<kind_watch>, metric_kind_count> kinds;

  /// The seed's defaults: the kinds of `defaults::monitor::thresholds`
  /// (accuracy under 0.92, f1_score under 0.90) watched with
  /// `ewma_threshold`.
  static monitor_config defaults();

  /// `defaults()` with the node's `flush_interval`: what `retrain-node`
  /// starts from.
  static monitor_config node_defaults();

  /// Sets the watch of `kind` to `ewma_threshold` with this config's EWMA
  /// settings and `threshold`.
  void watch_threshold(metric_kind kind, double threshold);

  /// Returns what is wrong (`ec::invalid_config`, naming the key and the
  /// allowed range), or nothing.
  caf::error validate() const;

  /// Builds the strategy for `kind` (`ec::invalid_config` when its
  /// parameters are wrong); requires `kinds[kind]`.
  caf::expected<std::unique_ptr<core::strategy>>
  make_strategy(metric_kind kind) const;

  /// This configuration as the `*` policy of its node: what a line runs
  /// when no policy sets it (the job settings stay at their defaults; see
  /// `job_config::fill`).
  core::policy_base policy_base() const;
};

} // namespace retrain
