#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/typed_event_based_actor.hpp>

#include "retrain/core/model_id.hpp"
#include "retrain/core/strategy.hpp"
#include "retrain/core/trigger_gate.hpp"
#include "retrain/interfaces.hpp"
#include "retrain/monitor_config.hpp"

namespace retrain {

/// What a new monitor starts from.
struct monitor_start {
  core::model_id id;
  monitor_config config;
  /// The state of a crashed predecessor, if any.
  std::optional<monitor_snapshot> snapshot;
  /// Latest registered version of the line, if known: an older model stands
  /// down at once.
  std::optional<core::semver> latest;
  /// Whether the line has a job queued or running.
  bool line_busy = false;
};

/// State of one monitor: one strategy per watched metric kind of one model.
///
/// ```
///   watching --drift (gate open)--> trigger sent, gate closed
///      ^                                   |
///      +-- job_update failed/succeeded ----+   (cooldown still applies)
///   any --job_update succeeded with a newer version--> standing down
/// ```
/// Standing down keeps applying events (status stays useful) but never
/// triggers again.
struct monitor_state {
  static inline const char* name = "monitor";

  std::string model;
  core::model_id id;
  std::array<std::unique_ptr<core::strategy>, metric_kind_count> strategies;
  core::trigger_gate gate;
  bool standing_down = false;
  uint64_t events = 0;
  uint64_t triggers = 0;
  /// Evaluations on the wrong side of a threshold (the seed's rule).
  uint64_t breaches = 0;
  /// Whether state changed since the last snapshot.
  bool dirty = false;
  bool tick_scheduled = false;
  std::chrono::milliseconds snapshot_interval{1000};
  /// A weak reference: the supervisor owns its monitors, not the other way
  /// round, so that a stopped supervisor takes its monitors with it.
  caf::actor_addr supervisor;

  /// Sends `x` to the supervisor if it still exists.
  template <class Self, class T>
  void tell_supervisor(Self* self, T&& x) {
    if (auto sup = caf::actor_cast<supervisor_actor>(supervisor))
      self->send(sup, std::forward<T>(x));
  }

  /// Applies one event; returns a trigger to send, if any.
  std::optional<retrain_trigger> apply(const metric_event& ev,
                                       core::trigger_gate::time_point now);

  monitor_snapshot snapshot() const;

  model_status status() const;
};

/// Spawned by the supervisor, one per model id.
monitor_actor::behavior_type
monitor(monitor_actor::stateful_pointer<monitor_state> self,
        monitor_start start, supervisor_actor supervisor);

} // namespace retrain
