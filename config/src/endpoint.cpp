#include "retrain/endpoint.hpp"

#include <cstdlib>

#include "retrain/config_error.hpp"

namespace retrain {

std::string to_string(const endpoint& x) {
  return x.host + ":" + std::to_string(x.port);
}

caf::expected<endpoint> parse_endpoint(const std::string& str,
                                       const std::string& what) {
  auto colon = str.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == str.size())
    return config_error(what + "='" + str + "' is not HOST:PORT");
  endpoint result;
  result.host = str.substr(0, colon);
  auto port = str.substr(colon + 1);
  char* end = nullptr;
  auto value = std::strtol(port.c_str(), &end, 10);
  if (*end != '\0' || value < 1 || value > 65535)
    return config_error(what + "='" + str
                        + "': port must be within [1, 65535]");
  result.port = static_cast<uint16_t>(value);
  return result;
}

} // namespace retrain
