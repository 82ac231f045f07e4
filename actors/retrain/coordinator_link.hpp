#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "retrain/core/backoff.hpp"
#include "retrain/messages.hpp"
#include "retrain/trigger_outbox.hpp"

namespace retrain {

/// Where a link finds its coordinator: in this process (`local`, role
/// `all`), else at `host:port`.
struct coordinator_location {
  /// The coordinator of this process, if it runs here.
  coordinator_actor local;
  std::string host;
  uint16_t port = 0;
};

/// State of a node's link to its coordinator: everything a node says to
/// the coordinator and hears from it goes through here.
///
/// ```
///  connecting --ok--> connected --coordinator lost--> connecting
///      ^  |                                         (after a backoff)
///      +--+ refused or unreachable: retry with backoff, forever
/// ```
/// On every (re)connection it enlists the node's workers, subscribes to job
/// news for its subscriber (the supervisor of a monitor node) and resyncs
/// the lines that subscriber holds busy, and delivers the triggers held
/// meanwhile; so start order does not matter and a restarted coordinator
/// gets its cluster back by itself. With the coordinator in this process
/// (role `all`) it starts connected and has nothing to reconnect to.
struct coordinator_link_state {
  static inline const char* name = "coordinator_link";

  coordinator_location where;
  std::chrono::milliseconds timeout{10000};
  core::backoff retry{std::chrono::milliseconds{250}, std::chrono::seconds{5},
                      0.2};
  std::minstd_rand rng{std::random_device{}()};
  uint32_t attempts = 0;
  /// The coordinator while it is reachable, else null.
  coordinator_actor coordinator;
  /// Enlisted on every (re)connection.
  std::vector<retrain_worker_actor> workers;
  /// Gets line news: the supervisor (none on worker nodes). A weak
  /// reference: the supervisor holds the link, not the other way round, so
  /// neither keeps the other alive.
  caf::actor_addr subscriber;
  /// Triggers held while the coordinator is unreachable.
  trigger_outbox outbox;
  /// Lines the coordinator last called busy: those it no longer calls busy
  /// after a reconnect went idle meanwhile.
  std::unordered_set<std::string> busy_lines;
};

/// The link as it addresses itself: its interface plus what it tells
/// itself, which no other actor can send.
using coordinator_link_self_actor = coordinator_link_actor::extend<
  /// Timer: try reaching the coordinator again.
  caf::reacts_to<atom::reconnect>,
  /// The coordinator, reached (or reached again): in this process at once,
  /// else when the middleman connected.
  caf::reacts_to<atom::linkup, coordinator_actor>>;

/// Spawns the link to the coordinator at `where`; `workers` may be empty
/// (monitor nodes). `timeout` bounds connecting and subscribing.
coordinator_link_self_actor::behavior_type coordinator_link(
  coordinator_link_self_actor::stateful_pointer<coordinator_link_state> self,
  coordinator_location where, std::chrono::milliseconds timeout,
  std::vector<retrain_worker_actor> workers);

} // namespace retrain
