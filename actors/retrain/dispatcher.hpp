#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "retrain/core/backoff.hpp"
#include "retrain/core/duration_histogram.hpp"
#include "retrain/core/policy.hpp"
#include "retrain/core/semver.hpp"
#include "retrain/core/storage_health.hpp"
#include "retrain/job_config.hpp"
#include "retrain/job_record.hpp"
#include "retrain/job_store.hpp"
#include "retrain/messages.hpp"
#include "retrain/policy_store.hpp"
#include "retrain/shard_allocator.hpp"

namespace retrain {

/// A job that is queued or running.
struct active_job {
  /// The job as the database holds it: it changes only once a write went
  /// through.
  job_record record;
  /// Whether its success is being registered (or written) right now.
  bool registering = false;
  /// Whether a retry timer is pending (queued but not ready).
  bool waiting_retry = false;
};

/// A trigger waiting for the next group commit, and who waits for its ack.
struct pending_trigger {
  retrain_trigger trigger;
  caf::typed_response_promise<trigger_ack> promise;
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
/// Every transition is written to the store before anything else changes:
/// the job in memory, the workers, the news to monitor nodes and the
/// acknowledgements of triggers. A write the database refuses (a full
/// disk, a read-only file) leaves all of that as it was; the transition is
/// tried again with backoff (`deferred`), triggers stay unacknowledged in
/// their monitor nodes' outboxes, and `status` shows the storage degraded.
/// Triggers that arrive together are stored in one transaction.
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
  /// The highest version per line that monitor nodes know (from their
  /// triggers and resyncs), which a registry that lost its history may not.
  std::unordered_map<std::string, core::semver> floor;
  std::map<caf::actor_addr, worker_slot> workers;
  std::vector<job_news_actor> subscribers;
  /// The retrain version of this coordinator's node, once it said hello.
  std::string version;
  /// The node and version each linked node's link said hello with, by the
  /// link's address (dropped when the link goes down).
  std::map<caf::actor_addr, std::pair<std::string, std::string>> node_versions;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  /// Since the start: attempts handed out, refused writes, durations of
  /// ended jobs (for `/metrics`).
  uint64_t attempts = 0;
  uint64_t storage_errors = 0;
  core::duration_histogram durations;
  /// Triggers for the next group commit, in arrival order.
  std::vector<pending_trigger> incoming;
  /// Whether an `atom::store` is on its way.
  bool store_scheduled = false;
  /// Whether writes go through.
  core::storage_health health;
  /// Transitions the database refused, oldest first; each returns whether
  /// it went through this time.
  std::deque<std::function<bool()>> deferred;
  /// Whether an `atom::recover` is on its way.
  bool recover_scheduled = false;
  /// The identity of the registry database.
  std::string identity;
  /// Who hears of drifts, job transitions and versions (the webhook
  /// sender), or none.
  news_actor news;

  /// The policies table (none when it cannot be read), every change in it
  /// by epoch, and the policies in force.
  std::unique_ptr<policy_store> policies;
  std::vector<policy_record> policy_log;
  core::policy_book book;

  /// Gives shards to monitor nodes; spawned (linked) when the first
  /// member joins or `retrain-ctl shards` asks.
  shard_allocator_actor shards;

  /// Triggers stored per transaction at most.
  static constexpr size_t max_group = 1000;

  /// The latest version of `line` the coordinator knows: registered, or
  /// known to a monitor node.
  std::optional<core::semver> latest_of(const std::string& line) const;
};

/// The dispatcher as it addresses itself: its interface plus its timers
/// and notes to itself, which no other actor can send.
using dispatcher_self_actor = dispatcher_actor::extend<
  /// Timer: a job's retry delay is over.
  caf::reacts_to<atom::retry, uint64_t>,
  /// To itself: store the triggers that came meanwhile, in one transaction.
  caf::reacts_to<atom::store>,
  /// Timer: try again what the database refused.
  caf::reacts_to<atom::recover>>;

/// Spawns work on enlisted workers. `store` holds the jobs; versions are
/// registered through `registry`; `news`, when set, hears of each drift,
/// job transition and version once, fire-and-forget. The policies table
/// is fenced as `store` is (`job_store::fence`). Spawn it `detached`:
/// it writes to SQLite on every transition.
dispatcher_self_actor::behavior_type
dispatcher(dispatcher_self_actor::stateful_pointer<dispatcher_state> self,
           std::unique_ptr<job_store> store, registry_actor registry,
           job_config config, std::chrono::milliseconds timeout,
           news_actor news);

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
/// `news`, when set, hears what the dispatcher did (see `dispatcher`).
/// With a `fence` (a coordinator that holds the lease of a PostgreSQL
/// registry), every write of both is fenced by it.
caf::expected<coordinator_actors>
spawn_coordinator(caf::actor_system& sys, job_config config,
                  std::chrono::milliseconds timeout, news_actor news = {},
                  std::shared_ptr<write_fence> fence = nullptr);

} // namespace retrain
