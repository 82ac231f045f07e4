#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "retrain/core/coordinator_lease.hpp"
#include "retrain/database.hpp"
#include "retrain/job_config.hpp"
#include "retrain/messages.hpp"
#include "retrain/write_fence.hpp"

namespace retrain {

/// What a lease keeper needs besides its database.
struct lease_keeper_config {
  /// Who this coordinator is in the lease row: `host:port pid N`.
  std::string holder;
  core::lease_timing timing;
  /// What the coordinator it spawns on a takeover gets (see
  /// `spawn_coordinator`).
  job_config job;
  std::chrono::milliseconds request_timeout{10000};
  news_actor news;
};

/// State of the lease keeper of a coordinator node on a shared PostgreSQL
/// registry: it holds, renews, takes over and releases the one lease row
/// (`coordinator_lease`), on a connection of its own.
///
/// ```
///  standby --lease free, expired or holder's session gone: take it,
///     ^      raise the epoch, spawn the coordinator--> holding
///     |                                                  |
///     +-- renewal finds another holder or epoch, --------+
///         the gate stepped down (cool-off: one timeout),
///         SIGTERM (released)
/// ```
/// A standby looks every `poll_interval`, the holder renews every
/// `renew_interval`; the database's clock judges the lease's age. A
/// takeover runs under the write lock of every store
/// (`pg_advisory_xact_lock`), so no write of the old holder is half done
/// when the epoch changes; a session that holds that lock past
/// `lock_timeout` (an old holder stopped inside a transaction) is ended
/// with `pg_terminate_backend` once the lease expired.
struct lease_keeper_state {
  static inline const char* name = "lease_keeper";

  std::unique_ptr<database> db;
  lease_keeper_config cfg;
  std::shared_ptr<write_fence> fence;
  caf::actor gate;
  /// The epoch held, or 0.
  int64_t epoch = 0;
  /// Whether renewals fail (logged once per episode).
  bool renew_failing = false;
  /// Whether reading the lease fails (logged once per episode).
  bool read_failing = false;
  /// Whether the node stops: no more takeovers.
  bool stopping = false;
  /// Holder and epoch the last standby log line named.
  std::string seen;
  /// No takeover before this (after stepping down).
  std::chrono::steady_clock::time_point campaign_after{};
};

/// Spawn it `detached` (it blocks on the database) with its own
/// connection `db` to the registry database (schema in place) and the
/// node's `gate`; it starts as a standby and looks at the lease at once.
/// It tells the gate `(atom::linkup, dispatcher, registry, epoch,
/// sent_ns)` after a takeover, `(atom::lease, epoch, sent_ns)` after each
/// renewal and `(atom::standby, why)` when the lease is lost; the gate
/// tells it `(atom::standby)` when it stepped down. A stopping node asks
/// `(atom::drain)`: it releases the lease (a standby takes over at its
/// next look) and answers 0.
caf::behavior lease_keeper(caf::stateful_actor<lease_keeper_state>* self,
                           std::unique_ptr<database> db,
                           lease_keeper_config cfg,
                           std::shared_ptr<write_fence> fence, caf::actor gate);

} // namespace retrain
