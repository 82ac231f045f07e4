#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/batch_report.hpp"
#include "retrain/metric_event.hpp"

namespace retrain {

/// Events a monitor node took for shards another node owns, forwarded to
/// that owner. Every event is valid (ingest checked it where it came in).
struct shard_batch {
  /// The version of the sender's shard map (`shard_table::version`).
  uint64_t version = 0;
  std::vector<metric_event> events;
  /// Per event: the epoch of its shard in the sender's map. The receiver
  /// returns an event whose shard it holds at another epoch: one of the
  /// two maps is stale.
  std::vector<uint64_t> epochs;
};

/// @relates shard_batch
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_batch& x) {
  return f(caf::meta::type_name("shard_batch"), x.version, x.events, x.epochs);
}

/// The owner's answer to a `shard_batch`: what it did with the events it
/// owns, and which it does not own by its map (the sender routes those
/// again once its map is as new as `version`).
struct shard_reply {
  /// Accepted (applied or queued at the owner's monitors) and refused
  /// events, with reasons; indexes are those of the `shard_batch`.
  batch_report report;
  /// Indexes of the events the receiver did not apply: of shards it does
  /// not own, holds at another epoch, or may not apply now (its lease
  /// lapsed, or the shard is still settling after a move).
  std::vector<uint64_t> returned;
  /// The version of the receiver's shard map.
  uint64_t version = 0;
};

/// @relates shard_reply
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_reply& x) {
  return f(caf::meta::type_name("shard_reply"), x.report, x.returned,
           x.version);
}

} // namespace retrain
