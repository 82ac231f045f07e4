#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "retrain/core/policy.hpp"
#include "retrain/core/restart_policy.hpp"
#include "retrain/core/semver.hpp"
#include "retrain/core/slot_index.hpp"
#include "retrain/core/string_pool.hpp"
#include "retrain/fan_in.hpp"
#include "retrain/messages.hpp"
#include "retrain/monitor.hpp"
#include "retrain/monitor_config.hpp"
#include "retrain/run_batcher.hpp"
#include "retrain/snapshot_sweep.hpp"

namespace retrain {

/// What the supervisor keeps of a model only once it had trouble: crashes,
/// lost and refused events.
struct model_trouble {
  explicit model_trouble(const monitor_config& config)
    : policy(config.max_restarts, config.restart_window) {
    // nop
  }

  /// Decides, crash by crash, between a restart and quarantine.
  core::restart_policy policy;
  /// Events lost in crashes (applied after the last snapshot, or queued).
  uint64_t lost = 0;
  /// Events refused while quarantined.
  uint64_t refused = 0;
  uint32_t restarts = 0;
};

/// What status shows of a model, as the supervisor counts it: one count
/// per state, kept as models change, answers a summary at any scale.
enum class shown_state : uint8_t {
  /// An empty entry (a forgotten model's slot).
  none,
  watching,
  job_active,
  standing_down,
  passivated,
  quarantined,
};

/// Number of `shown_state` values.
inline constexpr std::size_t shown_state_count = 6;

/// The state's name in status (`watching`, `job-active`, ...).
const char* to_string(shown_state x);

/// The state named `x` (not `none`), or nothing.
std::optional<shown_state> parse_shown_state(std::string_view x);

/// One model id the supervisor knows. Kept small (120 bytes with
/// libstdc++): a node holds one per model, for good.
///
/// ```
///   running --idle-timeout--> passivating --final snapshot, down--> passivated
///      ^                          | (events meanwhile wait)             |
///      +------ next event: started again from the snapshot -------------+
///   running --too many crashes--> quarantined
/// ```
struct monitored_model {
  std::string model;
  /// The running monitor; null while quarantined or passivated.
  monitor_actor handle;
  /// Its last snapshot, serialized (a few dozen bytes), to restart from.
  std::vector<char> snapshot;
  /// Events sent to the current incarnation plus those its snapshot holds.
  uint64_t sent = 0;
  /// Events the snapshot holds.
  uint64_t snapshot_events = 0;
  /// Null until the model had trouble.
  std::unique_ptr<model_trouble> trouble;
  /// Where this model's held events are in the run batcher.
  run_batcher::position run;
  /// When the model's last event came (the actor clock).
  caf::actor_clock::time_point last_event;
  /// The next model of the same line, a slot in `supervisor_state::models`.
  uint32_t next_in_line = core::slot_index::npos;
  bool quarantined = false;
  /// Stopped while idle, waiting for its final snapshot and exit.
  bool passivating = false;
  /// Stopped while idle: only its snapshot is kept until its next event.
  bool passivated = false;
  /// Line news came while passivating: the final snapshot may predate it.
  bool news_while_stopping = false;
  /// What the monitor knows of its line, mirrored for the counts by state:
  /// a newer version is registered, a job of the line is queued or running.
  bool standing_down = false;
  bool line_busy = false;
  /// The state this model is counted in.
  shown_state shown = shown_state::none;
  /// Its snapshot changed since the router last took the changed ones
  /// (`atom::persist`).
  bool unshipped = false;
  /// Stopping for good: its shard moves to another node.
  bool releasing = false;

  /// Whether a monitor runs that takes events and questions.
  bool running() const noexcept {
    return handle && !passivating;
  }

  /// The trouble record, created on first use.
  model_trouble& troubles(const monitor_config& config) {
    if (!trouble)
      trouble = std::make_unique<model_trouble>(config);
    return *trouble;
  }
};

/// Questions put to every monitor (or those of one model or line) and
/// collected as plain messages.
template <class Result>
using monitor_rounds = fan_in<Result, caf::typed_response_promise<Result>>;

/// Who waits for a status round: a request for rows, or one for a page,
/// whose summary is made when it comes and whose rows the round collects.
struct status_request {
  /// A request for rows.
  status_request(caf::typed_response_promise<std::vector<model_status>> x)
    : rows(std::move(x)) {
    // nop
  }

  /// A request for a page with `header`.
  status_request(caf::typed_response_promise<model_page> x, model_page head)
    : page(std::move(x)), header(std::move(head)), is_page(true) {
    // nop
  }

  /// Answers with `result`, the rows the round collected.
  void deliver(const std::vector<model_status>& result);

  caf::typed_response_promise<std::vector<model_status>> rows;
  caf::typed_response_promise<model_page> page;
  model_page header;
  bool is_page = false;
};

/// State of the supervisor of one monitor node.
///
/// Routes events by model id, spawning a monitor on a model's first event
/// and watching it; the events of each model wait in a `run_batcher` and go
/// out as one run. A monitor that crashes is restarted at once from its
/// last snapshot (events arriving meanwhile go to the new one); its
/// `restart_policy` quarantines it after too many crashes: its events are
/// refused with a reason and it shows in status. Triggers go to the node's
/// coordinator link, which relays the coordinator's line news back.
///
/// Once per snapshot interval it asks the monitors that got events or news
/// since the last sweep for snapshots (`snapshot_sweep`).
struct supervisor_state {
  static inline const char* name = "supervisor";

  monitor_config config;
  /// The setup of lines no policy matches (the node configuration).
  std::shared_ptr<const monitor_setup> setup;
  /// The node configuration as the `*` policy, the policies the
  /// coordinator pushed last (and their epoch), and the setup of each
  /// winning pattern, built on first use.
  core::policy_base base;
  core::policy_book book;
  uint64_t policy_epoch = 0;
  std::unordered_map<std::string, std::shared_ptr<const monitor_setup>> setups;
  /// Every model seen, by slot; a forgotten model leaves an empty entry
  /// (no `model`) whose slot the next new model takes.
  std::deque<monitored_model> models;
  std::vector<uint32_t> free_slots;
  /// Slots by model id, by line (the first model of each line; the others
  /// chain through `next_in_line`) and by the actor id of the running
  /// monitor.
  core::slot_index by_model;
  core::slot_index by_line;
  core::slot_index by_actor;
  /// Latest registered version and busy flag per line, as the link relays
  /// them: a monitor spawned later starts from them.
  std::unordered_map<std::string, core::semver> latest;
  std::unordered_set<std::string> busy_lines;
  /// Where triggers go; null only in tests and benchmarks without one.
  coordinator_link_actor link;
  /// Events held per model until they go out as runs.
  run_batcher batcher;
  /// How long the monitors take to apply a flush (its drain): after a
  /// flush the supervisor pings the monitor it sent the last run, which
  /// answers once it applied it, behind every run of the flush. Measured
  /// for one flush at a time, of `sent_events` events; `drain` is the
  /// last one measured, of a flush of `drain_events` events (a probe whose
  /// monitor went down leaves that pair as it was).
  struct {
    bool pending = false;
    caf::actor_clock::time_point sent;
    std::size_t sent_events = 0;
    caf::actor_clock::time_point::duration drain{0};
    std::size_t drain_events = 0;
  } drain_probe;
  /// Status and totals over monitors.
  fan_in<std::vector<model_status>, status_request> status;
  monitor_rounds<monitor_stats> stats;

  /// Which monitors to ask for snapshots next.
  snapshot_sweep sweep;
  /// The strategy names and specs the kept snapshots name by number.
  core::string_pool strings;

  /// Runs that came for models while their monitor was passivating: they
  /// go to the monitor started again once the old one is down.
  std::unordered_map<uint32_t, std::vector<metric_run>> waking;
  /// Whether the idle scan's timer runs.
  bool idle_scan_scheduled = false;
  /// Monitors running now, and models passivated now.
  uint64_t running = 0;
  uint64_t passivated = 0;
  /// Events refused for the model cap, and models forgotten, since the
  /// start.
  uint64_t refused_too_many = 0;
  uint64_t forgotten = 0;
  /// Models by the state status shows, indexed by `shown_state`.
  std::array<uint64_t, shown_state_count> by_state{};
  /// What the snapshots of the passivated models hold, summed as models
  /// passivate and wake, so totals need not read every snapshot.
  struct {
    uint64_t events = 0;
    uint64_t triggers = 0;
    uint64_t breaches = 0;
  } resting;

  /// Models known now.
  std::size_t model_count() const noexcept {
    return models.size() - free_slots.size();
  }

  /// The slots whose snapshot changed since the router last took them
  /// (`atom::persist`); a slot may be here twice, its flag counts.
  std::vector<uint32_t> unshipped;

  /// Shards being released (`atom::release`): the models whose final
  /// snapshot is awaited, and who waits for them all.
  struct release_round {
    std::vector<uint32_t> slots;
    std::size_t open = 0;
    caf::typed_response_promise<std::vector<monitor_snapshot>> rp;
  };
  std::vector<release_round> releases;

  /// Events routed to monitors, by metric kind, and events refused, since
  /// the start (for `/metrics`).
  std::array<uint64_t, metric_kind_count> accepted{};
  uint64_t refused_quarantined = 0;
  uint64_t refused_invalid_id = 0;

  /// The slot of `model`, or `npos`.
  uint32_t find(std::string_view model) const;

  /// The slot of the first model seen of `line` (the others follow through
  /// `next_in_line`), or `npos`.
  uint32_t first_of_line(std::string_view line) const;

  /// The slot whose running monitor is `x`, or `npos`.
  uint32_t find(const caf::actor_addr& x) const;

  /// What the monitors of `line` run: the setup of the policy that wins
  /// for it.
  std::shared_ptr<const monitor_setup> setup_for(std::string_view line);
};

/// The supervisor as it addresses itself: its interface plus its timers,
/// which no other actor can send.
using supervisor_self_actor
  = supervisor_actor::extend_with<shard_keeper_actor>::extend<
    /// Timer: send the runs of events held for `flush-interval`.
    caf::reacts_to<atom::tick>,
    /// Timer: ask the monitors that changed for snapshots.
    caf::reacts_to<atom::sweep>,
    /// Timer: stop the monitors idle for `idle-timeout` and forget the models
    /// idle for `expire-after`.
    caf::reacts_to<atom::passivate>>;

/// Spawns and supervises monitors; sends triggers to `link` and subscribes
/// there to line news.
supervisor_self_actor::behavior_type
supervisor(supervisor_self_actor::stateful_pointer<supervisor_state> self,
           monitor_config config, coordinator_link_actor link);

} // namespace retrain
