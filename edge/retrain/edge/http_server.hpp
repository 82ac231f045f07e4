#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

struct mg_connection;
struct mg_context;

namespace retrain::edge {

/// What a handler sees of one HTTP request. Views stay valid for the call
/// of the handler only.
struct http_request {
  /// `GET`, `POST`, ...
  std::string_view method;
  /// The URL-decoded path, e.g. `/v1/models/cv:a:1.0.0`.
  std::string_view path;
  /// What follows `?`, still URL-encoded, or empty.
  std::string_view query;
  /// The whole body (at most `http_server::options::max_body` bytes).
  std::string_view body;
  /// Civetweb's connection, to read headers (`header`).
  const mg_connection* conn = nullptr;

  /// Returns the value of the query parameter `name` (URL-decoded), or
  /// nothing when absent.
  std::optional<std::string> param(const char* name) const;

  /// Returns the value of the request header `name`, or empty.
  std::string_view header(const char* name) const;
};

/// What a handler answers.
struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Extra headers, e.g. `Retry-After`.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// An error answer: `{"code": CODE, "message": MESSAGE}` with `status`; with
/// `retry_after_s` > 0 also a `Retry-After` header. `code` is stable (clients
/// branch on it), `message` is for people.
http_response error_response(int status, std::string_view code,
                             std::string_view message, int retry_after_s = 0);

/// A small HTTP/1.1 server over civetweb's C API: keep-alive connections,
/// one civetweb thread per connection served at once, bounded bodies and a
/// read deadline, and routes by method and path prefix. Handlers run on
/// civetweb's threads: they may block (e.g. on a `caf::scoped_actor`
/// request), never a CAF scheduler thread.
class http_server {
public:
  /// Answers one request.
  using handler = std::function<http_response(const http_request&)>;

  /// Where and how it serves.
  struct options {
    /// Address to bind, e.g. `127.0.0.1`.
    std::string host = "127.0.0.1";
    /// Port to bind; 0 picks a free one (see `port()`).
    uint16_t port = 0;
    /// Largest body taken: a larger `Content-Length` gets 413 at once; a
    /// chunked body is read up to it, then 413.
    uint64_t max_body = 8 * 1024 * 1024;
    /// A request (headers or body) that takes longer to arrive is cut off.
    std::chrono::milliseconds read_timeout{10000};
    /// Connections served at once (civetweb's `num_threads`).
    uint32_t max_connections = 64;
  };

  http_server();
  ~http_server();

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Routes requests with `method` whose path is `path_prefix` or, when the
  /// prefix ends with `/`, starts with it. The longest matching prefix wins;
  /// a path some route matches with another method gets 405. Call before
  /// `start`.
  void add(std::string method, std::string path_prefix, handler fn);

  /// Binds and starts serving; returns an `ec::unreachable` error naming
  /// the address when it cannot.
  caf::error start(const options& opts);

  /// Stops accepting and waits for the requests being served; idempotent.
  void stop();

  /// The bound port (the picked one when `options::port` was 0), or 0.
  uint16_t port() const {
    return port_;
  }

  /// Dispatches one request (civetweb's callback); public for the C
  /// trampoline only.
  int serve(mg_connection* conn);

private:
  struct route {
    std::string method;
    std::string prefix;
    handler fn;
  };

  // Reads the body into `out`; returns an error answer instead when it is
  // too large or does not arrive in time.
  std::optional<http_response> read_body(mg_connection* conn,
                                         std::string& out) const;

  // Same, without the watchdog.
  std::optional<http_response> read_body_until(mg_connection* conn,
                                               std::string& out) const;

  // The answer to `req` from the routes.
  http_response dispatch(const http_request& req) const;

  // Cuts off bodies that take longer than `read_timeout` as a whole
  // (civetweb bounds only the gaps between bytes).
  class body_watchdog;

  std::vector<route> routes_;
  std::unique_ptr<body_watchdog> watchdog_;
  options opts_;
  mg_context* ctx_ = nullptr;
  uint16_t port_ = 0;
};

} // namespace retrain::edge
