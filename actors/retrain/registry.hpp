#pragma once

#include <memory>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "retrain/messages.hpp"
#include "retrain/version_store.hpp"

namespace retrain {

/// State of the registry: the one writer of model versions.
struct registry_state {
  static inline const char* name = "registry";

  /// The versions table; this actor is its only writer.
  std::unique_ptr<version_store> store;
};

/// The registry: records the version of each succeeded job, one at a time
/// (its mailbox serializes the bumps), and lists the versions of a line.
/// Every handler blocks on SQLite: spawn it with
/// `sys.spawn<caf::detached>(registry, std::move(store))`.
/// Quits with `ec::storage_failure` when `store` is null.
registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self,
         std::unique_ptr<version_store> store);

} // namespace retrain
