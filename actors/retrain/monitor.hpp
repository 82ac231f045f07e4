#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "retrain/core/history_ring.hpp"
#include "retrain/core/semver.hpp"
#include "retrain/core/strategy.hpp"
#include "retrain/core/trigger_gate.hpp"
#include "retrain/messages.hpp"
#include "retrain/monitor_config.hpp"

namespace retrain {

/// What the monitors of the lines under one policy share: one strategy
/// prototype per watched kind (cloned on a model's first value of that
/// kind, so parameters are parsed once per policy and unwatched kinds cost
/// nothing), the complete spec of each, the cooldown, and which policy it
/// is.
struct monitor_setup {
  std::array<std::unique_ptr<core::strategy>, metric_kind_count> prototypes;
  std::array<std::optional<core::strategy_spec>, metric_kind_count> specs;
  /// The text of each spec, as snapshots carry it: formatted once per
  /// policy, not once per snapshot.
  std::array<std::string, metric_kind_count> spec_texts;
  std::chrono::milliseconds cooldown{0};
  /// History points per kind and their width (`retrain.history.*`).
  std::size_t history_points = 0;
  int64_t history_resolution_ns = 0;
  /// The policy: its pattern and version (`*`, 0: the node configuration).
  std::string pattern = "*";
  uint64_t version = 0;

  /// Builds the prototypes of `config`, which must be valid.
  static std::shared_ptr<const monitor_setup>
  make(const monitor_config& config);

  /// Builds the setup of `policy` with the node's history settings
  /// (`retrain.history.*`, which no policy changes); a spec that does not
  /// build (it came off the wire from another build) leaves its kind
  /// unwatched.
  static std::shared_ptr<const monitor_setup>
  make(const monitor_policy& policy, std::size_t history_points,
       int64_t history_resolution_ns);

  /// What a monitor under `policy` runs, as a message.
  static monitor_policy describe(const core::resolved_policy& policy);
};

/// What a new monitor starts from.
struct monitor_start {
  std::string model;
  std::shared_ptr<const monitor_setup> setup;
  /// The state of a crashed predecessor, if any.
  std::optional<monitor_snapshot> snapshot;
  /// Latest registered version of the line, if known: an older model stands
  /// down at once.
  std::optional<core::semver> latest;
  /// Whether the line has a job queued or running.
  bool line_busy = false;
  /// Whether the snapshot's line state is current (the monitor was
  /// passivated and the supervisor kept its snapshot up to date with line
  /// news): then it counts, not only `line_busy`.
  bool resume = false;
};

/// State of one monitor: one strategy per watched metric kind of one model.
///
/// ```
///   watching --drift (gate open)--> trigger sent, gate closed
///      ^                                   |
///      +-- line_state: line idle again ----+   (cooldown still applies)
///   any --line_state with a newer registered version--> standing down
/// ```
/// Standing down keeps applying events (status stays useful) but never
/// triggers again. Kept small: a node holds one per model.
struct monitor_state {
  static inline const char* name = "monitor";

  std::string model;
  std::shared_ptr<const monitor_setup> setup;
  /// Created on the first value of a kind.
  std::array<std::unique_ptr<core::strategy>, metric_kind_count> strategies;
  core::trigger_gate gate;
  /// The history of each kind, created on its first value (null while
  /// `retrain.history.points` is 0).
  std::array<std::unique_ptr<core::history_ring>, metric_kind_count> history;
  /// The triggers sent, newest last, at most
  /// `model_history::trigger_marks_kept`.
  std::vector<trigger_mark> marks;
  uint64_t events = 0;
  uint64_t triggers = 0;
  /// Evaluations on the wrong side of a threshold (the seed's rule).
  uint64_t breaches = 0;
  bool standing_down = false;
  /// Whether state changed since the last snapshot.
  bool dirty = false;
  /// A weak reference: the supervisor owns its monitors, not the other way
  /// round, so that a stopped supervisor takes its monitors with it.
  caf::actor_addr supervisor;

  /// Sends `x` to the supervisor if it still exists.
  template <class Self, class T>
  void tell_supervisor(Self* self, T&& x) {
    if (auto sup = caf::actor_cast<monitor_parent_actor>(supervisor))
      self->send(sup, std::forward<T>(x));
  }

  /// The strategy of `kind`, created on first use; null if not watched.
  core::strategy* strategy_of(metric_kind kind);

  /// Applies one event; returns a trigger to send, if any.
  std::optional<retrain_trigger> apply(const run_event& ev,
                                       core::trigger_gate::time_point now);

  /// Runs `next` from now on: a kind whose detector changed (another
  /// strategy or parameter) starts fresh, one whose gate changed
  /// (`min_samples`, `consecutive_breaches`) keeps its state, and the
  /// cooldown changes at once.
  void switch_to(std::shared_ptr<const monitor_setup> next);

  /// Stands down if `latest` is newer than this model's version.
  bool stand_down_for(const core::semver& latest);

  /// The state to restart from; `with_history` adds the history of each
  /// kind (the final snapshot of a stopping monitor).
  monitor_snapshot snapshot(bool with_history = false) const;

  /// Restores the history and trigger marks of `snap`.
  void restore_history(const monitor_snapshot& snap);

  /// The history of each kind and the triggers.
  model_history history_of() const;

  /// The history ring of `kind`, created on first use; null without
  /// history.
  core::history_ring* ring_of(metric_kind kind);

  model_status status() const;
};

/// The monitor of one model id, spawned by the supervisor:
/// `spawn<monitor_impl>(start, supervisor)`.
///
/// A node runs one per model, so its footprint counts: all monitors of a
/// process share one behavior (a behavior of its own would cost each
/// monitor 384 bytes, a sixth of a running model). Its handlers find their
/// monitor through `current()`, which `resume` sets, the only place CAF
/// runs an event-based actor's handlers.
class monitor_impl
  : public caf::stateful_actor<monitor_state, monitor_actor::base> {
public:
  using super = caf::stateful_actor<monitor_state, monitor_actor::base>;

  monitor_impl(caf::actor_config& cfg, monitor_start start,
               monitor_parent_actor supervisor);

  behavior_type make_behavior() override;

  resume_result resume(caf::execution_unit* ctx, size_t max) override;

  /// The monitor whose handlers run on this thread.
  static monitor_impl* current() noexcept;
};

} // namespace retrain
