#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "retrain/core/expected.hpp"
#include "retrain/core/strategy.hpp"
#include "retrain/core/strategy_factory.hpp"
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
  double alpha = 0.2;
  /// No decision before this many values of a kind.
  uint64_t min_samples = 5;
  /// Breaching evaluations in a row for a trigger.
  uint64_t consecutive_breaches = 3;
  /// Quiet time after a trigger.
  std::chrono::milliseconds cooldown{std::chrono::minutes{1}};
  /// How often the supervisor asks the monitors that changed for their
  /// state.
  std::chrono::milliseconds snapshot_interval{std::chrono::seconds{1}};
  /// How long the supervisor may hold events to send each monitor longer
  /// runs; 0 sends every batch's runs at once. Nodes default to 2 ms.
  std::chrono::milliseconds flush_interval{0};
  /// Restarts allowed per monitor within `restart_window` before the model
  /// is quarantined.
  uint32_t max_restarts = 5;
  std::chrono::milliseconds restart_window{std::chrono::minutes{1}};
  /// Timeout of the supervisor's requests (status, subscribing); nodes set
  /// it from `retrain.request-timeout`.
  std::chrono::milliseconds request_timeout{std::chrono::seconds{10}};
  /// Per kind: how it is watched, or nothing (not watched).
  std::array<std::optional<kind_watch>, metric_kind_count> kinds;

  /// The seed's defaults: accuracy under 0.92 and f1_score under 0.90 with
  /// `ewma_threshold`.
  static monitor_config defaults();

  /// Sets the watch of `kind` to `ewma_threshold` with this config's EWMA
  /// settings and `threshold`.
  void watch_threshold(metric_kind kind, double threshold);

  /// Returns what is wrong, naming the key and the allowed range.
  std::optional<core::failure> validate() const;

  /// Builds the strategy for `kind`; requires `kinds[kind]`.
  core::expected<std::unique_ptr<core::strategy>>
  make_strategy(metric_kind kind) const;
};

} // namespace retrain
