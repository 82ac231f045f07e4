#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "retrain/core/expected.hpp"
#include "retrain/core/model_id.hpp"
#include "retrain/job_record.hpp"
#include "retrain/model_version.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace retrain {

/// The registry database `<data-dir>/registry.db`: registered model versions
/// and retrain jobs, in SQLite with WAL and `synchronous=FULL`.
///
/// Every call blocks on disk I/O: only an actor spawned `detached` may own a
/// store. A store is used by one thread at a time; several stores (in one or
/// more processes) may open the same file. No call throws: failures come
/// back as values whose message names the database file and what SQLite said.
class registry_store {
public:
  /// The schema this build reads and writes (`PRAGMA user_version`).
  static constexpr int schema_version = 1;

  /// Opens or creates `<data_dir>/registry.db`, creating `data_dir` as
  /// needed, and the schema when the file is new.
  static core::expected<std::unique_ptr<registry_store>>
  open(const std::string& data_dir);

  ~registry_store();

  registry_store(const registry_store&) = delete;
  registry_store& operator=(const registry_store&) = delete;

  /// The path of the database file.
  const std::string& path() const noexcept {
    return path_;
  }

  // -- versions ---------------------------------------------------------------

  /// Records the version that job `job_id` produced for the line of
  /// `trigger_model`, in one transaction: patch + 1 of the line's latest
  /// version (by semver precedence), or of the version of `trigger_model`
  /// when the line has none yet or that version is newer; that base becomes
  /// the parent. Idempotent by
  /// job id: when `job_id` already has a version, returns it unchanged.
  core::expected<model_version>
  register_version(uint64_t job_id, const core::model_id& trigger_model,
                   const std::string& reason, const std::string& artifact,
                   int64_t now_ns);

  /// Returns the version job `job_id` produced, if any.
  core::expected<std::optional<model_version>> version_of_job(uint64_t job_id);

  /// Returns every version of `line`, oldest first.
  core::expected<std::vector<model_version>> versions(const std::string& line);

  /// Returns the latest version of `line` by semver precedence, if any.
  core::expected<std::optional<std::string>>
  latest_version(const std::string& line);

  /// Returns the latest version of every line (line -> version).
  core::expected<std::map<std::string, std::string>> latest_versions();

  // -- jobs -------------------------------------------------------------------

  /// Inserts `job` (ignoring its `id`) and returns the id the database gave
  /// it. Ids are never reused, not even after deleting the newest job.
  core::expected<uint64_t> insert_job(const job_record& job);

  /// Overwrites every field of job `job.id`; fails when there is no such job.
  std::optional<core::failure> update_job(const job_record& job);

  /// Returns every job, newest first.
  core::expected<std::vector<job_record>> jobs();

  /// Returns the jobs that are queued or running, oldest first.
  core::expected<std::vector<job_record>> active_jobs();

private:
  struct statements;

  registry_store(std::string path, sqlite3* db);

  // Builds a failure "registry db <path>: <what>: <sqlite's message>".
  core::failure sql_failure(const std::string& what) const;

  // Prepares every cached statement.
  std::optional<core::failure> prepare();

  // Steps `stmt` through its rows and calls `f` on each; `f` returns a
  // failure to stop. `what` says what failed in the message.
  template <class F>
  std::optional<core::failure>
  for_each_row(sqlite3_stmt* stmt, const std::string& what, F f);

  // Reads the version rows `stmt` yields.
  core::expected<std::vector<model_version>>
  read_versions(sqlite3_stmt* stmt, const std::string& what);

  // Reads the job rows `stmt` yields.
  core::expected<std::vector<job_record>> read_jobs(sqlite3_stmt* stmt,
                                                    const std::string& what);

  // Runs `sql` without results; `what` says what failed in the message.
  std::optional<core::failure> exec(const char* sql, const std::string& what);

  std::string path_;
  sqlite3* db_;
  std::unique_ptr<statements> stmts_;
};

} // namespace retrain
