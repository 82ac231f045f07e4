// No `#pragma once`: fwd.hpp declares the message types, includes this
// header for the handles and then names them in its type-id block, so this
// header, included on its own, goes through fwd.hpp.
#ifndef RETRAIN_FWD_HPP
#  include "retrain/fwd.hpp"
#elif !defined(RETRAIN_INTERFACES_HPP)
#  define RETRAIN_INTERFACES_HPP

#  include <string>
#  include <vector>

#  include <caf/replies_to.hpp>
#  include <caf/typed_actor.hpp>

#  include "retrain/atoms.hpp"

namespace retrain {

// -- roles: small interfaces the actors below combine ------------------------

/// Answers with the status of monitored models.
using monitor_status_actor = caf::typed_actor<
  /// Returns the status of every monitored model.
  caf::replies_to<atom::status>::with<std::vector<model_status>>,
  /// Returns the status of one model (a model id) or of every model of a
  /// line (`<project>:<name>`); empty when none is known, an
  /// `invalid_model_line` error when it is neither.
  caf::replies_to<atom::status, std::string>::with<std::vector<model_status>>>;

/// Answers with totals over monitors.
using monitor_stats_actor = caf::typed_actor<
  /// Returns totals over every monitor, once all events acknowledged so far
  /// are applied.
  caf::replies_to<atom::stats>::with<monitor_stats>>;

/// Forgets models on request.
using monitor_forget_actor = caf::typed_actor<
  /// Forgets one model (a model id) or every model of a line
  /// (`<project>:<name>`): its monitor stops and its state goes; a later
  /// event starts it fresh. Returns how many models were forgotten; an
  /// `invalid_model_line` error when it is neither.
  caf::replies_to<atom::forget, std::string>::with<uint64_t>>;

/// Answers with the history of a model's metrics.
using monitor_history_actor = caf::typed_actor<
  /// Returns the history of one model (a model id); one with an empty
  /// `model` when no monitor of it is known here.
  caf::replies_to<atom::history, std::string>::with<model_history>>;

/// Answers status requests at any scale: a summary from counts, rows only
/// as asked.
using monitor_query_actor = caf::typed_actor<
  /// Returns the summary of the models `which` covers and the rows of the
  /// page asked for; an `invalid_model_line` error when `which` is neither
  /// a model id nor a line, `invalid_value` for an unknown state.
  caf::replies_to<atom::status, model_query>::with<model_page>>;

/// Applies batches and names every refused event.
using explain_actor = caf::typed_actor<
  /// Applies a batch like `metric_batch` and reports why each refused event
  /// was refused (what `retrain-ctl replay` shows per line).
  caf::replies_to<atom::explain, metric_batch>::with<batch_report>>;

/// Applies a batch once per idempotency key: what a producer sends again
/// with the same key (its answer was lost) is not applied again.
using idempotent_ingest_actor = caf::typed_actor<
  /// Applies a batch like `(atom::explain, metric_batch)` unless its key
  /// (1 to 128 visible ASCII characters) is known: then answers with the
  /// first batch's report (or error), once the first has one. The node
  /// remembers a key for 10 minutes after its answer, at most 100,000 keys.
  /// An `idempotency_conflict` error if the key came with another batch,
  /// `invalid_value` for a malformed key.
  caf::replies_to<atom::explain, metric_batch, std::string>::with<
    batch_report>>;

/// Takes retrain triggers.
using trigger_sink_actor = caf::typed_actor<
  /// A monitor's decision that its model must be retrained.
  caf::reacts_to<retrain_trigger>>;

/// Takes news about jobs and the policies in force, as the dispatcher sends
/// them to subscribers.
using job_news_actor = caf::typed_actor<
  /// A job of a model line changed its state.
  caf::reacts_to<job_update>,
  /// The policies in force: the coordinator pushes them to every
  /// subscriber when it subscribes and on every change.
  caf::reacts_to<policy_set>,
  /// The shard map: the coordinator pushes it to every member when it
  /// joins and on every change.
  caf::reacts_to<shard_table>>;

/// Takes the shard map of the monitor tier.
using shard_news_actor = caf::typed_actor<
  /// The map; applied if its version is newer than the one in force.
  caf::reacts_to<shard_table>,
  /// The ownership lease: the coordinator answered a renewal sent at
  /// `sent_ns` (steady clock of this node) with its map at `version`; a
  /// negative `sent_ns` revokes the lease (the link is lost), the largest
  /// int64 holds it for ever (the coordinator runs in this process).
  caf::reacts_to<atom::lease, int64_t, uint64_t>>;

/// Takes what a coordinator did, for the world outside the cluster
/// (webhooks). The dispatcher sends each fire-and-forget, once per event.
using news_actor = caf::typed_actor<
  /// A drift: a trigger the dispatcher took, with the job it made (state
  /// `queued`) or merged into (`merged` counts it).
  caf::reacts_to<atom::news, retrain_trigger, job_record>,
  /// A job changed its state: queued (made), running (an attempt handed to
  /// a worker), succeeded or failed (no attempts left).
  caf::reacts_to<atom::news, job_record>,
  /// A version was registered for a succeeded job.
  caf::reacts_to<atom::news, model_version>>;

/// Takes the state of model lines.
using line_news_actor = caf::typed_actor<
  /// Whether a line has a job queued or running, and its latest registered
  /// version.
  caf::reacts_to<line_state>>;

/// Takes what workers report.
using job_result_sink_actor = caf::typed_actor<
  /// The outcome of one attempt of a job.
  caf::reacts_to<job_result>>;

/// Lists registered versions.
using versions_actor = caf::typed_actor<
  /// Returns every version of a model line, oldest first.
  caf::replies_to<atom::versions,
                  std::string>::with<std::vector<model_version>>>;

/// What a monitor sends its supervisor: triggers (`trigger_sink_actor`),
/// snapshots and answers to the questions put to every monitor.
using monitor_parent_actor = trigger_sink_actor::extend<
  /// A monitor's state, kept to restart it after a crash.
  caf::reacts_to<monitor_snapshot>,
  /// A monitor's counters, answering `atom::stats`.
  caf::reacts_to<monitor_stats>,
  /// A monitor's status, answering `atom::status`.
  caf::reacts_to<model_status>>;

/// Takes the policies in force (pushed by the coordinator on every change
/// and every connect).
using policy_news_actor = caf::typed_actor<
  /// The policy set of the coordinator; applied if its epoch is newer.
  caf::reacts_to<policy_set>>;

/// Explains which policy applies to a model and why.
using policy_explain_actor = caf::typed_actor<
  /// Returns the explanation for a model id or a model line; an
  /// `invalid_model_line` error when it is neither.
  caf::replies_to<atom::explain, std::string>::with<core::policy_explanation>>;

/// Stores and lists the versioned policies of model lines.
using policy_admin_actor = caf::typed_actor<
  /// Stores a change (a new version of the pattern's policy, or its
  /// removal) and pushes the new set to monitor nodes; an `invalid_config`
  /// error names what is wrong and nothing changes.
  caf::replies_to<policy_change>::with<policy_record>,
  /// Returns the policies in force, by pattern.
  caf::replies_to<atom::policy>::with<std::vector<policy_record>>,
  /// Returns every version of one pattern's policy, oldest first.
  caf::replies_to<atom::policy, std::string>::with<std::vector<policy_record>>>;

// -- actors -------------------------------------------------------------------

/// The public ingest interface. A monitor node publishes an actor with (at
/// least) this interface on `retrain.ingest-port`.
using ingest_actor = caf::typed_actor<
  /// Applies one event, fire-and-forget.
  caf::reacts_to<metric_event>,
  /// Applies a batch and acknowledges it (back-pressure for producers).
  caf::replies_to<metric_batch>::with<ingest_ack>>;

/// What a monitor node publishes: the ingest contract plus explained
/// batches, batches applied once per idempotency key, status (`monitor_status_actor`), totals
/// (`monitor_stats_actor`), forgetting (`monitor_forget_actor`) and
/// summaries and pages of status (`monitor_query_actor`), histories
/// (`monitor_history_actor`).
using monitor_node_actor
  = ingest_actor::extend_with<explain_actor, idempotent_ingest_actor,
                              monitor_status_actor,
                              monitor_stats_actor, monitor_forget_actor,
                              monitor_history_actor, monitor_query_actor,
                              policy_explain_actor>;

/// Where a worker belongs: it enlists there (as the sender) and reports
/// its attempts there (`job_result_sink_actor`).
using worker_home_actor = job_result_sink_actor::extend<
  /// The sender, a worker, enlists and pulls work.
  caf::reacts_to<atom::enlist>>;

/// A retrain worker: runs one job attempt at a time.
using retrain_worker_actor = caf::typed_actor<
  /// Runs one attempt and reports a `job_result` to its home (or, without
  /// one, to the sender).
  caf::reacts_to<retrain_job>,
  /// Its node reached the coordinator: the worker enlists there once it is
  /// idle (so a worker still running an attempt of a lost link never
  /// enlists as idle) and reports what it finished meanwhile.
  caf::reacts_to<atom::linkup, worker_home_actor>>;

/// One monitor: the strategies of one model id. It takes line news
/// (`line_news_actor`): quiet while a job of its line is active, standing
/// down once a newer version is registered.
using monitor_actor = line_news_actor::extend<
  /// Applies a run of events of this model.
  caf::reacts_to<metric_run>,
  /// Sends a snapshot to the supervisor if anything changed since the last
  /// (the supervisor asks changed monitors once per snapshot interval).
  caf::reacts_to<atom::tick>,
  /// Answers once it handled what came before.
  caf::replies_to<atom::ping>::with<atom::ping>,
  /// Returns this model's status; the supervisor asks with a plain
  /// message and so gets the answer as one (`monitor_parent_actor`).
  caf::replies_to<atom::status>::with<model_status>,
  /// Sends this model's counters (`monitor_stats`, `models` = 1) to the
  /// supervisor.
  caf::reacts_to<atom::stats>,
  /// Returns this model's history.
  caf::replies_to<atom::history>::with<model_history>,
  /// Runs what a changed policy sets: a kind whose detector changed starts
  /// fresh, one whose gate changed keeps its state.
  caf::reacts_to<monitor_policy>>;

/// The registry: serializes version bumps and persists them, and lists
/// versions (`versions_actor`).
using registry_actor = versions_actor::extend<
  /// Records the version of a succeeded job (idempotent by job id).
  caf::replies_to<register_version>::with<model_version>>;

/// What a node's coordinator link uses of the coordinator (the
/// dispatcher): it takes triggers, workers (`worker_home_actor`) and
/// subscriptions to job news.
using coordinator_actor = worker_home_actor::extend<
  /// A worker's result, passed on by its node's link, which sends it again
  /// until the answer (the job id) comes.
  caf::replies_to<atom::report, job_result>::with<uint64_t>,
  /// A trigger, answered once the job it made or joined is stored (or it
  /// is superseded); the node sends it again until then.
  caf::replies_to<retrain_trigger>::with<trigger_ack>,
  /// A worker enlists and pulls work.
  caf::reacts_to<atom::enlist, retrain_worker_actor>,
  /// A node's link says which retrain version its node runs (at every
  /// connect); the coordinator's node says so without a sender.
  caf::reacts_to<atom::hello, std::string>,
  /// Subscribes to job updates, with the lines the node knows (busy,
  /// latest version); the answer is the state of every line the
  /// coordinator knows, to resync after a reconnect.
  caf::replies_to<atom::subscribe, job_news_actor,
                  std::vector<line_state>>::with<std::vector<line_state>>,
  /// Whether this coordinator is the active one: the epoch of its lease on
  /// a shared database (0: it runs without a lease, alone on its
  /// database), or `ec::standby`.
  caf::replies_to<atom::standby>::with<uint64_t>,
  /// The sender, a monitor node's link (`job_news_actor`), joins the shard
  /// map as this member and gets the map now and on every change; it
  /// leaves when the link is lost.
  caf::reacts_to<shard_member>,
  /// A monitor node's link renews its node's ownership lease: the answer
  /// is the version of the shard map now, or an error when the sender is
  /// not a member (its node was declared lost: its shards may be gone).
  caf::replies_to<atom::lease>::with<uint64_t>,
  /// Stores the snapshots of a shard owner's changed monitors (one per
  /// model, latest wins); returns how many were stored: those of an epoch
  /// older than their shard's are refused.
  caf::replies_to<snapshot_shipment>::with<uint64_t>,
  /// Returns the stored snapshots of the models of these shards (a new
  /// owner restores them before it applies their events).
  caf::replies_to<atom::restore,
                  std::vector<uint32_t>>::with<snapshot_shipment>,
  /// Moves every shard of the monitor node named here to the other members,
  /// handed over first (the node stops: SIGTERM); returns how many shards
  /// moved once the new map is published.
  caf::replies_to<atom::leave, std::string>::with<uint64_t>>;

/// The dispatcher, which the coordinator node publishes on
/// `retrain.coordinator-port`: what links and workers use of it
/// (`coordinator_actor`), versions (`versions_actor`, asking the registry)
/// and what `retrain-ctl` asks.
using dispatcher_actor
  = coordinator_actor::extend_with<versions_actor, policy_admin_actor>::extend<
    /// Returns every job, newest first.
    caf::replies_to<atom::jobs>::with<std::vector<job_record>>,
    /// Returns queue and worker status.
    caf::replies_to<atom::status>::with<coordinator_status>,
    /// Returns the shard map of the monitor tier.
    caf::replies_to<atom::shards>::with<shard_table>>;

/// A node's link to its coordinator, which owns reachability: it holds the
/// triggers of the node's monitors (`trigger_sink_actor`) while the
/// coordinator is unreachable, takes the dispatcher's job news
/// (`job_news_actor`) and relays them to its subscriber as line news, and
/// is the home of the node's workers (`worker_home_actor`): it passes their
/// enlisting and results on, holding results while the coordinator is
/// unreachable.
using coordinator_link_actor
  = trigger_sink_actor::extend_with<job_news_actor, worker_home_actor>::extend<
    /// Subscribes to line news: the supervisor of the node.
    caf::reacts_to<atom::subscribe, line_news_actor>,
    /// The coordinator stepped down from the lease of this epoch: the link
    /// looks for the active one.
    caf::reacts_to<atom::standby, uint64_t>,
    /// The node is a monitor node and this its membership in the shard
    /// map: told the coordinator at every connect.
    caf::reacts_to<shard_member>,
    /// Subscribes to the shard map (the node's router): it gets the map
    /// in force now and each newer one.
    caf::reacts_to<atom::subscribe, shard_news_actor>,
    /// Ships monitor snapshots to the coordinator (as `coordinator_actor`);
    /// an `ec::unreachable` error while it is not linked.
    caf::replies_to<snapshot_shipment>::with<uint64_t>,
    /// Fetches stored snapshots of shards from the coordinator.
    caf::replies_to<atom::restore,
                    std::vector<uint32_t>>::with<snapshot_shipment>,
    /// Asks the coordinator to move this node's shards away.
    caf::replies_to<atom::leave, std::string>::with<uint64_t>>;

/// The supervisor of a monitor node: routes events by model id, spawns and
/// restarts monitors. Ingest hands it batches and asks it for explained
/// batches, status and totals; monitors send it what `monitor_parent_actor`
/// lists; its coordinator link relays line news (`line_news_actor`) for the
/// monitors of each line.
using supervisor_actor = caf::typed_actor<
  /// Routes valid events (already checked by ingest) to monitors; refuses
  /// those of quarantined models.
  caf::replies_to<metric_batch>::with<ingest_ack>>::
  extend_with<explain_actor, monitor_status_actor, monitor_stats_actor,
              monitor_parent_actor, line_news_actor, monitor_forget_actor,
              monitor_history_actor, monitor_query_actor, policy_news_actor,
              policy_explain_actor>::
    extend<
      /// Applies events of shards the node owns while the node's lease
      /// holds (see `lease_batch`), or returns them untouched.
      caf::replies_to<lease_batch>::with<lease_report>>;

/// What a monitor node publishes on `retrain.shard-port` for the other
/// monitor nodes: the events of the shards it owns.
using shard_router_actor = caf::typed_actor<
  /// Applies the events of shards the receiver owns (answered once they
  /// are applied or queued at their monitors) and returns the others.
  caf::replies_to<shard_batch>::with<shard_reply>,
  /// Returns how many events this router forwarded to other owners and
  /// how many it took in `shard_batch`es (from other monitor nodes and
  /// `cluster_client`s) since it started.
  caf::replies_to<atom::shards, atom::stats>::with<uint64_t, uint64_t>,
  /// The coordinator moves these shards of the receiver to another node:
  /// the receiver stops applying them, and returns the final snapshot of
  /// every monitor of theirs (after every event it accepted) and forgets
  /// those models.
  caf::replies_to<atom::release,
                  std::vector<uint32_t>>::with<snapshot_shipment>>;

/// What a monitor node's router asks its supervisor about whole shards.
using shard_keeper_actor = caf::typed_actor<
  /// Returns the snapshots kept since the last time it was asked (the
  /// monitors that changed), history left out.
  caf::replies_to<atom::persist>::with<std::vector<monitor_snapshot>>,
  /// Keeps these snapshots like passivated models (replacing what it has
  /// of those models): the next event of each starts its monitor from
  /// there. Returns how many it kept.
  caf::replies_to<atom::restore, std::vector<monitor_snapshot>>::with<uint64_t>,
  /// Stops the monitors of the models of these shards (out of this many)
  /// once they applied every event routed so far, returns their final
  /// snapshots (history included) and forgets the models.
  caf::replies_to<atom::release, std::vector<uint32_t>,
                  uint32_t>::with<std::vector<monitor_snapshot>>>;

/// Answers how a node's link to its coordinator stands (`/readyz`,
/// `/metrics`); the coordinator link implements it.
using link_status_actor = caf::typed_actor<
  /// Returns whether the coordinator is linked and what is held meanwhile.
  caf::replies_to<atom::status>::with<link_status>>;

} // namespace retrain

#endif
