#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "retrain/edge/http_server.hpp"
#include "retrain/messages.hpp"
#include "retrain/node_settings.hpp"

namespace retrain::edge {

/// The actors of a node the HTTP API asks; a null handle means the node
/// does not run that actor, and its endpoints answer 404 `not_served_here`.
struct api_handles {
  /// Ingest of a monitor node: `/v1/events`, `/v1/models`.
  monitor_node_actor ingest;
  /// The dispatcher of a coordinator node: `/v1/jobs`, `/v1/lines`, and
  /// "coordinator reachable" and "storage writable" of `/readyz`.
  dispatcher_actor coordinator;
  /// The coordinator link of a node without its own coordinator:
  /// "coordinator reachable" of `/readyz`.
  link_status_actor link;
};

/// The JSON API of a node (`/v1/*`, `/healthz`, `/readyz`) and the server
/// that serves it. Handlers run on the server's threads and ask the actors
/// with `caf::scoped_actor` requests bounded by `retrain.request-timeout`.
class http_api {
public:
  /// Batches of `/v1/events` waiting for ingest at once, at most, by
  /// default: twice the cores. Beyond it a batch gets 503 `saturated`.
  static uint32_t default_max_in_flight();

  http_api(caf::actor_system& sys, const node_settings& cfg,
           api_handles handles);
  ~http_api();

  /// Adds the routes of the API to `server`.
  void add_routes(http_server& server);

  /// The node stops: `/readyz` says so and `/v1/events` answers 503
  /// `draining` from now on.
  void drain() {
    draining_ = true;
  }

  /// The server, once `start_http` started it.
  http_server& server() {
    return server_;
  }

  /// `POST /v1/events`.
  http_response post_events(const http_request& req);

  /// `GET /v1/models` and `GET /v1/models/{model}`.
  http_response get_models(const http_request& req);

  /// `GET /v1/jobs`.
  http_response get_jobs(const http_request& req);

  /// `GET /v1/lines/{line}/versions`.
  http_response get_versions(const http_request& req);

  /// `GET /v1/policies`, `GET /v1/policies/{pattern}` and
  /// `GET /v1/policies/{pattern}/history` (coordinator nodes), and
  /// `GET /v1/policies/explain?model=M` (monitor nodes).
  http_response get_policies(const http_request& req);

  /// `PUT /v1/policies/{pattern}`: body `{"policy": INI, "by", "reason"}`.
  http_response put_policy(const http_request& req);

  /// `DELETE /v1/policies/{pattern}?by=WHO&reason=WHY`.
  http_response delete_policy(const http_request& req);

  /// `GET /healthz`: the process serves requests.
  http_response get_healthz(const http_request& req);

  /// `GET /readyz`: 200 when the coordinator is reachable, storage
  /// writable and the node not draining, else 503; the body names each
  /// check.
  http_response get_readyz(const http_request& req);

  /// `GET /v1/models/{model}/history`: the model's metric history, its
  /// triggers, and the jobs and versions of its line.
  http_response get_history(const http_request& req);

  /// `GET /v1/events/stream`: Server-Sent Events; with `model=` a
  /// `history` event whenever that model's history changed, else a
  /// `fleet` event whenever the node's totals changed.
  http_response get_stream(const http_request& req);

  /// `GET /v1/jobs/{id}/log`: the tail of an attempt's log, when the
  /// attempt ran on this node.
  http_response get_job_log(const http_request& req);

  /// `GET /` and `GET /assets/...`: the dashboard.
  http_response get_dashboard(const http_request& req);

private:
  // The JSON of `GET /v1/models/{model}/history` with at most `newest`
  // points per kind; nothing (and `failed` set) when it cannot be had.
  std::optional<std::string> history_body(const std::string& model,
                                          std::size_t newest,
                                          http_response& failed);

  // The node's totals as the fleet stream sends them.
  std::optional<std::string> fleet_body(http_response& failed);

  caf::actor_system& sys_;
  std::chrono::milliseconds timeout_;
  std::string data_dir_;
  api_handles handles_;
  std::atomic<bool> draining_{false};
  std::atomic<uint32_t> in_flight_{0};
  uint32_t max_in_flight_;
  http_server server_;
};

/// Starts the HTTP API of a node with `cfg.edge.http` set that runs ingest
/// or the coordinator, on `retrain.host:retrain.http-port`, and logs
/// `retrain-node http listening on HOST:PORT`; `more_routes` may add
/// routes of its own before the server starts. Returns null for a node
/// without HTTP, or an error when the port cannot be bound. Destroying the
/// result stops the server (after the requests being served).
caf::expected<std::unique_ptr<http_api>>
start_http(caf::actor_system& sys, const node_settings& cfg,
           api_handles handles,
           const std::function<void(http_server&)>& more_routes = {});

} // namespace retrain::edge
