#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// Totals over the monitors of a node (or one monitor), for benchmarks and
/// dashboards that need numbers rather than a row per model.
struct monitor_stats {
  /// Monitors counted.
  uint64_t models = 0;
  /// Events applied.
  uint64_t events = 0;
  /// Triggers sent.
  uint64_t triggers = 0;
  /// Evaluations on the wrong side of a threshold before warm-up, hysteresis
  /// and cooldown (the seed's "would retrain").
  uint64_t breaches = 0;
  /// Monitors quarantined after repeated crashes (counted in `models` too).
  uint64_t quarantined = 0;
  /// Monitors stopped after `retrain.monitor.idle-timeout` without events,
  /// kept as their snapshot until their next event (counted in `models`
  /// too).
  uint64_t passivated = 0;
  /// Models forgotten since the node started (`retrain.monitor.expire-after`).
  uint64_t forgotten = 0;
  /// Events taken for monitors since the node started, by metric kind
  /// (indexed by `metric_kind`; empty in a single monitor's answer).
  std::vector<uint64_t> accepted;
  /// Events refused since the node started, by the name of the reason's
  /// code (`invalid_model_id`, `invalid_metric_kind`, `invalid_value`,
  /// `quarantined`, `draining`, `too_many_models`).
  std::map<std::string, uint64_t> rejected;
  /// How long the supervisor holds events now, in ns: the flush interval,
  /// or longer while it is behind (`retrain.monitor.max-flush-delay`).
  int64_t flush_window_ns = 0;
  /// Monitor snapshots, and their bytes, this node shipped to the
  /// coordinator since it started (a monitor node of a cluster; its router
  /// adds them to the supervisor's totals).
  uint64_t snapshots_shipped = 0;
  uint64_t snapshot_bytes_shipped = 0;
};

/// @relates monitor_stats
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, monitor_stats& x) {
  return f(caf::meta::type_name("monitor_stats"), x.models, x.events,
           x.triggers, x.breaches, x.quarantined, x.passivated, x.forgotten,
           x.accepted, x.rejected, x.flush_window_ns, x.snapshots_shipped,
           x.snapshot_bytes_shipped);
}

} // namespace retrain
