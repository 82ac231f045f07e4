#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace retrain {

/// What one run of a child process came to.
struct process_outcome {
  /// The exit status; -1 when a signal ended the child or it was never
  /// waited for; 127 when the program could not be started.
  int exit_code = -1;
  /// The signal that ended the child, or 0.
  int signal = 0;
  /// Whether the timeout expired and the process group was killed.
  bool timed_out = false;
  /// Wall time from start until the child was reaped.
  std::chrono::nanoseconds duration{0};
  /// The last non-empty line the child wrote to stdout, without the line
  /// break and trailing white space; at most `process_runner::max_line`
  /// bytes of it.
  std::string last_line;
  /// Why the child could not run or be waited for, e.g.
  /// `cannot run 'foo': No such file or directory`; empty otherwise.
  std::string error;
};

/// Runs a program as a child process in its own process group, with stdout
/// and stderr appended to a log file and a wall-clock timeout that kills the
/// whole group. Blocks the calling thread; installs no signal handlers and
/// waits only for its own child, so several runners may work in parallel
/// threads of one process. stdout passes through a pipe (to remember its last
/// line) and may therefore interleave with stderr at a coarser grain than
/// the child wrote it. A run spawns the child, watches it (copying its stdout
/// to the log and signalling its group when a `core::kill_schedule` says),
/// drains what is left in the pipe and reaps the child.
class process_runner {
public:
  /// Longest last stdout line kept; longer lines are cut.
  static constexpr size_t max_line = 64 * 1024;

  /// @param grace How long the process group has between SIGTERM and
  ///              SIGKILL after a timeout.
  /// @param record_dir If not empty, each running child's process group is
  ///                   recorded there (one file per group) so that a node
  ///                   killed with SIGKILL can take its orphans down at its
  ///                   next start (`kill_stale_commands`).
  explicit process_runner(std::chrono::milliseconds grace
                          = std::chrono::seconds{2},
                          std::string record_dir = {});

  /// Runs `argv` (`argv[0]` is looked up in `PATH` unless it has a slash)
  /// with stdin from /dev/null, appending its output and notes of the runner
  /// (lines starting with `[retrain]`) to `log_file`. On timeout, sends
  /// SIGTERM to the process group, then SIGKILL after the grace period.
  /// Processes the child leaves behind in its group are killed when it exits.
  process_outcome run(const std::vector<std::string>& argv,
                      const std::string& log_file,
                      std::chrono::milliseconds timeout) const;

private:
  std::chrono::milliseconds grace_;
  std::string record_dir_;
};

/// Renders a duration for humans: `250ms`, `5s`, `1.5s`, `2m30s`.
std::string render_duration(std::chrono::nanoseconds x);

/// How a reaped child ended: "killed by signal 9 (Killed)" or
/// "exit code 3".
std::string render_exit(const process_outcome& x);

/// Kills (SIGKILL) the process group of every command a `process_runner`
/// is running in this process; returns how many. For a node that stops.
size_t kill_running_commands();

/// Kills (SIGKILL) the process groups recorded in `record_dir` by runners of
/// an earlier process (one killed with SIGKILL), unless their leader's pid
/// now belongs to another process, and clears the records; returns how many
/// groups were killed.
size_t kill_stale_commands(const std::string& record_dir);

} // namespace retrain
