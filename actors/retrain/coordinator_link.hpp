#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <random>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "retrain/core/backoff.hpp"
#include "retrain/messages.hpp"

namespace retrain {

/// State of a monitor or worker node's link to its coordinator.
///
/// ```
///  connecting --ok--> connected --coordinator lost--> connecting
///      ^  |                                         (after a backoff)
///      +--+ refused or unreachable: retry with backoff, forever
/// ```
/// On every (re)connection it hands the coordinator to the local
/// supervisor and enlists the local workers again, so start order does not
/// matter and a restarted coordinator gets its cluster back by itself.
struct coordinator_link_state {
  static inline const char* name = "coordinator_link";

  std::string host;
  uint16_t port = 0;
  std::chrono::milliseconds timeout{10000};
  core::backoff retry{std::chrono::milliseconds{250}, std::chrono::seconds{5},
                      0.2};
  std::minstd_rand rng{std::random_device{}()};
  uint32_t attempts = 0;
  dispatcher_actor coordinator;
  supervisor_actor supervisor;
  std::vector<retrain_worker_actor> workers;
};

/// Spawns the link; `supervisor` may be null (worker nodes), `workers` empty
/// (monitor nodes).
caf::behavior
coordinator_link(caf::stateful_actor<coordinator_link_state>* self,
                 std::string host, uint16_t port,
                 std::chrono::milliseconds timeout, supervisor_actor supervisor,
                 std::vector<retrain_worker_actor> workers);

} // namespace retrain
