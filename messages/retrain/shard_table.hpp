#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// A monitor node as a member of the shard map: how it is named and where
/// other monitor nodes reach it. Its link to the coordinator sends it at
/// every connect; the coordinator gives it shards while that link lives.
struct shard_member {
  /// The node's name in the map: `<host>:<ingest port>`, the same across
  /// its restarts, so a restarted node gets its shards back.
  std::string node;
  /// Where other monitor nodes send it the events of its shards.
  std::string host;
  uint16_t port = 0;
};

/// @relates shard_member
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_member& x) {
  return f(caf::meta::type_name("shard_member"), x.node, x.host, x.port);
}

/// The shard map as the coordinator publishes it to every monitor node on
/// each change and each (re)connect, and as `retrain-ctl shards` shows it.
/// Model lines map to shards by `core::shard_of_line`.
struct shard_table {
  /// Grows with every change of an owner (the sum of the epochs): a node
  /// applies a table only if it is newer than the one it has.
  uint64_t version = 0;
  /// The members, in no particular order.
  std::vector<shard_member> nodes;
  /// Per shard: its owner as an index into `nodes`, -1 for none.
  std::vector<int32_t> owners;
  /// Per shard: its epoch, which grows each time it changes hands.
  std::vector<uint64_t> epochs;

  /// The number of shards.
  uint32_t shards() const noexcept {
    return static_cast<uint32_t>(owners.size());
  }

  /// The owner of `shard`, or null.
  const shard_member* owner(uint32_t shard) const noexcept {
    if (shard >= owners.size() || owners[shard] < 0
        || static_cast<size_t>(owners[shard]) >= nodes.size())
      return nullptr;
    return &nodes[static_cast<size_t>(owners[shard])];
  }
};

/// @relates shard_table
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_table& x) {
  return f(caf::meta::type_name("shard_table"), x.version, x.nodes, x.owners,
           x.epochs);
}

} // namespace retrain
