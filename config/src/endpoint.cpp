#include "retrain/endpoint.hpp"

#include <string_view>

#include "retrain/config_error.hpp"
#include "retrain/core/number.hpp"
#include "scalar_text.hpp"

namespace retrain {

std::string to_string(const endpoint& x) {
  return x.host + ":" + std::to_string(x.port);
}

caf::expected<endpoint> parse_endpoint(const std::string& str,
                                       const std::string& what) {
  auto colon = str.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == str.size())
    return config_error(what + "=" + detail::quote(str) + " is not HOST:PORT");
  endpoint result;
  result.host = str.substr(0, colon);
  auto port = core::parse_whole(std::string_view{str}.substr(colon + 1), 65535);
  if (!port || *port == 0)
    return config_error(what + "=" + detail::quote(str)
                        + ": port must be within [1, 65535]");
  result.port = static_cast<uint16_t>(*port);
  return result;
}

} // namespace retrain
