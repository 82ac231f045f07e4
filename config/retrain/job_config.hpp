#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "retrain/core/policy.hpp"
#include "retrain/defaults.hpp"

namespace retrain {

/// How jobs run: `retrain.job.*` and `retrain.data-dir`.
struct job_config {
  /// argv template; placeholders {model} {project} {name} {version}
  /// {next_version} {job_id}. Empty: the simulated trainer.
  std::vector<std::string> command;
  /// How long the simulated trainer sleeps.
  std::chrono::milliseconds simulated_duration
    = defaults::job::simulated_duration;
  /// Wall-time limit of one attempt; the whole process group is killed then.
  std::chrono::milliseconds timeout = defaults::job::timeout;
  /// Attempts before a job is marked failed.
  uint32_t max_attempts = defaults::job::max_attempts;
  /// Base of the retry backoff: base * 2^(attempt-1), with jitter.
  std::chrono::milliseconds retry_delay = defaults::job::retry_delay;
  /// Cap of the retry backoff.
  std::chrono::milliseconds retry_cap = defaults::job::retry_cap;
  /// Where job logs go: `<data_dir>/jobs/`.
  std::string data_dir;
  /// `retrain.registry.url`: the coordinator's database, a PostgreSQL URL
  /// (`postgresql://user:password@host:port/dbname`); empty: SQLite,
  /// `<data_dir>/registry.db`.
  std::string registry_url;
  /// `retrain.registry.lease-timeout`: with several coordinators on one
  /// PostgreSQL registry, the age of the active one's lease after which a
  /// standby takes over.
  std::chrono::milliseconds lease_timeout = defaults::job::lease_timeout;
  /// `retrain.cluster.shards`: the coordinator spreads this many shards
  /// of model lines over the monitor nodes.
  uint32_t shards = defaults::cluster::shards;

  /// Returns what is wrong (`ec::invalid_config`, naming the key and the
  /// allowed range), or nothing.
  caf::error validate() const;

  /// Sets what a policy may override of jobs (max-attempts, timeout,
  /// command) in `base` from this configuration.
  void fill(core::policy_base& base) const;
};

} // namespace retrain
