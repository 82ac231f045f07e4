#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "retrain/defaults.hpp"

namespace retrain {

/// The public edge of a node: its HTTP server (`retrain.http*`), what it
/// exposes in `/metrics` (`retrain.metrics.*`), webhooks
/// (`retrain.webhook*`) and the rule for the binary port
/// (`retrain.allow-plaintext`).
struct edge_config {
  /// Whether a node with ingest or the coordinator serves HTTP.
  bool http = true;
  /// Address of the HTTP server; empty: `retrain.host`. The HTTP port may
  /// face producers outside the cluster while the binary ports stay on
  /// loopback or a private network.
  std::string http_host;
  /// Port of the HTTP server; 0 picks a free one.
  uint16_t http_port = defaults::edge::http_port;
  /// Largest request body taken; larger ones get 413.
  uint64_t http_max_body = defaults::edge::http_max_body;
  /// A client that sends no byte of its request for this long is cut off.
  std::chrono::milliseconds http_read_timeout
    = defaults::edge::http_read_timeout;
  /// Connections served at once (one thread each); more wait to be accepted.
  uint32_t http_max_connections = defaults::edge::http_max_connections;
  /// Per-model statistic gauges in `/metrics` (one series per model and
  /// kind: off by default, 100,000 models would flood a Prometheus server).
  bool metrics_per_model = false;
  /// URLs that get a POST for each drift, job change and new version.
  std::vector<std::string> webhooks;
  /// With it set, each webhook request carries
  /// `X-Retrain-Signature: sha256=<HMAC-SHA256 of the body>`.
  std::string webhook_secret;
  /// Deliveries waiting at most; beyond it new ones are dropped and counted.
  uint32_t webhook_queue = defaults::edge::webhook_queue;
  /// Attempts per delivery before it is given up (counted).
  uint32_t webhook_max_attempts = defaults::edge::webhook_max_attempts;
  /// Lets the binary ports bind outside 127.0.0.0/8 without mutual TLS.
  bool allow_plaintext = false;

  /// Returns what is wrong (`ec::invalid_config`, naming the key and the
  /// allowed range), or nothing.
  caf::error validate() const;
};

} // namespace retrain
