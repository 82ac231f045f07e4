#pragma once

#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "retrain/atoms.hpp"
#include "retrain/batch_report.hpp"
#include "retrain/coordinator_status.hpp"
#include "retrain/ingest_ack.hpp"
#include "retrain/job_record.hpp"
#include "retrain/job_result.hpp"
#include "retrain/job_update.hpp"
#include "retrain/line_state.hpp"
#include "retrain/metric_batch.hpp"
#include "retrain/metric_event.hpp"
#include "retrain/metric_run.hpp"
#include "retrain/model_status.hpp"
#include "retrain/model_version.hpp"
#include "retrain/monitor_snapshot.hpp"
#include "retrain/monitor_stats.hpp"
#include "retrain/register_version.hpp"
#include "retrain/retrain_job.hpp"
#include "retrain/retrain_trigger.hpp"

namespace retrain {

/// The public ingest interface. A monitor node publishes an actor with (at
/// least) this interface on `retrain.ingest-port`.
using ingest_actor = caf::typed_actor<
  /// Applies one event, fire-and-forget.
  caf::reacts_to<metric_event>,
  /// Applies a batch and acknowledges it (back-pressure for producers).
  caf::replies_to<metric_batch>::with<ingest_ack>>;

/// What a monitor node publishes: the ingest contract plus status.
using monitor_node_actor = ingest_actor::extend<
  /// Applies a batch like `metric_batch` and reports why each refused event
  /// was refused (what `retrain-ctl replay` shows per line).
  caf::replies_to<atom::explain, metric_batch>::with<batch_report>,
  /// Returns the status of every monitored model.
  caf::replies_to<atom::status>::with<std::vector<model_status>>,
  /// Returns the status of one model (a model id) or of every model of a
  /// line (`<project>:<name>`); empty when none is known, an
  /// `invalid_model_line` error when it is neither.
  caf::replies_to<atom::status, std::string>::with<std::vector<model_status>>,
  /// Returns totals over every monitor, once all events acknowledged so far
  /// are applied.
  caf::replies_to<atom::stats>::with<monitor_stats>>;

/// A retrain worker: runs one job attempt at a time.
using retrain_worker_actor = caf::typed_actor<
  /// Runs one attempt and answers the dispatcher with a `job_result`.
  caf::reacts_to<retrain_job>>;

/// One monitor: the EWMA state and strategies of one model id.
using monitor_actor = caf::typed_actor<
  /// Applies a run of events of this model.
  caf::reacts_to<metric_run>,
  /// The state of this model's line: quiet while a job is active, stand
  /// down once a newer version is registered.
  caf::reacts_to<line_state>,
  /// Sends a snapshot to the supervisor if anything changed since the last
  /// (the supervisor asks changed monitors once per snapshot interval).
  caf::reacts_to<atom::tick>,
  /// Returns this model's status.
  caf::replies_to<atom::status>::with<model_status>,
  /// Sends this model's counters (`monitor_stats`, `models` = 1) to the
  /// supervisor.
  caf::reacts_to<atom::stats>>;

/// The supervisor of a monitor node: routes events by model id, spawns and
/// restarts monitors.
using supervisor_actor = caf::typed_actor<
  /// Routes valid events (already checked by ingest) to monitors; refuses
  /// those of quarantined models.
  caf::replies_to<metric_batch>::with<ingest_ack>,
  /// Same, naming every refused event by its position in the batch.
  caf::replies_to<atom::explain, metric_batch>::with<batch_report>,
  /// A monitor's trigger, forwarded to the dispatcher (held while the
  /// coordinator is unreachable).
  caf::reacts_to<retrain_trigger>,
  /// The coordinator, reached or reached again (a `dispatcher_actor`, passed
  /// untyped because the two interfaces refer to each other).
  caf::reacts_to<atom::linkup, caf::actor>,
  /// A monitor's state, kept to restart it after a crash.
  caf::reacts_to<monitor_snapshot>,
  /// News about jobs, relayed to the monitors of that line.
  caf::reacts_to<job_update>,
  /// Returns the status of every monitored model.
  caf::replies_to<atom::status>::with<std::vector<model_status>>,
  /// Returns the status of one model or of every model of a line.
  caf::replies_to<atom::status, std::string>::with<std::vector<model_status>>,
  /// Returns totals over every monitor, after applying what was routed.
  caf::replies_to<atom::stats>::with<monitor_stats>,
  /// A monitor's counters, answering `atom::stats`.
  caf::reacts_to<monitor_stats>,
  /// A monitor's status, answering `atom::status`.
  caf::reacts_to<model_status>,
  /// Timer: send the runs of events held for `flush-interval`.
  caf::reacts_to<atom::tick>,
  /// Timer: ask the monitors that changed for snapshots.
  caf::reacts_to<atom::sweep>>;

/// The registry: serializes version bumps and persists them.
using registry_actor = caf::typed_actor<
  /// Records the version of a succeeded job (idempotent by job id).
  caf::replies_to<register_version>::with<model_version>,
  /// Returns every version of a model line, oldest first.
  caf::replies_to<atom::versions,
                  std::string>::with<std::vector<model_version>>>;

/// The dispatcher, which the coordinator node publishes on
/// `retrain.coordinator-port`.
using dispatcher_actor = caf::typed_actor<
  /// A monitor asks for a retrain.
  caf::reacts_to<retrain_trigger>,
  /// A worker enlists and pulls work.
  caf::reacts_to<atom::enlist, retrain_worker_actor>,
  /// A supervisor subscribes to job updates; the answer is the state of
  /// every line the coordinator knows, to resync after a reconnect.
  caf::replies_to<atom::subscribe,
                  supervisor_actor>::with<std::vector<line_state>>,
  /// A worker reports an attempt.
  caf::reacts_to<job_result>,
  /// Timer: a job's retry delay is over.
  caf::reacts_to<atom::retry, uint64_t>,
  /// Returns every job, newest first.
  caf::replies_to<atom::jobs>::with<std::vector<job_record>>,
  /// Returns every version of a model line (asks the registry).
  caf::replies_to<atom::versions,
                  std::string>::with<std::vector<model_version>>,
  /// Returns queue and worker status.
  caf::replies_to<atom::status>::with<coordinator_status>>;

} // namespace retrain
