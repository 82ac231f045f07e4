#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/batch_report.hpp"
#include "retrain/metric_batch.hpp"

namespace retrain {

/// Events of shards a monitor node owns, handed by its shard router to its
/// supervisor under the node's ownership lease: the supervisor applies
/// them only while its steady clock is before `deadline_ns`, so events
/// that waited in its mailbox while the node was stopped are not applied
/// once the coordinator may have given their shards to another node.
struct lease_batch {
  /// The end of the lease, in nanoseconds of the node's steady clock
  /// (`std::chrono::steady_clock`, CLOCK_MONOTONIC); never compared across
  /// machines.
  int64_t deadline_ns = 0;
  metric_batch batch;
};

/// @relates lease_batch
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_batch& x) {
  return f(caf::meta::type_name("lease_batch"), x.deadline_ns, x.batch);
}

/// The supervisor's answer to a `lease_batch`: either applied (as
/// `(atom::explain, metric_batch)` would have, at `applied_ns`) or, when
/// the deadline had passed, untouched (`expired`): the router keeps and
/// routes those events again.
struct lease_report {
  batch_report report;
  /// When the supervisor applied the batch (steady clock, nanoseconds).
  int64_t applied_ns = 0;
  /// Whether the deadline had passed: nothing was applied.
  bool expired = false;
  /// The events, given back untouched when `expired`.
  metric_batch returned;
};

/// @relates lease_report
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_report& x) {
  return f(caf::meta::type_name("lease_report"), x.report, x.applied_ns,
           x.expired, x.returned);
}

} // namespace retrain
