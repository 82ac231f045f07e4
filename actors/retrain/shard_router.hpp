#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "retrain/core/shard_lease.hpp"
#include "retrain/messages.hpp"

namespace retrain {

/// One batch that came in through this node's ingest, until every event
/// of it is applied (or queued) at its owner or refused.
struct routed_batch {
  /// Events not resolved yet.
  uint64_t open = 0;
  /// What happened so far; reject indexes are those of the batch.
  batch_report report;
  /// Who waits: ingest with a plain batch (`ack`), or an explained one
  /// (`full`); neither for a fire-and-forget event.
  caf::typed_response_promise<ingest_ack> ack;
  caf::typed_response_promise<batch_report> full;
  bool explain = false;
  bool answer = false;
  /// Events still parked when this passes are refused (`ec::unreachable`)
  /// before ingest's request times out, so a producer never retries what
  /// a node still holds.
  caf::actor_clock::time_point deadline;
};

/// An event waiting for its shard to have a reachable owner.
struct parked_event {
  uint64_t batch = 0;
  uint64_t index = 0;
  metric_event event;
};

/// Another monitor node's router, once reached.
struct shard_peer {
  shard_router_actor handle;
  bool connecting = false;
};

/// State of a monitor node's shard router, which sits between ingest and
/// the supervisor: the events of shards this node owns go to the
/// supervisor, the others in batches to their owners' routers; an
/// acknowledgement comes only once every event of a batch is applied (or
/// queued) at its owner or refused.
///
/// ```
///  event --(owner is this node)--> supervisor
///        --(owner elsewhere)-----> owner's router --> its supervisor
///        --(no map, no owner, owner unreachable)--> parked, routed again on
///          every new map, every peer reached and every `retry`
/// ```
/// Parked events are bounded (`max_parked`): beyond it events are refused
/// with `ec::unreachable`, which tells the producer to send them again
/// later. An event that a receiver does not own by its map comes back and
/// is parked: maps converge within one push of the coordinator.
struct shard_router_state {
  static inline const char* name = "shard_router";

  supervisor_actor supervisor;
  /// This node's name in the map.
  std::string node;
  /// The map in force; no shards before the first.
  shard_table map;
  std::chrono::milliseconds timeout{10000};
  /// Other monitor nodes' routers, by `host:port`.
  std::map<std::string, shard_peer> peers;
  std::unordered_map<uint64_t, routed_batch> batches;
  uint64_t next_batch = 0;
  std::vector<parked_event> parked;
  bool retry_scheduled = false;
  /// Whether the log said that events wait for a first map.
  bool told_no_map = false;
  /// Events sent to other owners and taken from other nodes since start.
  uint64_t forwarded = 0;
  uint64_t received = 0;
  /// The node's ownership lease of its shards, renewed through its link
  /// (held for ever without a link: tests, benchmarks).
  core::shard_lease lease;
  /// Whether the log said that the lease lapsed (until it holds again).
  bool told_no_lease = false;
  /// Where every applied batch is recorded per shard
  /// (`retrain.cluster.apply-journal`), or null.
  std::shared_ptr<std::FILE> journal;

  /// Parked events at most.
  static constexpr size_t max_parked = 200000;

  /// How often parked events are routed again.
  static constexpr std::chrono::milliseconds retry_interval{100};

  /// The owner of `model`'s shard, or null.
  const shard_member* owner_of(const std::string& model) const;

  /// Whether this node may apply the events of `shard` at `now`: the one
  /// place that decides (ownership by the map in force, the lease, a
  /// gained shard's settling, its monitors restored and not being handed
  /// over).
  bool applies(uint32_t shard, caf::actor_clock::time_point now) const;

  /// What this node may do with the events of `shard` at `now`.
  core::shard_access access(uint32_t shard,
                            caf::actor_clock::time_point now) const;

  /// The epoch of `shard` in the map in force (0 without one).
  uint64_t epoch_of(uint32_t shard) const;

  // -- durable monitor state and handoff ------------------------------------

  /// The supervisor as it keeps whole shards (the same actor).
  shard_keeper_actor keeper;
  /// This node's link to the coordinator (null in tests without one).
  coordinator_link_actor link;
  /// Shards this node owns whose stored snapshots it is fetching, each
  /// with the number of its fetch: their events wait (`applies`).
  std::map<uint32_t, uint64_t> restoring;
  uint64_t next_fetch = 0;
  /// What the shards of a fetch restored so far, by fetch: logged once its
  /// last shard is in.
  struct fetch_totals {
    uint32_t shards = 0;
    uint64_t kept = 0;
    uint64_t stored = 0;
  };
  std::map<uint64_t, fetch_totals> fetched;
  /// Shards the coordinator asked this node to release, with the epoch
  /// they had: their events wait until a map gives them to another node,
  /// or until the node takes them back (`orphaned`).
  std::map<uint32_t, uint64_t> released;
  /// Released shards whose release was asked for before the link last
  /// lost the coordinator: a coordinator that died between a release and
  /// the map that moves the shards never completes it, and the next one
  /// may leave them here.
  std::set<uint32_t> orphaned;
  /// Snapshots not shipped to the coordinator yet, by model, latest only:
  /// bounded by the models, not the events.
  std::unordered_map<std::string, stored_snapshot> unsent;
  /// Whether a shipment is on its way.
  bool shipping = false;
  std::chrono::milliseconds persist_interval{5000};
  bool persist_scheduled = false;
  /// Snapshots and their bytes shipped to the coordinator since start.
  uint64_t shipped_snapshots = 0;
  uint64_t shipped_bytes = 0;
  /// Whether the node asked to leave the map (SIGTERM), and who waits for
  /// its shards to be gone and its parked events forwarded.
  bool leaving = false;
  std::vector<caf::typed_response_promise<uint64_t>> leave_waiters;
  uint64_t left_shards = 0;
};

/// The router as it addresses itself: what ingest uses of a supervisor
/// (every other handler goes to the supervisor as it is), what other nodes
/// send it (`shard_router_actor`), the map (`shard_news_actor`) and its
/// timers.
using shard_router_self_actor
  = supervisor_actor::extend_with<shard_router_actor, shard_news_actor>::extend<
    /// Timer: route the parked events again.
    caf::reacts_to<atom::retry>,
    /// A peer's router at `host:port`, reached (or null: not reachable).
    caf::reacts_to<atom::linkup, std::string, shard_router_actor>,
    /// This node's membership in the map, from its `main` once its ports are
    /// bound: the router takes its name and has its link join with it.
    caf::reacts_to<shard_member>,
    /// From its `main`, before any event: record every applied batch in
    /// the file at this path (`retrain.cluster.apply-journal`, appended
    /// to), one line per batch and shard:
    /// `<node> <shard> <epoch> <applied_ns> <events>`, `applied_ns` on the
    /// node's steady clock (CLOCK_MONOTONIC). True, or an error when the
    /// file cannot be opened.
    caf::replies_to<atom::store, std::string>::with<bool>,
    /// Timer: ship the snapshots of changed monitors to the coordinator.
    caf::reacts_to<atom::persist>,
    /// Timer: fetch the stored snapshots of these shards again (fetch
    /// number).
    caf::reacts_to<atom::restore, std::vector<uint32_t>, uint64_t>,
    /// The node stops (SIGTERM): asks the coordinator to move its shards
    /// away, handed over, and answers once the new map is in force and
    /// every event parked here is forwarded (how many shards moved).
    caf::replies_to<atom::leave>::with<uint64_t>>;

/// The router in front of `supervisor`; it subscribes to the map at `link`
/// and waits for its `shard_member`, parking events until it has both.
/// `timeout` bounds ingest's requests: forwards and parking end before it.
/// With a `link` it applies its shards' events only under the ownership
/// lease the link renews (`core::shard_lease`), handing them to the
/// supervisor as `lease_batch`es stamped with the lease's end.
/// Every `persist_interval` it ships the snapshots of the monitors that
/// changed to the coordinator through `link`.
shard_router_self_actor::behavior_type
shard_router(shard_router_self_actor::stateful_pointer<shard_router_state> self,
             supervisor_actor supervisor, coordinator_link_actor link,
             std::chrono::milliseconds timeout,
             std::chrono::milliseconds persist_interval);

} // namespace retrain
