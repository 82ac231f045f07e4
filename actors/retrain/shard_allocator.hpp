#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "retrain/core/shard_map.hpp"
#include "retrain/messages.hpp"
#include "retrain/shard_store.hpp"

namespace retrain {

/// A monitor node while its link to the coordinator lives.
struct shard_member_link {
  shard_member member;
  /// Its link, which gets the map.
  job_news_actor link;
};

/// State of the shard allocator: the coordinator's part that gives shards
/// to monitor nodes. The dispatcher hands it what members and `retrain-ctl`
/// send about shards (with their senders).
///
/// Each monitor node's link joins with its `shard_member` at every connect;
/// the allocator watches the link and rebalances on every join and every
/// lost link (`core::shard_map::rebalance`: even, moving as few shards as
/// possible), stores the new map before anyone hears of it, then pushes it
/// to every member. A map the database refuses is not published; the
/// allocator tries again after `retry`.
struct shard_allocator_state {
  static inline const char* name = "shard_allocator";

  /// The map's table, or none (no data dir: a map in memory only).
  std::unique_ptr<shard_store> store;
  /// The map in force: stored and published.
  core::shard_map map;
  /// The members, by their link's address.
  std::map<caf::actor_addr, shard_member_link> members;
  /// Whether an `atom::recover` is on its way.
  bool recover_scheduled = false;
  /// The wait before trying a refused write again.
  std::chrono::milliseconds retry{1000};

  /// The map as members and `retrain-ctl` see it.
  shard_table table() const;

  // -- durable monitor state and handoff ------------------------------------

  /// Snapshots kept in memory when there is no store, by model.
  std::unordered_map<std::string, stored_snapshot> kept;
  /// A new map waiting for the old owners of the shards it moves to hand
  /// them over (`atom::release`) before it is stored and published.
  struct pending_handoff {
    core::shard_map next;
    std::vector<uint32_t> moved;
    /// Old owners that have not answered yet.
    std::size_t open = 0;
  };
  std::optional<pending_handoff> handoff;
  /// Members changed while a handoff was pending: rebalance after it.
  bool again = false;
  /// How long an old owner may take to hand its shards over before it is
  /// skipped (its shards' next owners restore the periodic snapshots).
  std::chrono::milliseconds handoff_timeout{10000};
  /// Nodes leaving the map (SIGTERM), and who waits for their shards to
  /// be moved away.
  std::set<std::string> leaving;
  std::vector<std::pair<std::string, caf::typed_response_promise<uint64_t>>>
    leave_waiters;
  /// Snapshots stored and refused (stale epoch) since start.
  uint64_t snapshots_stored = 0;
  uint64_t snapshots_refused = 0;

  /// Whether a snapshot of `shard` taken in `epoch` may be stored: not
  /// older than the shard's epoch, and the shard is not being handed over
  /// (its final snapshots are stored, a late periodic one would be older).
  bool accepts(uint32_t shard, uint64_t epoch) const;
};

/// The allocator as it addresses itself.
using shard_allocator_actor = caf::typed_actor<
  /// The sender, a monitor node's link, joins as this member.
  caf::reacts_to<shard_member>,
  /// Returns the map in force.
  caf::replies_to<atom::shards>::with<shard_table>,
  /// Timer: try storing the map again.
  caf::reacts_to<atom::recover>,
  /// The sender, a member's link, renews its node's ownership lease: the
  /// map's version, or `ec::unreachable` for a link that is no member
  /// (lost, so its shards may be another node's now).
  caf::replies_to<atom::lease>::with<uint64_t>,
  /// Stores monitor snapshots (`coordinator_actor`).
  caf::replies_to<snapshot_shipment>::with<uint64_t>,
  /// Returns the stored snapshots of shards (`coordinator_actor`).
  caf::replies_to<atom::restore,
                  std::vector<uint32_t>>::with<snapshot_shipment>,
  /// Moves a node's shards away, handed over (`coordinator_actor`).
  caf::replies_to<atom::leave, std::string>::with<uint64_t>>;

/// An allocator of `shards` shards on `store` (may be null), starting from
/// the map stored there (a new map, logged, when it cannot be read). Spawn
/// it detached: it writes to the database on every change.
shard_allocator_actor::behavior_type shard_allocator(
  shard_allocator_actor::stateful_pointer<shard_allocator_state> self,
  std::unique_ptr<shard_store> store, uint32_t shards);

/// Opens the shard table of the registry database (`data_dir`, `url` as
/// for `open_registry_db`; an empty `data_dir` and `url`: in memory only)
/// and spawns an allocator on it, its writes fenced by `fence` if set (a
/// coordinator holding the lease of a shared PostgreSQL registry); null,
/// with the error logged, when the table cannot be read.
shard_allocator_actor
spawn_shard_allocator(caf::actor_system& sys, const std::string& data_dir,
                      const std::string& url, uint32_t shards,
                      std::shared_ptr<write_fence> fence = nullptr);

} // namespace retrain
