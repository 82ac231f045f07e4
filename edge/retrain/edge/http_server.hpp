#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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

/// A held Server-Sent Events connection, as a streaming handler writes to
/// it. Every call returns false once the client is gone or the server
/// stops: the handler returns then.
class event_stream {
public:
  virtual ~event_stream();

  /// Sends one event (`event: NAME`, `data: DATA`, a blank line); `data`
  /// must hold no newline.
  virtual bool send(std::string_view name, std::string_view data) = 0;

  /// Sends a comment line, which keeps proxies from closing the
  /// connection and finds out whether the client is still there.
  virtual bool ping() = 0;

  /// Waits up to `timeout`, or less when the server stops; returns
  /// whether it still runs.
  virtual bool wait(std::chrono::milliseconds timeout) = 0;
};

/// What a handler answers.
struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Extra headers, e.g. `Retry-After`.
  std::vector<std::pair<std::string, std::string>> headers;
  /// When set, the answer is a stream of Server-Sent Events
  /// (`text/event-stream`) that this function writes until it returns;
  /// status, content type and body are ignored.
  std::function<void(event_stream&)> stream;
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
    /// Event streams held at once, at most (each holds one of the
    /// `max_connections` threads); more get 503 `saturated`. 0: a quarter
    /// of `max_connections`, at least 1.
    uint32_t max_streams = 0;
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

  /// Routes requests with `method` whose path is exactly `path` (a prefix
  /// ending with `/` would take every path below it).
  void add_exact(std::string method, std::string path, handler fn);

  /// Event streams open now.
  uint32_t open_streams() const {
    return streams_;
  }

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
    bool exact = false;
  };

  class sse_stream;

  // Writes the event stream of `res` on `conn` until its function returns.
  void run_stream(mg_connection* conn, const http_response& res);

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
  /// Held event streams, and what wakes them when the server stops.
  std::atomic<uint32_t> streams_{0};
  std::atomic<bool> stopping_{false};
  std::mutex stop_mtx_;
  std::condition_variable stop_cv_;
};

} // namespace retrain::edge
