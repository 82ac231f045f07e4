#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/error.hpp>

#include "retrain/defaults.hpp"
#include "retrain/edge_config.hpp"
#include "retrain/endpoint.hpp"
#include "retrain/job_config.hpp"
#include "retrain/monitor_config.hpp"
#include "retrain/node_role.hpp"

namespace retrain {

/// Everything a node needs; `node_config` fills it from the command line and
/// the config file.
struct node_settings {
  node_role role = defaults::role;
  std::string data_dir{defaults::data_dir};
  /// Address the node binds to.
  std::string host{defaults::host};
  uint16_t ingest_port = defaults::ingest_port;
  uint16_t coordinator_port = defaults::coordinator_port;
  /// Where monitor and worker nodes find the coordinator: one, or the
  /// coordinators of a failover group (they follow the active one).
  endpoint_list coordinator{{std::string{defaults::host},
                             defaults::coordinator_port},
                            {}};
  /// Retrain workers on this node.
  uint32_t workers = defaults::workers;
  /// Timeout of requests between actors.
  std::chrono::milliseconds request_timeout = defaults::request_timeout;
  /// How long SIGTERM waits for held triggers to be acknowledged.
  std::chrono::milliseconds shutdown_grace = defaults::shutdown_grace;
  /// spdlog level: trace, debug, info, warn, error, critical, off.
  std::string log_level{defaults::log_level};
  /// `text` (readable lines) or `json` (one JSON object per line).
  std::string log_format{defaults::log_format};
  monitor_config monitor = monitor_config::node_defaults();
  job_config job;
  edge_config edge;
  /// `retrain.cluster.port`: where other monitor nodes forward events of
  /// this node's shards (0: a free port).
  uint16_t shard_port = defaults::cluster::port;
  /// `retrain.cluster.apply-journal`: the file a monitor node appends a
  /// line to for each batch and shard it applies (empty: none), to check
  /// that no two nodes apply one shard at a time.
  std::string apply_journal{defaults::cluster::apply_journal};

  /// Returns what is wrong (`ec::invalid_config`, naming the key and the
  /// allowed values), or nothing: the node's own keys, then the monitor
  /// config if the role runs monitors and the job config if it runs
  /// workers or the coordinator. Pure: the data dir is not looked at.
  caf::error validate() const;
};

} // namespace retrain
