#pragma once

#include <cstdint>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// A node's link to its coordinator as it stands: what `/readyz` asks a
/// monitor node (coordinator reachable?) and what `/metrics` shows.
struct link_status {
  /// Whether the coordinator is linked right now.
  bool connected = false;
  /// Triggers in the outbox, not yet acknowledged by the coordinator.
  uint64_t held_triggers = 0;
  /// Results of the node's workers the coordinator has not taken yet.
  uint64_t held_reports = 0;
};

/// @relates link_status
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, link_status& x) {
  return f(caf::meta::type_name("link_status"), x.connected, x.held_triggers,
           x.held_reports);
}

} // namespace retrain
