#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/database.hpp"
#include "retrain/job_record.hpp"

namespace retrain {

/// The retrain jobs: the `jobs` table of the registry database, on a
/// connection of its own. The dispatcher owns one.
///
/// Blocks on I/O like its `database`; failures come back as
/// `ec::storage_failure` errors naming the database, and change
/// nothing, so the caller may keep its memory as it was and retry.
class job_store {
public:
  /// Opens the registry database: SQLite in `data_dir`, or PostgreSQL at
  /// `url` (see `open_registry_db`), its writes fenced by `fence` if set.
  static caf::expected<std::unique_ptr<job_store>>
  open(const std::string& data_dir, const std::string& url = {},
       std::shared_ptr<write_fence> fence = nullptr);

  /// Builds the store on `db`, which must hold the registry schema.
  static caf::expected<std::unique_ptr<job_store>>
  make(std::unique_ptr<database> db);

  /// Where the database is: its file, or its URL without the password.
  const std::string& path() const noexcept {
    return db_->path();
  }

  /// The fence of its writes (a coordinator on a shared PostgreSQL
  /// registry), or null; the other stores of its coordinator use it too.
  const std::shared_ptr<write_fence>& fence() const noexcept {
    return db_->fence();
  }

  /// Inserts `job` (ignoring its `id`) and returns the id the database gave
  /// it. Ids are never reused, not even after deleting the newest job.
  caf::expected<uint64_t> insert_job(const job_record& job);

  /// Overwrites every field of job `job.id`; fails with `ec::no_such_job`
  /// when there is no such job.
  caf::error update_job(const job_record& job);

  /// Returns every job, newest first.
  caf::expected<std::vector<job_record>> jobs();

  /// Returns the jobs that are queued or running, oldest first.
  caf::expected<std::vector<job_record>> active_jobs();

  /// Returns the latest registered version of every line (line -> version),
  /// which the dispatcher needs at start to tell superseded triggers.
  caf::expected<std::map<std::string, std::string>> latest_versions();

  /// Returns job `id`, if there is one.
  caf::expected<std::optional<job_record>> job(uint64_t id);

  /// Returns the job that trigger `trigger_id` created or was merged into,
  /// if the trigger was stored before.
  caf::expected<std::optional<uint64_t>> job_of_trigger(const std::string& id);

  /// Records that trigger `trigger_id` created or was merged into job
  /// `job_id`, so that a repeat of it finds that job.
  caf::error record_trigger(const std::string& trigger_id, uint64_t job_id,
                            int64_t now_ns);

  /// Starts a write transaction: the calls until its commit are stored
  /// together, or not at all (group commits of many triggers).
  caf::expected<db_transaction> begin_write(std::string what) {
    return db_->begin_write(std::move(what));
  }

  /// The identity of the registry database.
  caf::expected<std::string> identity();

private:
  explicit job_store(std::unique_ptr<database> db);

  caf::expected<std::vector<job_record>> read_jobs(const std::string& sql,
                                                   std::string what);

  std::unique_ptr<database> db_;
};

} // namespace retrain
