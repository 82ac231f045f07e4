#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "retrain/core/backoff.hpp"
#include "retrain/core/semver.hpp"
#include "retrain/core/shard_lease.hpp"
#include "retrain/endpoint.hpp"
#include "retrain/messages.hpp"
#include "retrain/trigger_outbox.hpp"

namespace retrain {

/// Where a link finds its coordinator: in this process (`local`, role
/// `all`), else at `host:port`.
struct coordinator_location {
  /// The coordinator of this process, if it runs here.
  coordinator_actor local;
  /// The address tried now (or last).
  std::string host;
  uint16_t port = 0;
  /// Every coordinator of a failover group, in the order they are tried;
  /// empty: only `host:port`.
  std::vector<endpoint> all;
};

/// State of a node's link to its coordinator: everything a node says to
/// the coordinator and hears from it goes through here.
///
/// ```
///  connecting --ok, active--> connected --coordinator lost--> connecting
///      ^  |                               or stepped down  (after a backoff)
///      +--+ refused, unreachable or a standby: the next address at once;
///           after all of them, retry with backoff, forever
/// ```
/// With several coordinators (`retrain.coordinator="A:4243,B:4243"`, one
/// PostgreSQL database and a lease between them) it follows the active
/// one: a reached coordinator is asked `atom::standby` first, and one
/// that answers `ec::standby`, runs without a lease, or is at an older
/// epoch than the one this node followed last is skipped.
/// On every (re)connection it enlists the node's workers, subscribes to job
/// news for its subscriber (the supervisor of a monitor node) and resyncs
/// the lines it holds busy, and sends every unacknowledged trigger again;
/// so start order does not matter and a restarted coordinator gets its
/// cluster back by itself. With the coordinator in this process (role
/// `all`) it starts connected and has nothing to reconnect to.
///
/// Triggers are delivered exactly once: each gets an id, waits in the
/// outbox (one entry per model line) until the dispatcher acknowledges it,
/// and is sent again with backoff until then. A line is busy while it has
/// an outbox entry or a job the coordinator said it has; it goes idle only
/// on news from the coordinator (job done, failed, superseded, or no job
/// after a resync), never on its own.
struct coordinator_link_state {
  static inline const char* name = "coordinator_link";

  coordinator_location where;
  std::chrono::milliseconds timeout{10000};
  core::backoff retry{std::chrono::milliseconds{250}, std::chrono::seconds{5},
                      0.2};
  std::minstd_rand rng{std::random_device{}()};
  uint32_t attempts = 0;
  /// The coordinator while it is reachable, else null.
  coordinator_actor coordinator;
  /// Enlisted on every (re)connection.
  std::vector<retrain_worker_actor> workers;
  /// Gets line news: the supervisor (none on worker nodes). A weak
  /// reference: the supervisor holds the link, not the other way round, so
  /// neither keeps the other alive.
  caf::actor_addr subscriber;
  /// Triggers not yet acknowledged, one per line.
  trigger_outbox outbox;
  /// Lines the coordinator has a job for, as far as this node heard: from
  /// acknowledgements, job news and the last resync.
  std::unordered_set<std::string> job_lines;
  /// The latest registered version of each line this node heard of; it
  /// only grows, even across a coordinator that lost its database.
  std::unordered_map<std::string, core::semver> latest;
  /// This incarnation of the node (random hex) and its trigger counter:
  /// together the id of each trigger.
  std::string origin;
  uint64_t trigger_seq = 0;
  /// Failed sends in a row, for the backoff of the next re-send.
  uint32_t send_failures = 0;
  /// Whether an `atom::resend` is on its way.
  bool resend_scheduled = false;
  /// Where the triggers still undelivered at shutdown are kept for the
  /// next start (`<data-dir>/outbox.bin`), or empty.
  std::string spill_file;
  /// Results of the node's workers the coordinator has not taken yet.
  std::vector<job_result> results;
  /// Results sent on the current link and not taken yet, by send number: a
  /// link that drops loses their answers, so they are held again.
  std::map<uint64_t, job_result> reporting;
  /// Numbers the sends of `reporting`.
  uint64_t report_seq = 0;
  /// Where the lease of the node's fence is renewed, or -1 without one.
  int lease_fd = -1;
  /// The retrain version of this node, told the coordinator at connect.
  std::string node_version;
  /// The policies in force as the coordinator last pushed them, relayed
  /// to the subscriber (also when it subscribes later).
  policy_set policies;
  /// Who waits for the outbox to empty (a stopping node).
  std::vector<caf::typed_response_promise<uint64_t>> drain_waiters;
  /// Which of `where.all` is tried next, and how many of them were tried
  /// in this round.
  size_t next = 0;
  size_t tried = 0;
  /// Whether a standby answered in this round (a takeover is coming: try
  /// again soon), or any coordinator was skipped as older than the one
  /// followed.
  bool saw_standby = false;
  bool saw_older = false;
  /// The epoch of the coordinator followed last (0: none, or one without
  /// a lease).
  uint64_t followed_epoch = 0;
  /// A monitor node's membership in the shard map (empty `node` on other
  /// nodes), told the coordinator at every connect; the map as the
  /// coordinator last pushed it, relayed to `shard_subscriber` (the node's
  /// router; a weak reference like `subscriber`).
  shard_member member;
  shard_table shards;
  caf::actor_addr shard_subscriber;
  /// The timings of the ownership lease of a monitor node's shards (from
  /// `middleman.connection-timeout`), and whether its renewal timer runs:
  /// while the coordinator is linked the link asks it every
  /// `renew_interval` and passes each answer to `shard_subscriber`, which
  /// applies its shards only while one is fresh.
  core::shard_lease_timing lease_timing;
  bool renewing = false;

  /// Sends the coordinator has not answered yet, at most.
  static constexpr size_t max_in_flight = 1000;

  /// Whether `line` is busy: it has an unacknowledged trigger or a job.
  bool busy(const std::string& line) const;

  /// The state of `line` as the subscriber should know it.
  line_state state_of(const std::string& line) const;
};

/// The link as it addresses itself: its interface, how it stands
/// (`link_status_actor`, which its node asks) plus what it tells itself,
/// which no other actor can send.
using coordinator_link_self_actor
  = coordinator_link_actor::extend_with<link_status_actor>::extend<
    /// Timer: try reaching the coordinator again.
    caf::reacts_to<atom::reconnect>,
    /// The coordinator, reached (or reached again): in this process at once,
    /// else when the middleman connected.
    caf::reacts_to<atom::linkup, coordinator_actor>,
    /// Timer: send the unacknowledged triggers again.
    caf::reacts_to<atom::resend>,
    /// Timer: renew the fence's lease while the coordinator is linked.
    caf::reacts_to<atom::lease>,
    /// Timer: renew the ownership lease of a monitor node's shards.
    caf::reacts_to<atom::renew>,
    /// A stopping node waits for every trigger to be acknowledged; the
    /// answer (0, the triggers left) comes once the outbox is empty.
    caf::replies_to<atom::drain>::with<uint64_t>,
    /// A stopping node keeps what is still undelivered in `spill_file`;
    /// the answer is how many triggers it wrote.
    caf::replies_to<atom::spill>::with<uint64_t>>;

/// Spawns the link to the coordinator at `where`; `workers` may be empty
/// (monitor nodes). `timeout` bounds connecting, subscribing and each send
/// of a trigger. With a `spill_file`, the triggers a previous run kept
/// there go into the outbox first, and `atom::spill` writes it. With a
/// `lease_fd` (see `start_fence` of retrain-node), it renews the lease every
/// `lease_interval` while the coordinator is linked: a node that is stopped
/// or cut off stops renewing, and its fence kills its job commands. At every
/// connect it tells the coordinator `node_version`, the retrain version of
/// its node (`retrain-ctl status` lists every node's).
coordinator_link_self_actor::behavior_type coordinator_link(
  coordinator_link_self_actor::stateful_pointer<coordinator_link_state> self,
  coordinator_location where, std::chrono::milliseconds timeout,
  std::vector<retrain_worker_actor> workers, std::string spill_file,
  int lease_fd, std::string node_version);

/// How often a link renews its node's lease: well within the shortest
/// sensible `middleman.connection-timeout`.
inline constexpr std::chrono::milliseconds lease_interval{250};

/// The timings of a monitor node's ownership lease under `cfg`'s
/// `middleman.connection-timeout` (3 s when unset or not positive).
core::shard_lease_timing
shard_lease_timing_of(const caf::actor_system_config& cfg);

/// Where a node's link keeps undelivered triggers: `<data_dir>/outbox.bin`.
std::string outbox_file(const std::string& data_dir);

} // namespace retrain
