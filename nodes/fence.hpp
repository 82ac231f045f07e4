#pragma once

#include <chrono>
#include <string>

#include <caf/expected.hpp>

namespace retrain {

/// What a fence process watches over.
struct fence_config {
  /// Where the workers record the process groups of running commands.
  std::string record_dir;
  /// How long the node may go without renewing its lease before its
  /// commands are killed: `middleman.connection-timeout`, after which the
  /// coordinator has declared the node lost and re-queued its jobs.
  std::chrono::milliseconds timeout{3000};
  /// The node's role and log format, for the fence's own log lines.
  std::string role;
  std::string log_format;
};

/// Starts the fence of a worker node: a child process, in a process group
/// of its own so that stopping the node (SIGSTOP) does not stop it, that
/// kills the node's job commands once the node has not renewed its lease
/// for `cfg.timeout` (the node renews it while it is linked to its
/// coordinator) and when the node dies. Two attempts of one job thus never
/// run at once for longer than about the timeout. Returns the descriptor
/// the node renews the lease on (one byte at a time, non-blocking).
caf::expected<int> start_fence(const fence_config& cfg);

/// The fence process itself: `retrain-node --fence FD RECORD_DIR TIMEOUT_MS
/// ROLE FORMAT`, as `start_fence` runs it. Returns the exit code.
int run_fence(int argc, char** argv);

} // namespace retrain
