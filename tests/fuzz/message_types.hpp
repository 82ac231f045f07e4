#pragma once

#include <caf/detail/type_list.hpp>

#include "retrain/messages.hpp"

namespace retrain::fuzz {

/// Every type of the retrain wire contract, as `register_messages`
/// registers them. The fuzz target `messages` reads the type at position i
/// for selector byte i; `retrain-fuzz-message-seeds` writes a seed for
/// each. A new message type is one more line here, at the end (seeds keep
/// their selector). Once `retrain/fwd.hpp` declares the types in a CAF
/// type-ID block, this list can be taken from that block.
using message_types = caf::detail::type_list<
  metric_kind, metric_event, metric_batch, run_event, metric_run, ingest_ack,
  event_reject, batch_report, trigger_reason, retrain_trigger, job_state,
  retrain_job, job_result, job_record, job_update, line_state, register_version,
  model_version, kind_status, model_status, core::strategy_snapshot,
  monitor_snapshot, monitor_stats, worker_status, coordinator_status,
  ingest_actor, monitor_node_actor, retrain_worker_actor, monitor_actor,
  supervisor_actor, registry_actor, dispatcher_actor>;

} // namespace retrain::fuzz
