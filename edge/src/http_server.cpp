#include "retrain/edge/http_server.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <list>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/json.hpp>
#include <civetweb.h>
#include <spdlog/spdlog.h>

#include "retrain/core/quoted.hpp"
#include "retrain/ec.hpp"

namespace retrain::edge {

namespace {

int on_request(mg_connection* conn, void* self) {
  return static_cast<http_server*>(self)->serve(conn);
}

// Civetweb's own complaints (a client cut off, a bad request line) are
// routine on a public port: debug lines, not stderr.
int on_log_message(const mg_connection*, const char* message) {
  spdlog::default_logger_raw()->debug("http: {}", message);
  return 1;
}

int on_log_access(const mg_connection*, const char*) {
  return 1;
}

// Writes `res` as the answer on `conn`; with `close` the connection ends
// after it (the rest of an unread body would otherwise be read as the next
// request).
void send(mg_connection* conn, const http_response& res, bool close) {
  if (close)
    mg_disable_keep_alive(conn);
  mg_response_header_start(conn, res.status);
  mg_response_header_add(conn, "Content-Type", res.content_type.c_str(), -1);
  auto len = std::to_string(res.body.size());
  mg_response_header_add(conn, "Content-Length", len.c_str(), -1);
  for (auto& [name, value] : res.headers)
    mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
  mg_response_header_send(conn);
  if (!res.body.empty())
    mg_write(conn, res.body.data(), res.body.size());
}

// The text of the IP address in `addr`, as civetweb gives `remote_addr`.
std::string address_text(const sockaddr_storage& addr, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    auto in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto in = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in->sin6_addr, buf, sizeof(buf));
    port = ntohs(in->sin6_port);
  }
  return buf;
}

} // namespace

/// Civetweb bounds each wait for the next bytes of a body by
/// `request_timeout_ms`, not the body as a whole: a client sending one byte
/// a second would hold a thread forever. Each body read registers here with
/// its deadline; once it passes, this thread finds the connection's socket
/// (by its peer address, among the process's descriptors) and shuts its
/// reading side, so that the blocked read returns. Only slow clients cost
/// the search.
class http_server::body_watchdog {
public:
  /// One body being read.
  struct entry {
    std::chrono::steady_clock::time_point deadline;
    std::string peer;
    int peer_port;
    int local_port;
    /// Whether its socket was shut already.
    bool cut = false;
  };

  body_watchdog() : thread_([this] { run(); }) {
    // nop
  }

  ~body_watchdog() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  /// Registers a read; `done` must follow once it returned.
  std::list<entry>::iterator watch(entry x) {
    std::lock_guard<std::mutex> guard{mtx_};
    return entries_.insert(entries_.end(), std::move(x));
  }

  /// The read registered as `i` returned: its socket is left alone.
  void done(std::list<entry>::iterator i) {
    std::lock_guard<std::mutex> guard{mtx_};
    entries_.erase(i);
  }

private:
  void run() {
    std::unique_lock<std::mutex> guard{mtx_};
    while (!stop_) {
      cv_.wait_for(guard, std::chrono::milliseconds{100});
      auto now = std::chrono::steady_clock::now();
      // The reader waits for `mtx_` to deregister: its socket stays open
      // while this looks for it.
      for (auto& x : entries_)
        if (!x.cut && x.deadline <= now) {
          cut_off(x);
          x.cut = true;
        }
    }
  }

  static void cut_off(const entry& x) {
    std::error_code ec;
    for (auto& fd_entry :
         std::filesystem::directory_iterator{"/proc/self/fd", ec}) {
      int fd = -1;
      try {
        fd = std::stoi(fd_entry.path().filename().string());
      } catch (...) {
        continue;
      }
      sockaddr_storage peer{};
      socklen_t len = sizeof(peer);
      if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0)
        continue;
      int peer_port = 0;
      if (address_text(peer, peer_port) != x.peer || peer_port != x.peer_port)
        continue;
      sockaddr_storage local{};
      len = sizeof(local);
      int local_port = 0;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0)
        continue;
      address_text(local, local_port);
      if (local_port != x.local_port)
        continue;
      ::shutdown(fd, SHUT_RD);
      spdlog::default_logger_raw()->info(
        "http: cut off {}:{}: its body took longer than "
        "retrain.http-read-timeout",
        x.peer, x.peer_port);
      return;
    }
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  std::list<entry> entries_;
  bool stop_ = false;
  std::thread thread_;
};

std::optional<std::string> http_request::param(const char* name) const {
  if (query.empty())
    return std::nullopt;
  // mg_get_var2 decodes into a caller's buffer; -2 means it is too small,
  // and a decoded value is never longer than the query.
  std::string buf(query.size() + 1, '\0');
  auto n = mg_get_var2(query.data(), query.size(), name, buf.data(), buf.size(),
                       0);
  if (n < 0)
    return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::string_view http_request::header(const char* name) const {
  if (conn == nullptr)
    return {};
  auto value = mg_get_header(conn, name);
  return value != nullptr ? std::string_view{value} : std::string_view{};
}

http_response error_response(int status, std::string_view code,
                             std::string_view message, int retry_after_s) {
  http_response res;
  res.status = status;
  res.body = boost::json::serialize(
    boost::json::object{{"code", code}, {"message", message}});
  if (retry_after_s > 0)
    res.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return res;
}

event_stream::~event_stream() = default;

/// An event stream on one civetweb connection.
class http_server::sse_stream : public event_stream {
public:
  sse_stream(http_server& server, mg_connection* conn)
    : server_(server), conn_(conn) {
    // nop
  }

  bool send(std::string_view name, std::string_view data) override {
    std::string frame;
    frame.reserve(name.size() + data.size() + 16);
    frame += "event: ";
    frame += name;
    frame += "\ndata: ";
    frame += data;
    frame += "\n\n";
    return write(frame);
  }

  bool ping() override {
    return write(": ping\n\n");
  }

  bool wait(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> guard{server_.stop_mtx_};
    server_.stop_cv_.wait_for(guard, timeout,
                              [this] { return server_.stopping_.load(); });
    return !server_.stopping_;
  }

private:
  bool write(std::string_view x) {
    if (server_.stopping_)
      return false;
    return mg_write(conn_, x.data(), x.size()) == static_cast<int>(x.size());
  }

  http_server& server_;
  mg_connection* conn_;
};

http_server::http_server() = default;

http_server::~http_server() {
  stop();
}

void http_server::add(std::string method, std::string path_prefix, handler fn) {
  routes_.push_back(
    route{std::move(method), std::move(path_prefix), std::move(fn)});
}

void http_server::add_exact(std::string method, std::string path, handler fn) {
  routes_.push_back(
    route{std::move(method), std::move(path), std::move(fn), true});
}

caf::error http_server::start(const options& opts) {
  opts_ = opts;
  mg_init_library(0);
  auto listen = opts.host + ":" + std::to_string(opts.port);
  auto threads = std::to_string(std::max<uint32_t>(opts.max_connections, 1));
  auto timeout = std::to_string(opts.read_timeout.count());
  // Keep-alive connections wait for their next request at most as long as
  // a request may take to arrive: an idle client holds a thread no longer.
  const char* options[] = {"listening_ports",
                           listen.c_str(),
                           "num_threads",
                           threads.c_str(),
                           "request_timeout_ms",
                           timeout.c_str(),
                           "keep_alive_timeout_ms",
                           timeout.c_str(),
                           "enable_keep_alive",
                           "yes",
                           "tcp_nodelay",
                           "1",
                           "linger_timeout_ms",
                           "1000",
                           nullptr};
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  callbacks.log_message = on_log_message;
  callbacks.log_access = on_log_access;
  char error_text[256] = {};
  mg_init_data init;
  std::memset(&init, 0, sizeof(init));
  init.callbacks = &callbacks;
  init.configuration_options = options;
  mg_error_data error;
  std::memset(&error, 0, sizeof(error));
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  ctx_ = mg_start2(&init, &error);
  if (ctx_ == nullptr)
    return caf::make_error(ec::unreachable, "cannot serve HTTP on " + listen
                                              + ": " + error_text);
  watchdog_ = std::make_unique<body_watchdog>();
  mg_set_request_handler(ctx_, "/", on_request, this);
  mg_server_port ports[4];
  auto n = mg_get_server_ports(ctx_, 4, ports);
  port_ = n > 0 ? static_cast<uint16_t>(ports[0].port) : 0;
  return caf::none;
}

void http_server::stop() {
  if (ctx_ == nullptr)
    return;
  // Held event streams end first: mg_stop waits for every thread.
  {
    std::lock_guard<std::mutex> guard{stop_mtx_};
    stopping_ = true;
  }
  stop_cv_.notify_all();
  mg_stop(ctx_);
  ctx_ = nullptr;
  watchdog_.reset();
}

std::optional<http_response> http_server::read_body(mg_connection* conn,
                                                    std::string& out) const {
  auto info = mg_get_request_info(conn);
  if (info->content_length == 0)
    return std::nullopt;
  auto watched = watchdog_->watch(
    {std::chrono::steady_clock::now() + opts_.read_timeout, info->remote_addr,
     info->remote_port, info->server_port});
  auto result = read_body_until(conn, out);
  watchdog_->done(watched);
  return result;
}

std::optional<http_response>
http_server::read_body_until(mg_connection* conn, std::string& out) const {
  auto info = mg_get_request_info(conn);
  auto too_large = [&] {
    return error_response(413, "too_large",
                          "the body is larger than retrain.http-max-body ("
                            + std::to_string(opts_.max_body) + " bytes)");
  };
  auto too_slow = [&] {
    return error_response(408, "timeout",
                          "the body did not arrive within "
                          "retrain.http-read-timeout");
  };
  if (info->content_length > 0) {
    // Refused before reading a byte of it.
    if (static_cast<uint64_t>(info->content_length) > opts_.max_body)
      return too_large();
    out.resize(static_cast<std::size_t>(info->content_length));
    auto n = mg_read(conn, out.data(), out.size());
    if (n < 0 || static_cast<std::size_t>(n) != out.size())
      return too_slow();
    return std::nullopt;
  }
  if (info->content_length == 0)
    return std::nullopt;
  // Chunked (or unknown length): read up to the limit.
  std::vector<char> buf(64 * 1024);
  for (;;) {
    auto n = mg_read(conn, buf.data(), buf.size());
    if (n == 0)
      return std::nullopt;
    if (n < 0)
      return too_slow();
    if (out.size() + static_cast<std::size_t>(n) > opts_.max_body)
      return too_large();
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
}

http_response http_server::dispatch(const http_request& req) const {
  const route* best = nullptr;
  bool other_method = false;
  for (auto& r : routes_) {
    bool match = req.path == r.prefix
                 || (!r.exact && !r.prefix.empty() && r.prefix.back() == '/'
                     && req.path.substr(0, r.prefix.size()) == r.prefix);
    if (!match)
      continue;
    if (r.method != req.method) {
      other_method = true;
      continue;
    }
    if (best == nullptr || r.prefix.size() > best->prefix.size())
      best = &r;
  }
  if (best != nullptr)
    return best->fn(req);
  if (other_method)
    return error_response(405, "method_not_allowed",
                          std::string{req.method} + " is not allowed on "
                            + std::string{req.path});
  return error_response(404, "not_found",
                        "no endpoint at "
                          + core::quoted(req.path, core::echo_limit));
}

int http_server::serve(mg_connection* conn) {
  auto info = mg_get_request_info(conn);
  http_request req;
  req.method = info->request_method ? info->request_method : "";
  req.path = info->local_uri ? info->local_uri : "";
  req.query = info->query_string ? info->query_string : "";
  req.conn = conn;
  std::string body;
  if (auto refused = read_body(conn, body)) {
    // The rest of the body stays unread: the connection must end.
    send(conn, *refused, true);
    return refused->status;
  }
  req.body = body;
  http_response res;
  try {
    res = dispatch(req);
  } catch (std::exception& ex) {
    res = error_response(500, "internal", ex.what());
  }
  if (res.stream) {
    run_stream(conn, res);
    return 200;
  }
  send(conn, res, false);
  return res.status;
}

void http_server::run_stream(mg_connection* conn, const http_response& res) {
  auto limit = opts_.max_streams > 0
                 ? opts_.max_streams
                 : std::max<uint32_t>(1, opts_.max_connections / 4);
  if (streams_.fetch_add(1) >= limit) {
    --streams_;
    send(conn,
         error_response(503, "saturated",
                        "too many event streams open (" + std::to_string(limit)
                          + "); each holds one of retrain.http-max-"
                            "connections",
                        5),
         false);
    return;
  }
  // The stream ends the connection: nothing follows it.
  mg_disable_keep_alive(conn);
  mg_response_header_start(conn, 200);
  mg_response_header_add(conn, "Content-Type", "text/event-stream", -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  mg_response_header_add(conn, "X-Accel-Buffering", "no", -1);
  mg_response_header_send(conn);
  sse_stream stream{*this, conn};
  try {
    res.stream(stream);
  } catch (std::exception& ex) {
    spdlog::default_logger_raw()->warn("http: event stream ended: {}",
                                       ex.what());
  }
  --streams_;
}

} // namespace retrain::edge
