#include "retrain/retrain_worker.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/spawn_options.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <signal.h>
#include <string.h>

#include "retrain/artifact.hpp"
#include "retrain/command_template.hpp"
#include "retrain/config_error.hpp"
#include "retrain/log.hpp"

namespace retrain {

namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

fs::path log_path_of(const job_config& cfg, const retrain_job& job) {
  return fs::path{cfg.data_dir} / "jobs"
         / (std::to_string(job.record.id) + "-" + std::to_string(job.attempt)
            + ".log");
}

// Appends lines of the worker (as opposed to the command's output) to the
// attempt's log; returns false when the file cannot be opened.
bool append_note(const fs::path& path, const std::string& text) {
  std::ofstream out{path, std::ios::app};
  out << "[retrain] " << text << '\n';
  return static_cast<bool>(out);
}

// The built-in trainer for setups without a command: sleeps, then succeeds,
// unless the sleep is longer than the timeout.
process_outcome simulate(const job_config& cfg, const retrain_job& job,
                         const fs::path& log) {
  auto start = steady_clock::now();
  process_outcome result;
  auto timed_out = cfg.simulated_duration > cfg.timeout;
  append_note(log, "simulated trainer: training " + job.record.model + " from "
                     + job.record.base_version + " to "
                     + job.record.next_version + " for "
                     + render_duration(cfg.simulated_duration));
  std::this_thread::sleep_for(timed_out ? cfg.timeout : cfg.simulated_duration);
  if (timed_out) {
    result.timed_out = true;
    append_note(log, "simulated trainer: timed out after "
                       + render_duration(cfg.timeout));
  } else {
    result.exit_code = 0;
    append_note(log, "simulated trainer: done");
  }
  result.duration = steady_clock::now() - start;
  return result;
}

// Says why an attempt failed, or returns an empty string for success.
std::string failure_of(const job_config& cfg, const process_outcome& x) {
  if (!x.error.empty())
    return x.error;
  if (x.timed_out)
    return "timed out after " + render_duration(cfg.timeout)
           + (cfg.command.empty() ? "" : ", process group killed");
  if (x.signal != 0 || x.exit_code != 0)
    return render_exit(x);
  return {};
}

} // namespace

job_result run_job_attempt(const job_config& node_cfg,
                           const process_runner& runner, const retrain_job& job,
                           steady_clock::time_point start_by) {
  // The line's policy may set the command and the time limit.
  auto cfg = node_cfg;
  if (job.has_command)
    cfg.command = job.command;
  if (job.timeout_ms > 0)
    cfg.timeout = std::chrono::milliseconds{job.timeout_ms};
  auto start = steady_clock::now();
  job_result result;
  result.job_id = job.record.id;
  result.attempt = job.attempt;
  auto done = [&](std::string error) {
    result.error = std::move(error);
    result.duration_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           steady_clock::now() - start)
                           .count();
    return std::move(result);
  };
  auto log = log_path_of(cfg, job);
  std::error_code err;
  fs::create_directories(log.parent_path(), err);
  if (err)
    return done("cannot create log directory '" + log.parent_path().string()
                + "': " + err.message());
  result.log_file = log.string();
  if (!append_note(
        log, "job " + std::to_string(job.record.id) + " attempt "
               + std::to_string(job.attempt) + ": model " + job.record.model
               + ", version " + job.record.base_version + " -> "
               + job.record.next_version + ", reason " + job.record.reason))
    return done("cannot write log file '" + result.log_file + "'");
  // Checked last before the start: a node stopped (SIGSTOP) while it got
  // here must not start what the coordinator already runs elsewhere.
  if (auto now = steady_clock::now(); now > start_by) {
    auto why = "not started: the node was stopped or cut off for "
               + render_duration(now - start) + " before the start (the "
               + "coordinator runs the attempt again)";
    append_note(log, why);
    return done(std::move(why));
  }
  process_outcome outcome;
  if (cfg.command.empty()) {
    outcome = simulate(cfg, job, log);
  } else {
    auto argv = expand_command(cfg.command, job);
    if (!argv) {
      auto why = error_text(argv.error());
      append_note(log, why);
      return done(std::move(why));
    }
    outcome = runner.run(*argv, result.log_file, cfg.timeout);
  }
  result.exit_code = outcome.exit_code;
  auto failure = failure_of(cfg, outcome);
  result.success = failure.empty();
  if (result.success && !cfg.command.empty()) {
    // A missing or malformed artifact line does not fail the job.
    if (auto artifact = parse_artifact(outcome.last_line))
      result.artifact = std::move(*artifact);
    else
      append_note(log, error_text(artifact.error()));
  }
  return done(std::move(failure));
}

std::string running_record_dir(const job_config& cfg) {
  return (std::filesystem::path{cfg.data_dir} / "jobs" / "running").string();
}

retrain_worker_actor::behavior_type retrain_worker(
  retrain_worker_actor::stateful_pointer<retrain_worker_state> self,
  job_config cfg) {
  self->state.cfg = std::move(cfg);
  if (!self->state.cfg.data_dir.empty())
    self->state.runner = process_runner{std::chrono::seconds{2},
                                        running_record_dir(self->state.cfg)};
  return {
    [self](const retrain_job& job) {
      auto& cfg = self->state.cfg;
      auto prefix = std::string{retrain_worker_state::name} + "#"
                    + std::to_string(self->id()) + " job "
                    + std::to_string(job.record.id) + " attempt "
                    + std::to_string(job.attempt);
      // The coordinator re-queues the attempt of a node silent for the
      // connection timeout: later than that it must not start here.
      auto start_by = std::chrono::steady_clock::now()
                      + caf::get_or(self->system().config(),
                                    "middleman.connection-timeout",
                                    caf::timespan{std::chrono::seconds{3}});
      log().info("{} started: model {}, log {}", prefix, job.record.model,
                 log_path_of(cfg, job).string());
      auto result = run_job_attempt(cfg, self->state.runner, job, start_by);
      auto took = render_duration(std::chrono::nanoseconds{result.duration_ns});
      if (result.success)
        log().info("{} succeeded: exit code 0 after {}, artifact {}", prefix,
                   took, result.artifact.empty() ? "none" : result.artifact);
      else
        log().warn("{} failed: {} after {}, log {}", prefix, result.error, took,
                   result.log_file);
      // Its home (the link, which holds it while the coordinator is
      // away), or whoever sent the job: a dispatcher, or anything that
      // takes results.
      if (auto& home = self->state.home) {
        self->send(home, std::move(result));
        return;
      }
      auto sender
        = caf::actor_cast<job_result_sink_actor>(self->current_sender());
      if (!sender) {
        log().warn("{} result dropped: the job came without a sender", prefix);
        return;
      }
      self->send(sender, std::move(result));
    },
    [self](atom::linkup, worker_home_actor& home) {
      // Handled only between attempts: a worker whose node lost the link
      // while it ran enlists again once that attempt is over, never as idle
      // while its command still runs.
      auto& st = self->state;
      st.home = std::move(home);
      self->send(st.home, atom::enlist::value);
    },
  };
}

retrain_worker_actor spawn_retrain_worker(caf::actor_system& sys,
                                          job_config cfg) {
  return sys.spawn<caf::detached>(retrain_worker, std::move(cfg));
}

} // namespace retrain
