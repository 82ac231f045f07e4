#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "retrain/core/coordinator_lease.hpp"
#include "retrain/messages.hpp"
#include "retrain/write_fence.hpp"

namespace retrain {

/// State of the gate: what a coordinator node on a shared PostgreSQL
/// registry publishes on `retrain.coordinator-port` in place of its
/// dispatcher, so that one published actor stays valid while the node
/// turns from standby to active and back.
///
/// ```
///  standby --lease taken (keeper: linkup)--> active
///     ^                                         |
///     +-- lease lost (keeper), not renewed -----+
///         within the self-fence time, a write
///         fenced, the dispatcher stopped, SIGTERM
/// ```
/// Active, it forwards every message to the dispatcher (the sender and
/// the request stay the original ones, so answers go straight back);
/// standby, it answers every request with `ec::standby` and drops the
/// rest. On stepping down it refuses every write at once (the fence),
/// stops the dispatcher and the registry, and tells every node link that
/// said hello to look for the active coordinator.
struct coordinator_gate_state {
  static inline const char* name = "coordinator_gate";

  /// The lease timings (the self-fence time).
  core::lease_timing timing;
  /// Shared with the keeper and the stores of the active coordinator.
  std::shared_ptr<write_fence> fence;
  /// The lease keeper, once it introduced itself.
  caf::actor keeper;
  /// The retrain version of this node, told every new dispatcher.
  std::string version;
  /// The active coordinator's actors; null while standby.
  dispatcher_actor dispatcher;
  registry_actor registry;
  /// The epoch of the lease while active, else 0.
  uint64_t epoch = 0;
  /// When the active coordinator must stop acting unless a renewal comes.
  std::chrono::steady_clock::time_point stop_at;
  /// The links of nodes that said hello while active, told when it steps
  /// down.
  std::map<caf::actor_addr, caf::actor> links;
};

/// Spawns nothing itself: the keeper (`lease_keeper`) spawns the
/// coordinator once it holds the lease and hands it over with
/// `(atom::linkup, dispatcher_actor, registry_actor, uint64_t epoch,
/// int64_t sent_ns)`; `(atom::lease, uint64_t epoch, int64_t sent_ns)`
/// says a renewal sent at `sent_ns` (steady clock) went through;
/// `(atom::standby, std::string why)` that the lease is lost. A node
/// stopping asks `(atom::drain)` (answer: 0) to step down. Publish it as a
/// `dispatcher_actor` (`caf::actor_cast`): it takes that whole interface.
caf::behavior
coordinator_gate(caf::stateful_actor<coordinator_gate_state>* self,
                 core::lease_timing timing, std::shared_ptr<write_fence> fence,
                 std::string version);

/// How often the gate checks the self-fence time and the fence.
inline constexpr std::chrono::milliseconds gate_tick{50};

} // namespace retrain
