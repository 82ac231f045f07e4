#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace retrain {

/// A `HOST:PORT` pair.
struct endpoint {
  std::string host;
  uint16_t port = 0;
};

/// Returns whether both have the same host and port.
inline bool operator==(const endpoint& x, const endpoint& y) {
  return x.host == y.host && x.port == y.port;
}

/// Returns `HOST:PORT`.
std::string to_string(const endpoint& x);

/// Parses `HOST:PORT` with a port within [1, 65535]; `what` names the option
/// in errors (`ec::invalid_config`).
caf::expected<endpoint> parse_endpoint(const std::string& str,
                                       const std::string& what);

/// One `HOST:PORT` or several, comma-separated (`A:4243,B:4243`): the
/// coordinators of a failover group. The first is the endpoint itself, so
/// code that wants one address keeps working; `more` holds the others.
struct endpoint_list : endpoint {
  /// The endpoints after the first, in order.
  std::vector<endpoint> more;

  /// Every endpoint, the first one first.
  std::vector<endpoint> all() const;
};

/// Returns whether both list the same endpoints in the same order.
inline bool operator==(const endpoint_list& x, const endpoint_list& y) {
  return static_cast<const endpoint&>(x) == static_cast<const endpoint&>(y)
         && x.more == y.more;
}

/// Returns `HOST:PORT[,HOST:PORT...]`.
std::string to_string(const endpoint_list& x);

/// Parses one or more comma-separated `HOST:PORT` (spaces around each are
/// ignored), each with a port within [1, 65535] and none twice; `what`
/// names the option in errors (`ec::invalid_config`).
caf::expected<endpoint_list> parse_endpoint_list(const std::string& str,
                                                 const std::string& what);

} // namespace retrain
