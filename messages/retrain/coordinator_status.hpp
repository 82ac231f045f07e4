#pragma once

#include <cstdint>
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
};

/// @relates coordinator_status
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, coordinator_status& x) {
  return f(caf::meta::type_name("coordinator_status"), x.queued, x.running,
           x.succeeded, x.failed, x.supervisors, x.workers, x.storage,
           x.registry);
}

} // namespace retrain
