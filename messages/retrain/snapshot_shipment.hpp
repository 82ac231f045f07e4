#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/monitor_snapshot.hpp"

namespace retrain {

/// A monitor's state as its shard's owner ships it to the coordinator,
/// which stores it so that the next owner of the shard starts the model
/// from it.
struct stored_snapshot {
  /// The shard of the model's line (`core::shard_of_model`).
  uint32_t shard = 0;
  /// The epoch of the shard under which the sender owns it: the
  /// coordinator refuses a snapshot of an epoch older than the shard's.
  uint64_t epoch = 0;
  monitor_snapshot snapshot;
};

/// @relates stored_snapshot
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_snapshot& x) {
  return f(caf::meta::type_name("stored_snapshot"), x.shard, x.epoch,
           x.snapshot);
}

/// Snapshots of models of some shards: what an owner ships every
/// `retrain.monitor.persist-interval`, what it hands over when it releases
/// shards, and what the coordinator returns to a new owner.
struct snapshot_shipment {
  /// The sending node's name in the shard map (empty from the coordinator).
  std::string node;
  std::vector<stored_snapshot> items;
};

/// @relates snapshot_shipment
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_shipment& x) {
  return f(caf::meta::type_name("snapshot_shipment"), x.node, x.items);
}

} // namespace retrain
