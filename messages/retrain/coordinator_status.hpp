#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// One worker enlisted with the dispatcher.
struct worker_status {
  /// `<node>/<actor id>`.
  std::string worker;
  /// The job it runs, or 0 when idle.
  uint64_t job_id = 0;
};

/// @relates worker_status
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_status& x) {
  return f(caf::meta::type_name("worker_status"), x.worker, x.job_id);
}

/// The coordinator's view of the cluster, as `retrain-ctl status` shows it.
struct coordinator_status {
  uint64_t queued = 0;
  uint64_t running = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  /// Supervisors (monitor nodes) subscribed to job updates.
  uint64_t supervisors = 0;
  std::vector<worker_status> workers;
  /// `ok`, or `degraded (<why the last write failed>)` while the database
  /// refuses writes (full disk, read-only file): decisions wait meanwhile.
  std::string storage;
  /// The identity of the registry database (random, set at its creation).
  std::string registry;
  /// The retrain version of the coordinator, e.g. `0.1.0 (git 1a2b3c4d5e6f)`.
  std::string version;
  /// The version of every other node linked to the coordinator (monitor
  /// and worker nodes), by node id: a mixed-version cluster shows here.
  std::map<std::string, std::string> node_versions;
  /// Attempts handed to workers since the coordinator started.
  uint64_t attempts = 0;
  /// Writes the database refused since the coordinator started.
  uint64_t storage_errors = 0;
  /// Jobs ended (succeeded or failed) since the start, by duration from
  /// creation to end: one count per bucket of
  /// `core::duration_histogram::bounds`, the last above every bound.
  std::vector<uint64_t> job_seconds;
  /// Sum of those durations in milliseconds.
  uint64_t job_ms_sum = 0;
};

/// @relates coordinator_status
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, coordinator_status& x) {
  return f(caf::meta::type_name("coordinator_status"), x.queued, x.running,
           x.succeeded, x.failed, x.supervisors, x.workers, x.storage,
           x.registry, x.version, x.node_versions, x.attempts, x.storage_errors,
           x.job_seconds, x.job_ms_sum);
}

} // namespace retrain
