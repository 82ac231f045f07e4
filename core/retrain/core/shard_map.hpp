#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace retrain::core {

/// FNV-1a, 64 bits, of `text`. Written out here rather than `std::hash`,
/// whose values differ between standard libraries and releases: the shard
/// of a model line is stored and must never change.
uint64_t fnv1a64(std::string_view text) noexcept;

/// The shard of model line `line` (`<project>:<name>`) among `shards`
/// (at least 1): `fnv1a64(line) % shards`.
uint32_t shard_of_line(std::string_view line, uint32_t shards) noexcept;

/// The shard of a valid model id (`<project>:<name>:<semver>`): that of its
/// line, so every version of a line lives in one shard.
uint32_t shard_of_model(std::string_view model, uint32_t shards) noexcept;

/// Which monitor node owns each of a fixed number of shards, with an epoch
/// per shard that grows each time the shard changes hands (also to no
/// owner), so a message stamped with an older epoch is recognizably stale.
///
/// `rebalance` spreads the shards evenly over the members (their counts
/// differ by at most one) and moves as few as it can: a shard stays with
/// its owner while that owner is a member and under its quota.
class shard_map {
public:
  /// A map of `shards` shards (at least 1), none owned, every epoch 0.
  explicit shard_map(uint32_t shards = 256);

  /// The number of shards.
  uint32_t shards() const noexcept {
    return static_cast<uint32_t>(owners_.size());
  }

  /// The owner of `shard` (a node id), empty when it has none.
  const std::string& owner(uint32_t shard) const {
    return owners_.at(shard);
  }

  /// The epoch of `shard`.
  uint64_t epoch(uint32_t shard) const {
    return epochs_.at(shard);
  }

  /// Grows with every change of any shard's owner: the sum of the epochs,
  /// so a restored map has the version it was stored with.
  uint64_t version() const noexcept {
    return version_;
  }

  /// Sets `shard` as stored: owned by `owner` (empty: none) in `epoch`.
  void restore(uint32_t shard, std::string owner, uint64_t epoch);

  /// Gives every shard an owner among `members` (node ids; order and
  /// repeats do not matter), evenly and moving as few shards as possible;
  /// with no members no shard has an owner. Returns the shards that
  /// changed hands, ascending; each of them is in a new epoch.
  std::vector<uint32_t> rebalance(std::vector<std::string> members);

  /// How many shards each owner has (owners with none are absent).
  std::map<std::string, uint32_t> counts() const;

  /// The shards `node` owns, ascending.
  std::vector<uint32_t> shards_of(std::string_view node) const;

  /// Whether a monitor snapshot of `shard` taken by an owner in `epoch` is
  /// current: not from an epoch before the shard's, which would be an old
  /// owner's (stale: its owner lost the shard since).
  bool accepts_snapshot(uint32_t shard, uint64_t epoch) const {
    return shard < epochs_.size() && epoch >= epochs_[shard];
  }

private:
  std::vector<std::string> owners_;
  std::vector<uint64_t> epochs_;
  uint64_t version_ = 0;
};

/// What a new shard map changes for one node: the shards it must restore
/// before it applies their events, and those it must stop applying and
/// forget.
struct shard_moves {
  /// Owned now and not before (or in another epoch), ascending.
  std::vector<uint32_t> gained;
  /// Owned before and not now (or in another epoch), ascending.
  std::vector<uint32_t> lost;
};

/// One shard as a node sees it in a map: its owner's name (empty: none)
/// and its epoch.
struct shard_slot {
  std::string owner;
  uint64_t epoch = 0;
};

/// What going from map `before` (empty: the node had no map yet) to map
/// `after` changes for `node`. A shard it owns in both but in another
/// epoch is in both lists: another node owned it meanwhile, so what this
/// node holds of it is stale.
shard_moves moves_of(std::string_view node,
                     const std::vector<shard_slot>& before,
                     const std::vector<shard_slot>& after);

} // namespace retrain::core
