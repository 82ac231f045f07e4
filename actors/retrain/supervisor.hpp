#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "retrain/core/model_id.hpp"
#include "retrain/interfaces.hpp"
#include "retrain/monitor_config.hpp"

namespace retrain {

/// One model id the supervisor knows.
struct monitored_model {
  core::model_id id;
  /// The running monitor; null while quarantined.
  monitor_actor handle;
  /// Its last snapshot, to restart from.
  std::optional<monitor_snapshot> snapshot;
  /// Crash times within the restart window, oldest first. A vector: an
  /// empty std::deque already allocates ~600 bytes, for every model.
  std::vector<std::chrono::steady_clock::time_point> crashes;
  /// Events sent to the current incarnation plus those its snapshot holds.
  uint64_t sent = 0;
  /// Events lost in crashes (applied after the last snapshot, or queued).
  uint64_t lost = 0;
  /// Events refused while quarantined.
  uint64_t refused = 0;
  uint32_t restarts = 0;
  bool quarantined = false;
  /// Whether the current stats round waits for this monitor.
  bool stats_pending = false;
  /// Index of this model's pending run, valid while `generation` equals
  /// the supervisor's.
  uint32_t run = 0;
  uint64_t generation = 0;
};

/// One `atom::stats` query over every monitor.
struct stats_round {
  /// Monitors yet to answer.
  size_t pending = 0;
  monitor_stats totals;
  std::vector<caf::response_promise> promises;
};

/// State of the supervisor of one monitor node.
///
/// Routes events by model id, spawning a monitor on a model's first event
/// and watching it. A monitor that crashes is restarted at once from its
/// last snapshot (events arriving meanwhile go to the new one); after
/// `max_restarts` crashes within `restart_window` the model is quarantined:
/// its events are refused with a reason and it shows in status.
struct supervisor_state {
  static inline const char* name = "supervisor";

  monitor_config config;
  std::unordered_map<std::string, monitored_model> models;
  /// The models of each line (entries of `models`, which never go away).
  std::unordered_map<std::string, std::vector<monitored_model*>> by_line;
  /// Model id by monitor address, to handle down messages.
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  /// Latest registered version and busy flag per line.
  std::unordered_map<std::string, core::semver> latest;
  std::unordered_set<std::string> busy_lines;
  dispatcher_actor dispatcher;
  uint64_t triggers_forwarded = 0;
  /// Triggers held while the coordinator is unreachable, oldest first.
  std::deque<retrain_trigger> held;
  /// Triggers dropped because `held` was full.
  uint64_t triggers_dropped = 0;

  /// Runs of events not yet sent, one per model, in order of first event;
  /// an entry's `run` indexes it while its `generation` is this one.
  std::vector<std::pair<monitored_model*, metric_batch>> runs;
  uint64_t generation = 1;
  /// Events the last flush sent per run, to size new runs.
  size_t run_hint = 1;
  bool flush_scheduled = false;

  /// A run this long goes out at once.
  static constexpr size_t max_run = 256;
  /// The stats query under way, if any, and those waiting for the next.
  std::optional<stats_round> stats;
  std::vector<caf::response_promise> stats_waiting;

  /// Bound of `held`.
  static constexpr size_t max_held_triggers = 10'000;
};

/// Spawns and supervises monitors; forwards triggers to `dispatcher`, which
/// may be null until a coordinator link hands one over (`atom::linkup`).
supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           monitor_config config, dispatcher_actor dispatcher);

} // namespace retrain
