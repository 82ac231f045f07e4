#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/core/model_id.hpp"
#include "retrain/database.hpp"
#include "retrain/model_version.hpp"

namespace retrain {

/// The registered model versions: the `versions` table of the registry
/// database, on a connection of its own. The registry actor owns one.
///
/// Blocks on I/O like its `database`; failures come back as
/// `ec::storage_failure` errors naming the database.
class version_store {
public:
  /// Opens the registry database: SQLite in `data_dir`, or PostgreSQL at
  /// `url` (see `open_registry_db`), its writes fenced by `fence` if set.
  static caf::expected<std::unique_ptr<version_store>>
  open(const std::string& data_dir, const std::string& url = {},
       std::shared_ptr<write_fence> fence = nullptr);

  /// Builds the store on `db`, which must hold the registry schema.
  static caf::expected<std::unique_ptr<version_store>>
  make(std::unique_ptr<database> db);

  /// Where the database is: its file, or its URL without the password.
  const std::string& path() const noexcept {
    return db_->path();
  }

  /// Records the version that job `job_id` produced for the line of
  /// `trigger_model`, in one write transaction: patch + 1 of the line's
  /// latest version (by semver precedence), or of the version of
  /// `trigger_model` when the line has none yet or that version is newer,
  /// or of `floor` when that is newer still (a version the cluster knows
  /// that this database may have lost); that base becomes the parent.
  /// Idempotent by job id: when `job_id` already has a version, returns it
  /// unchanged. A failure changes nothing.
  caf::expected<model_version>
  register_version(uint64_t job_id, const core::model_id& trigger_model,
                   const std::string& reason, const std::string& artifact,
                   int64_t now_ns,
                   const std::optional<core::semver>& floor = std::nullopt);

  /// Returns the version job `job_id` produced, if any.
  caf::expected<std::optional<model_version>> version_of_job(uint64_t job_id);

  /// Returns every version of `line`, oldest first.
  caf::expected<std::vector<model_version>> versions(const std::string& line);

  /// Returns the latest version of `line` by semver precedence, if any.
  caf::expected<std::optional<std::string>>
  latest_version(const std::string& line);

  /// Returns the latest version of every line (line -> version).
  caf::expected<std::map<std::string, std::string>> latest_versions();

  /// Returns the latest version of every line (line -> version) that `db`,
  /// a registry database, holds: what the job store reads of versions.
  static caf::expected<std::map<std::string, std::string>>
  latest_versions(database& db);

private:
  explicit version_store(std::unique_ptr<database> db);

  std::unique_ptr<database> db_;
  std::string of_line_sql_;
};

} // namespace retrain
