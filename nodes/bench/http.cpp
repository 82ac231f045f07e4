// retrain-bench http: the seed recipe's events as JSON batches through
// POST /v1/events of a running node, from C clients on keep-alive
// connections.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/run.hpp"
#include "bench/seed_recipe.hpp"
#include "retrain/core/number.hpp"
#include "retrain/ec.hpp"

namespace retrain::bench {

namespace {

/// Bodies built before the clock starts, at most; batches cycle through
/// them (monitors see the same values again, which costs them the same).
constexpr uint64_t max_bodies = 256;

constexpr const char* recipe_kind_names[]
  = {"accuracy", "f1_score", "precision", "recall", "latency_ms"};

struct target {
  std::string host;
  std::string port;
};

caf::expected<target> parse_url(const std::string& url) {
  std::string_view rest = url;
  if (rest.substr(0, 7) != "http://")
    return caf::make_error(ec::invalid_config,
                           "--url must be http://HOST:PORT, got '" + url + "'");
  rest.remove_prefix(7);
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0
      || !core::parse_whole(rest.substr(colon + 1), 65535))
    return caf::make_error(ec::invalid_config,
                           "--url must be http://HOST:PORT, got '" + url + "'");
  return target{std::string{rest.substr(0, colon)},
                std::string{rest.substr(colon + 1)}};
}

// The JSON array of events [first, first + count) of the recipe.
std::string make_body(const options& opt, uint64_t first, uint64_t count) {
  std::string body = "[";
  char buf[160];
  for (uint64_t i = 0; i < count; ++i) {
    auto e = seed_recipe::event(first + i, opt.models, opt.kinds, opt.events);
    auto n = std::snprintf(
      buf, sizeof(buf),
      "%s{\"model\":\"proj:model-%llu:1.0.0\",\"kind\":\"%s\",\"value\":%.17g}",
      i == 0 ? "" : ",", static_cast<unsigned long long>(e.model),
      recipe_kind_names[e.kind], e.value);
    body.append(buf, static_cast<std::size_t>(n));
  }
  body += ']';
  return body;
}

int connect_to(const target& t) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(t.host.c_str(), t.port.c_str(), &hints, &res) != 0)
    return -1;
  int fd = -1;
  for (auto p = res; p != nullptr; p = p->ai_next) {
    fd = ::socket(p->ai_family, p->ai_socktype, p->ai_protocol);
    if (fd < 0)
      continue;
    if (::connect(fd, p->ai_addr, p->ai_addrlen) == 0)
      break;
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    auto n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

/// One answer: status, `Retry-After` and the body.
struct answer {
  int status = 0;
  int retry_after = 0;
  std::string body;
};

// Reads one response with a Content-Length; false when the connection
// broke.
bool read_answer(int fd, std::string& buf, answer& out) {
  std::size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    char tmp[16384];
    auto n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0)
      return false;
    buf.append(tmp, static_cast<std::size_t>(n));
  }
  auto head = buf.substr(0, end);
  out.status = std::atoi(head.c_str() + head.find(' ') + 1);
  auto header = [&](const char* name) -> long {
    auto i = head.find(name);
    return i == std::string::npos
             ? 0
             : std::atol(head.c_str() + i + std::strlen(name));
  };
  auto length = static_cast<std::size_t>(header("Content-Length: "));
  out.retry_after = static_cast<int>(header("Retry-After: "));
  while (buf.size() < end + 4 + length) {
    char tmp[16384];
    auto n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0)
      return false;
    buf.append(tmp, static_cast<std::size_t>(n));
  }
  out.body = buf.substr(end + 4, length);
  buf.erase(0, end + 4 + length);
  return true;
}

uint64_t number_after(const std::string& body, const char* key) {
  auto i = body.find(key);
  return i == std::string::npos
           ? 0
           : std::strtoull(body.c_str() + i + std::strlen(key), nullptr, 10);
}

struct totals {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<bool> failed{false};
  std::string error;
};

// Client `k` of `clients`: sends batches k, k + clients, ... over one
// connection.
void run_client(const target& t, const std::vector<std::string>& requests,
                uint64_t batches, uint64_t k, uint64_t clients, totals& out) {
  auto fd = connect_to(t);
  if (fd < 0) {
    if (!out.failed.exchange(true))
      out.error = "cannot connect to " + t.host + ":" + t.port;
    return;
  }
  std::string buf;
  answer res;
  for (uint64_t b = k; b < batches && !out.failed; b += clients) {
    auto& req = requests[b % requests.size()];
    for (;;) {
      if (!send_all(fd, req.data(), req.size()) || !read_answer(fd, buf, res)) {
        if (!out.failed.exchange(true))
          out.error = "the connection broke";
        break;
      }
      if (res.status != 503)
        break;
      ++out.retries;
      std::this_thread::sleep_for(
        std::chrono::milliseconds{std::max(res.retry_after, 1) * 100});
    }
    if (out.failed)
      break;
    if (res.status != 200) {
      if (!out.failed.exchange(true))
        out.error = "HTTP " + std::to_string(res.status) + ": " + res.body;
      break;
    }
    out.accepted += number_after(res.body, "\"accepted\":");
    out.rejected += number_after(res.body, "\"rejected\":");
  }
  ::close(fd);
}

} // namespace

caf::error run_http(const options& opt) {
  auto t = parse_url(opt.url);
  if (!t)
    return t.error();
  auto batches = (opt.events + opt.batch - 1) / opt.batch;
  // Whole requests, headers and body, built before the clock starts.
  std::vector<std::string> requests;
  for (uint64_t b = 0; b < std::min(batches, max_bodies); ++b) {
    auto first = b * opt.batch;
    auto body = make_body(opt, first, std::min(opt.batch, opt.events - first));
    requests.push_back("POST /v1/events HTTP/1.1\r\nHost: " + t->host
                       + "\r\nContent-Type: application/json\r\n"
                         "Content-Length: "
                       + std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  // The last batch may be short: with more batches than bodies, every one
  // is full (the recipe's events are cycled).
  uint64_t events = batches <= max_bodies ? opt.events : batches * opt.batch;
  totals out;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (uint64_t k = 0; k < opt.clients; ++k)
    threads.emplace_back(run_client, std::cref(*t), std::cref(requests),
                         batches, k, opt.clients, std::ref(out));
  for (auto& th : threads)
    th.join();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  if (out.failed)
    return caf::make_error(ec::unreachable, out.error);
  std::fprintf(stderr,
               "detail: bodies=%zu body_bytes=%zu accepted=%llu "
               "rejected=%llu retries=%llu\n",
               requests.size(), requests.front().size(),
               static_cast<unsigned long long>(out.accepted.load()),
               static_cast<unsigned long long>(out.rejected.load()),
               static_cast<unsigned long long>(out.retries.load()));
  std::printf("events=%llu models=%llu seconds=%.3f events_per_sec=%.0f "
              "clients=%llu batch=%llu\n",
              static_cast<unsigned long long>(events),
              static_cast<unsigned long long>(opt.models), took.count(),
              static_cast<double>(events) / took.count(),
              static_cast<unsigned long long>(opt.clients),
              static_cast<unsigned long long>(opt.batch));
  std::fflush(stdout);
  return caf::none;
}

} // namespace retrain::bench
