#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace retrain::core {

/// The timings of a monitor node's ownership lease, all derived from
/// `middleman.connection-timeout` (`timeout`): the coordinator gives a
/// monitor node's shards away only once it has not heard from the node
/// for `timeout` (measured on the coordinator's clock from the last bytes
/// it got). The node renews by asking the coordinator every
/// `renew_interval` and holds its shards for `term` after sending a
/// renewal the coordinator answered (measured on the node's clock from the
/// send, which comes before the coordinator heard it). So a node stops
/// applying at least `margin` before the coordinator may give its shards
/// to another node, with no clock compared across machines: only the
/// rates of the two clocks matter.
struct shard_lease_timing {
  using duration = std::chrono::milliseconds;
  using time_point = std::chrono::steady_clock::time_point;

  /// `middleman.connection-timeout`: silence after which the coordinator
  /// declares a monitor node lost.
  duration timeout{3000};

  /// How long one answered renewal lets the node apply: half the timeout.
  duration term() const noexcept {
    return timeout / 2;
  }

  /// How often the node renews: a quarter of the term, so three renewals
  /// may be lost or late before the node stops.
  duration renew_interval() const noexcept {
    return term() / 4;
  }

  /// How much earlier the node stops than the coordinator may reassign.
  duration margin() const noexcept {
    return timeout - term();
  }

  /// How long a node waits before applying a shard it gained from
  /// another node: the previous owner's last renewal was sent before the
  /// coordinator published the move, so it ends at most one term after
  /// the new owner heard of it; the old owner has stopped by then even
  /// if the new map never reached it.
  duration settle() const noexcept {
    return term();
  }
};

/// What a node may do with the events of one shard at a moment.
enum class shard_access {
  /// The node owns the shard and holds the lease: apply.
  apply,
  /// Another node (or none) owns it by the node's map: forward.
  elsewhere,
  /// The node owns it but its lease lapsed or its map is older than the
  /// one its last renewal named: wait (the coordinator may be giving the
  /// shard away).
  no_lease,
  /// The node just gained it: wait until its previous owner has stopped.
  settling,
  /// The node owns it and holds the lease, but is restoring the shard's
  /// monitors or handing them over: wait (decided by the node's router,
  /// never by the lease).
  moving,
};

/// Returns `apply`, `elsewhere`, `no_lease`, `settling` or `moving`.
std::string to_string(shard_access x);

/// A monitor node's ownership lease and its shards' state under it: the
/// node's own clock only. A value class; its host (the node's shard
/// router) feeds it renewals, maps and the time.
class shard_lease {
public:
  using time_point = shard_lease_timing::time_point;

  /// A lease with `timing`, not held (`required`) or held for ever with
  /// nothing to settle (a node without a coordinator: tests, benchmarks).
  explicit shard_lease(shard_lease_timing timing = {}, bool required = true);

  /// The timings.
  const shard_lease_timing& timing() const noexcept {
    return timing_;
  }

  /// The coordinator answered a renewal sent at `sent`, its map then at
  /// `version`: held until `sent + term` (a later renewal never shortens
  /// it).
  void renewed(time_point sent, uint64_t version);

  /// The link to the coordinator is lost: no longer held.
  void revoke() noexcept;

  /// Held for ever: the coordinator runs in this process, so nothing can
  /// cut this node off from it.
  void hold_forever() noexcept;

  /// Whether the lease holds at `now` for a map at `map_version`: renewed
  /// in time, and the map is at least as new as the one the last renewal
  /// named (else the coordinator may have moved shards the node still
  /// thinks its own).
  bool holds(time_point now, uint64_t map_version) const noexcept;

  /// Until when a batch handed on now may be applied; the max time point
  /// when held for ever or `alone`, else the end of the lease.
  time_point deadline() const noexcept;

  /// Whether the last map named this node as its only member. Such a node
  /// goes on applying without the lease, as a single monitor node did
  /// before there were shards: while the coordinator is down nobody can
  /// be given its shards, and a node that joins later waits for a
  /// coordinator to give it any.
  bool alone() const noexcept {
    return alone_;
  }

  /// Takes a new map at `now`: `mine` and `epochs` per shard (this node
  /// owns it; its epoch). A shard that this node owns at an epoch it did
  /// not own it at before settles first, unless `unowned_before` says
  /// nobody owned it in the node's previous map (empty: the node had no
  /// map; then only if `alone`, this node the map's only member), so
  /// nobody else can be applying it.
  void
  take_map(const std::vector<bool>& mine, const std::vector<uint64_t>& epochs,
           const std::vector<bool>& unowned_before, bool alone, time_point now);

  /// What the node may do with the events of `shard` at `now` under a
  /// map at `map_version`.
  shard_access access(uint32_t shard, uint64_t map_version,
                      time_point now) const;

  /// The end of `shard`'s settling (the min time point when it does not
  /// settle).
  time_point settles_at(uint32_t shard) const;

private:
  shard_lease_timing timing_;
  bool required_ = true;
  bool forever_ = false;
  bool alone_ = false;
  time_point until_ = time_point::min();
  uint64_t version_ = 0;
  /// Per shard: whether this node owns it, at which epoch, and when it
  /// may first apply it.
  std::vector<bool> mine_;
  std::vector<uint64_t> epochs_;
  std::vector<time_point> usable_;
};

} // namespace retrain::core
