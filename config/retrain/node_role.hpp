#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace retrain {

/// Which actors a node runs.
enum class node_role : uint8_t {
  /// Every actor in one process: the embedded default.
  all,
  /// Dispatcher and registry.
  coordinator,
  /// Ingest, supervisor and monitors.
  monitor,
  /// Retrain workers.
  worker,
};

/// Returns `all`, `coordinator`, `monitor` or `worker`.
std::string to_string(node_role x);

/// Parses a role from its name; nothing for any other text.
std::optional<node_role> parse_node_role(std::string_view str) noexcept;

} // namespace retrain
