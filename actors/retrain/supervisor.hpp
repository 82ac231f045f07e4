#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "retrain/core/model_id.hpp"
#include "retrain/core/slot_index.hpp"
#include "retrain/messages.hpp"
#include "retrain/monitor.hpp"
#include "retrain/monitor_config.hpp"

namespace retrain {

/// What the supervisor keeps of a model only once it had trouble: crashes,
/// lost and refused events.
struct model_trouble {
  /// Crash times within the restart window, oldest first.
  std::vector<std::chrono::steady_clock::time_point> crashes;
  /// Events lost in crashes (applied after the last snapshot, or queued).
  uint64_t lost = 0;
  /// Events refused while quarantined.
  uint64_t refused = 0;
  uint32_t restarts = 0;
};

/// One model id the supervisor knows. Kept small: a node holds one per
/// model, for good.
struct monitored_model {
  std::string model;
  /// The running monitor; null while quarantined.
  monitor_actor handle;
  /// Its last snapshot, serialized (a few dozen bytes), to restart from.
  std::vector<char> snapshot;
  /// Events sent to the current incarnation plus those its snapshot holds.
  uint64_t sent = 0;
  /// Events the snapshot holds.
  uint64_t snapshot_events = 0;
  /// Index of this model's pending run, valid while `generation` equals
  /// the supervisor's.
  uint64_t generation = 0;
  uint32_t run = 0;
  /// The next model of the same line, a slot in `supervisor_state::models`.
  uint32_t next_in_line = core::slot_index::npos;
  /// Null until the model had trouble.
  std::unique_ptr<model_trouble> trouble;
  bool quarantined = false;
  /// Whether the current stats and status rounds wait for this monitor.
  bool stats_pending = false;
  bool status_pending = false;
  /// Whether its monitor got something since the last snapshot sweep.
  bool changed = false;

  model_trouble& troubles() {
    if (!trouble)
      trouble = std::make_unique<model_trouble>();
    return *trouble;
  }
};

/// A question put to every monitor (`atom::stats`, `atom::status`) as plain
/// messages, each monitor answering with a message of its own: one
/// supervisor waiting on a response handler per monitor is slow in CAF 0.17
/// and timed out at 100,000 models.
template <class Result>
struct monitor_query {
  struct round_type {
    /// Monitors yet to answer.
    size_t pending = 0;
    Result result;
    std::vector<caf::response_promise> promises;
  };
  /// The round under way, if any.
  std::optional<round_type> round;
  /// Queries that came during a round; they get the next, which starts
  /// after them and so covers everything routed before them.
  std::vector<caf::response_promise> waiting;
};

/// State of the supervisor of one monitor node.
///
/// Routes events by model id, spawning a monitor on a model's first event
/// and watching it. A monitor that crashes is restarted at once from its
/// last snapshot (events arriving meanwhile go to the new one); a crash
/// after `max_restarts` restarts within `restart_window` quarantines it:
/// its events are refused with a reason and it shows in status.
///
/// Once per snapshot interval it asks the monitors that got events or news
/// since the last sweep for snapshots: one timer per node, not per model.
struct supervisor_state {
  static inline const char* name = "supervisor";

  monitor_config config;
  std::shared_ptr<const monitor_setup> setup;
  /// Every model seen, by slot; entries never go away.
  std::deque<monitored_model> models;
  /// Slots by model id, by line (the first model of each line; the others
  /// chain through `next_in_line`) and by the actor id of the running
  /// monitor.
  core::slot_index by_model;
  core::slot_index by_line;
  core::slot_index by_actor;
  /// Latest registered version and busy flag per line.
  std::unordered_map<std::string, core::semver> latest;
  std::unordered_set<std::string> busy_lines;
  dispatcher_actor dispatcher;
  uint64_t triggers_forwarded = 0;
  /// Triggers held while the coordinator is unreachable, oldest first.
  std::deque<retrain_trigger> held;
  /// Triggers dropped because `held` was full.
  uint64_t triggers_dropped = 0;

  /// Runs of events not yet sent, one per model (by slot), in order of first
  /// event; an entry's `run` indexes it while its `generation` is this one.
  std::vector<std::pair<uint32_t, metric_run>> runs;
  uint64_t generation = 1;
  /// Events the last flush sent per run, to size new runs.
  size_t run_hint = 1;
  bool flush_scheduled = false;
  /// When the oldest held event arrived (while `flush_scheduled`).
  caf::actor_clock::time_point held_since;
  /// Slots changed since the last sweep.
  std::vector<uint32_t> changed;
  /// The sweep under way: its slots and how many were asked so far.
  std::vector<uint32_t> sweeping;
  size_t sweep_pos = 0;
  /// Whether a sweep is scheduled or under way.
  bool sweep_scheduled = false;
  /// Monitors asked per step of a sweep.
  static constexpr size_t sweep_chunk = 1024;

  /// A run this long goes out at once.
  static constexpr size_t max_run = 256;
  monitor_query<monitor_stats> stats;
  monitor_query<std::vector<model_status>> status;

  /// Bound of `held`.
  static constexpr size_t max_held_triggers = 10'000;

  /// The slot of `model`, or `npos`.
  uint32_t find(std::string_view model) const;

  /// The slot of the first model seen of `line` (the others follow through
  /// `next_in_line`), or `npos`.
  uint32_t first_of_line(std::string_view line) const;

  /// The slot whose running monitor is `x`, or `npos`.
  uint32_t find(const caf::actor_addr& x) const;
};

/// The supervisor as it addresses itself: its interface plus its timers,
/// which no other actor can send.
using supervisor_self_actor = supervisor_actor::extend<
  /// Timer: send the runs of events held for `flush-interval`.
  caf::reacts_to<atom::tick>,
  /// Timer: ask the monitors that changed for snapshots.
  caf::reacts_to<atom::sweep>>;

/// Spawns and supervises monitors; forwards triggers to `dispatcher`, which
/// may be null until a coordinator link hands one over (`atom::linkup`).
supervisor_self_actor::behavior_type
supervisor(supervisor_self_actor::stateful_pointer<supervisor_state> self,
           monitor_config config, dispatcher_actor dispatcher);

} // namespace retrain
