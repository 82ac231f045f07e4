#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>

#include "retrain/core/expected.hpp"
#include "retrain/job_config.hpp"
#include "retrain/monitor_config.hpp"

namespace retrain {

/// Which actors a node runs.
enum class node_role : uint8_t {
  /// Every actor in one process: the embedded default.
  all,
  /// Dispatcher and registry.
  coordinator,
  /// Ingest, supervisor and monitors.
  monitor,
  /// Retrain workers.
  worker,
};

/// Returns `all`, `coordinator`, `monitor` or `worker`.
std::string to_string(node_role x);

/// A `HOST:PORT` pair.
struct endpoint {
  std::string host;
  uint16_t port = 0;
};

/// Parses `HOST:PORT`; `what` names the option in errors.
core::expected<endpoint> parse_endpoint(const std::string& str,
                                        const std::string& what);

/// Everything a node needs, validated.
struct node_settings {
  node_role role = node_role::all;
  std::string data_dir;
  /// Address the node binds to.
  std::string host = "127.0.0.1";
  uint16_t ingest_port = 4242;
  uint16_t coordinator_port = 4243;
  /// Where monitor and worker nodes find the coordinator.
  endpoint coordinator{"127.0.0.1", 4243};
  /// Retrain workers on this node.
  uint32_t workers = 2;
  /// Timeout of requests between actors.
  std::chrono::milliseconds request_timeout{std::chrono::seconds{10}};
  /// spdlog level: trace, debug, info, warn, error, critical, off.
  std::string log_level = "info";
  monitor_config monitor = monitor_config::defaults();
  job_config job;
};

/// The node's `caf::actor_system_config`: registers the messages, declares
/// every `retrain.*` option (command line `--retrain.key=value` or the INI
/// file given with `--config-file=FILE`; the command line wins) and turns them
/// into validated `node_settings`.
class node_config : public caf::actor_system_config {
public:
  node_config();

  /// Parses the command line and the config file, refusing unknown keys,
  /// values of the wrong type and values out of range. The message names
  /// the key and the allowed values.
  core::expected<node_settings> parse_settings(int argc, char** argv);

  /// Whether `--help` was given (the help text is printed by `parse_settings`).
  bool help_requested() const noexcept {
    return cli_helptext_printed;
  }
};

} // namespace retrain
