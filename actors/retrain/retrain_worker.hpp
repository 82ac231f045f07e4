#pragma once

#include <optional>

#include <caf/fwd.hpp>

#include "retrain/job_config.hpp"
#include "retrain/job_result.hpp"
#include "retrain/messages.hpp"
#include "retrain/process_runner.hpp"
#include "retrain/retrain_job.hpp"

namespace retrain {

/// The state of a retrain worker.
struct retrain_worker_state {
  static inline const char* name = "retrain_worker";

  /// Command, timeout, simulated duration and data directory.
  job_config cfg;

  /// Runs the command of an attempt.
  process_runner runner;

  /// Where it enlists and reports: its node's coordinator link, which
  /// holds results while the coordinator is unreachable.
  worker_home_actor home;
};

/// Runs one attempt of `job` as `cfg` says and blocks until it is over: the
/// expanded `cfg.command`, or the simulated trainer when it is empty, with
/// `cfg.timeout` and the log file `<cfg.data_dir>/jobs/<id>-<attempt>.log`.
/// Never throws: every failure becomes `error` of the result. An attempt
/// that would start after `start_by` does not start and fails: its node
/// was stopped or cut off after it was handed out, long enough for the
/// coordinator to have re-queued it.
job_result run_job_attempt(const job_config& cfg, const process_runner& runner,
                           const retrain_job& job,
                           std::chrono::steady_clock::time_point start_by
                           = std::chrono::steady_clock::time_point::max());

/// A worker that runs job attempts one at a time and sends a `job_result` for
/// each to its home (its node's coordinator link), or without one to the
/// actor that sent the job, so it serves any dispatcher (or a test). It
/// enlists itself through its home when its node (re)connects, once it is
/// idle. Blocks in its handler for the whole attempt: spawn it detached, on
/// its own thread (`spawn_retrain_worker`), never on the scheduler. Exit
/// messages wait until the running attempt is over (at most `cfg.timeout`
/// plus the kill grace).
retrain_worker_actor::behavior_type retrain_worker(
  retrain_worker_actor::stateful_pointer<retrain_worker_state> self,
  job_config cfg);

/// Where the workers of a node record the process groups of running
/// commands: `<data_dir>/jobs/running`.
std::string running_record_dir(const job_config& cfg);

/// Spawns `retrain_worker` detached. The caller enlists it with a dispatcher.
retrain_worker_actor spawn_retrain_worker(caf::actor_system& sys,
                                          job_config cfg);

} // namespace retrain
