#include "retrain/exposure.hpp"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>

namespace retrain {

bool is_loopback_host(std::string_view host) {
  auto lower = std::string{host};
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "localhost")
    return true;
  // inet_pton takes only the full forms: `127.1` or `0x7f.0.0.1`, which a
  // resolver would also take, count as reachable (refused, never let in).
  in_addr v4{};
  if (inet_pton(AF_INET, lower.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, lower.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6))
      return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

bool is_wildcard_host(std::string_view host) {
  if (host.empty())
    return true;
  auto text = std::string{host};
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1)
    return v4.s_addr == INADDR_ANY;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1)
    return IN6_IS_ADDR_UNSPECIFIED(&v6)
           || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 0
               && v6.s6_addr[13] == 0 && v6.s6_addr[14] == 0
               && v6.s6_addr[15] == 0);
  return false;
}

std::string plaintext_exposure(const node_settings& s, bool mutual_tls) {
  if (mutual_tls || is_loopback_host(s.host))
    return {};
  auto port = [](const char* what, uint16_t p) {
    return std::string{what}
           + (p == 0 ? " (a free port)" : " " + std::to_string(p));
  };
  std::string ports;
  switch (s.role) {
    case node_role::all:
      ports = port("the ingest port", s.ingest_port) + " and "
              + port("the coordinator port", s.coordinator_port);
      break;
    case node_role::coordinator:
      ports = port("the coordinator port", s.coordinator_port);
      break;
    case node_role::monitor:
      ports = port("the ingest port", s.ingest_port);
      break;
    case node_role::worker:
      // It connects to its coordinator and binds nothing: the coordinator's
      // own rule decides whether that link may be plaintext.
      return {};
  }
  return "retrain.host=\"" + s.host + "\" opens " + ports
         + " beyond this machine without mutual TLS";
}

const char* const plaintext_advice
  = "CAF's binary protocol has no payload limit: one message header from "
    "anyone who reaches the port can make the node allocate gigabytes. Set "
    "openssl.certificate, openssl.key and openssl.cafile (mutual TLS with a "
    "private CA), bind to 127.0.0.1, or, inside a trusted network, set "
    "retrain.allow-plaintext (--retrain.allow-plaintext, or "
    "allow-plaintext=true in the [retrain] section of the config file). "
    "Producers outside the cluster belong on the "
    "HTTP port (retrain.http-port)";

} // namespace retrain
