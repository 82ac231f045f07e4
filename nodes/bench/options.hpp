#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>

#include "retrain/defaults.hpp"

namespace retrain::bench {

/// What `retrain-bench` was asked to do.
struct options {
  /// `local`, `remote`, `http` or `memory`.
  std::string mode;
  uint64_t models = 1000;
  uint64_t events = 5'000'000;
  uint64_t kinds = 2;
  /// Events per `metric_batch`.
  uint64_t batch = 4096;
  /// Unacknowledged batches at most.
  uint64_t in_flight = 4;
  /// Events offered per second; 0 means as fast as acknowledgements allow.
  uint64_t rate = 0;
  /// `retrain.monitor.flush-interval` in ms, the node's default unless set.
  uint64_t flush_ms = defaults::monitor::flush_interval.count();
  /// `retrain.history.points`, the node's default unless set.
  uint64_t history_points = defaults::monitor::history_points;
  /// `retrain.monitor.max-flush-delay` in ms, the node's default unless
  /// set.
  uint64_t max_flush_ms = defaults::monitor::max_flush_delay.count();
  /// `retrain.monitor.snapshot-interval` in ms, the node's default unless
  /// set.
  uint64_t snapshot_ms = defaults::monitor::snapshot_interval.count();
  /// Whether local mode measures how long events wait even without
  /// `rate` (at saturation).
  bool latency = false;
  /// Whether memory mode measures once every model is passivated.
  bool passivated = false;
  /// Scheduler threads (0: one per core).
  uint64_t threads = 0;
  /// `sharing` or `stealing`; the node's policy unless set.
  std::string scheduler = defaults::caf_settings::scheduler_policy;
  /// `HOST:PORT` of a monitor node's ingest actor (remote mode).
  std::string node;
  /// `http://HOST:PORT` of a node's HTTP API (http mode).
  std::string url;
  /// Concurrent clients, one keep-alive connection each (http mode).
  uint64_t clients = 1;
  /// spdlog level of the node's actors.
  std::string log_level = "warn";
};

/// Parses `MODE [--key VALUE | --key=VALUE ...]`; returns what is wrong
/// (`ec::invalid_config`), or no error.
caf::error parse(int argc, char** argv, options& out);

/// The usage text.
const char* usage();

} // namespace retrain::bench
