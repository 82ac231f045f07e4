#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "retrain/core/backoff.hpp"
#include "retrain/job_config.hpp"
#include "retrain/job_record.hpp"
#include "retrain/job_store.hpp"
#include "retrain/messages.hpp"

namespace retrain {

/// A job that is queued or running.
struct active_job {
  job_record record;
  /// Whether its success is being registered right now.
  bool registering = false;
  /// Whether a retry timer is pending (queued but not ready).
  bool waiting_retry = false;
};

/// One enlisted worker.
struct worker_slot {
  retrain_worker_actor handle;
  /// The job it runs, or 0.
  uint64_t job_id = 0;
};

/// State of the dispatcher.
///
/// Jobs per model line:
/// ```
///  trigger --(line idle, not superseded)--> queued --(idle worker)--> running
///     |                                       ^   ^                     |
///     +--(line has a job)--> merged           |   +--(worker lost)------+
///                                             +--(failed, retry delay)--+
///  running --(success)--> registering --> succeeded     (attempts left)
///  running --(failure, no attempts left)--> failed
/// ```
/// Every transition is written to the store before it is announced.
struct dispatcher_state {
  static inline const char* name = "dispatcher";

  /// The jobs table; this actor is its only writer.
  std::unique_ptr<job_store> store;
  registry_actor registry;
  job_config config;
  std::chrono::milliseconds timeout{10000};
  core::backoff retry_backoff{std::chrono::seconds{30},
                              std::chrono::minutes{30}};
  std::minstd_rand rng{std::random_device{}()};
  std::map<uint64_t, active_job> jobs;
  /// Active job id per model line.
  std::unordered_map<std::string, uint64_t> by_line;
  /// Jobs ready to run, oldest first.
  std::deque<uint64_t> ready;
  /// Latest registered version per line.
  std::unordered_map<std::string, std::string> latest;
  std::map<caf::actor_addr, worker_slot> workers;
  std::vector<job_news_actor> subscribers;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
};

/// The dispatcher as it addresses itself: its interface plus its retry
/// timer, which no other actor can send.
using dispatcher_self_actor = dispatcher_actor::extend<
  /// Timer: a job's retry delay is over.
  caf::reacts_to<atom::retry, uint64_t>>;

/// Spawns work on enlisted workers. `store` holds the jobs table; versions
/// are registered through `registry`. Spawn it `detached`: it writes to
/// SQLite on every transition.
dispatcher_self_actor::behavior_type
dispatcher(dispatcher_self_actor::stateful_pointer<dispatcher_state> self,
           std::unique_ptr<job_store> store, registry_actor registry,
           job_config config, std::chrono::milliseconds timeout);

/// The actors of a coordinator.
struct coordinator_actors {
  registry_actor registry;
  dispatcher_actor dispatcher;
};

/// Opens the registry database in `config.data_dir` twice and spawns the
/// registry (on a version store) and the dispatcher (on a job store), each
/// detached with its own SQLite connection, so that disk waits never stall
/// the scheduler. `timeout` bounds the dispatcher's requests. Fails with
/// the store's error (e.g. `ec::storage_failure`) and spawns nothing.
caf::expected<coordinator_actors>
spawn_coordinator(caf::actor_system& sys, job_config config,
                  std::chrono::milliseconds timeout);

} // namespace retrain
