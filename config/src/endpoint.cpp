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

std::vector<endpoint> endpoint_list::all() const {
  std::vector<endpoint> result{static_cast<const endpoint&>(*this)};
  result.insert(result.end(), more.begin(), more.end());
  return result;
}

std::string to_string(const endpoint_list& x) {
  std::string result;
  for (auto& ep : x.all())
    result += (result.empty() ? "" : ",") + to_string(ep);
  return result;
}

caf::expected<endpoint_list> parse_endpoint_list(const std::string& str,
                                                 const std::string& what) {
  std::vector<endpoint> items;
  size_t start = 0;
  for (;;) {
    auto comma = str.find(',', start);
    auto item = str.substr(start, comma == std::string::npos ? std::string::npos
                                                             : comma - start);
    auto first = item.find_first_not_of(' ');
    auto last = item.find_last_not_of(' ');
    item = first == std::string::npos ? ""
                                      : item.substr(first, last - first + 1);
    auto ep = parse_endpoint(item, what);
    if (!ep)
      return config_error(what + "=" + detail::quote(str)
                          + " is not HOST:PORT or a comma-separated list of "
                            "them (ports within [1, 65535])");
    for (auto& x : items)
      if (x == *ep)
        return config_error(what + "=" + detail::quote(str) + " names "
                            + to_string(*ep) + " twice");
    items.push_back(std::move(*ep));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  endpoint_list result;
  static_cast<endpoint&>(result) = items.front();
  result.more.assign(items.begin() + 1, items.end());
  return result;
}

} // namespace retrain
