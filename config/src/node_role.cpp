#include "retrain/node_role.hpp"

namespace retrain {

std::string to_string(node_role x) {
  switch (x) {
    case node_role::all:
      return "all";
    case node_role::coordinator:
      return "coordinator";
    case node_role::monitor:
      return "monitor";
    case node_role::worker:
      return "worker";
  }
  return "<invalid>";
}

std::optional<node_role> parse_node_role(std::string_view str) noexcept {
  for (auto x : {node_role::all, node_role::coordinator, node_role::monitor,
                 node_role::worker})
    if (str == to_string(x))
      return x;
  return std::nullopt;
}

} // namespace retrain
