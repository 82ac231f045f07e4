#pragma once

#include <cstdint>
#include <string>

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

} // namespace retrain
