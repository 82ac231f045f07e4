#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace retrain {

/// The protocol version stamped into `middleman.app-identifiers`: nodes and
/// clients with another one refuse to connect.
inline constexpr const char* protocol_version = "retrain.v1";

/// Registers every message type (the type-id block `caf::id_block::retrain`
/// of `retrain/fwd.hpp`) and the `retrain` error category with `cfg`, and sets
/// `middleman.app-identifiers` to `protocol_version`. Every node and client
/// must call it before building its actor system.
void register_messages(caf::actor_system_config& cfg);

} // namespace retrain
