#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "retrain/database.hpp"

namespace retrain {

/// The schema of the registry database, one numbered step per change,
/// oldest first. Step 1 is the schema of the builds before migrations
/// (which wrote `PRAGMA user_version = 1`), so their files open unchanged.
const std::vector<schema_migration>& registry_schema();

/// Opens (or creates) the registry database on a connection of its own
/// and brings it to the last step of `registry_schema()`: the PostgreSQL
/// database of `url` (`postgresql://...`), or with an empty `url` the
/// SQLite file `<data_dir>/registry.db`. A new database gets its identity
/// (128 random bits) and starts its job ids at its creation time in
/// microseconds, so that a coordinator whose disk was lost never hands out
/// a job id again. Any other `url` is refused (`ec::invalid_config`).
/// With a `fence`, every write transaction after the set-up is fenced
/// (see `database::fence_writes`).
caf::expected<std::unique_ptr<database>>
open_registry_db(const std::string& data_dir, const std::string& url,
                 std::shared_ptr<write_fence> fence = nullptr);

/// Opens (or creates) the SQLite registry `<data_dir>/registry.db`.
caf::expected<std::unique_ptr<database>>
open_registry_db(const std::string& data_dir);

/// The identity of the registry database `db`.
caf::expected<std::string> registry_identity(database& db);

} // namespace retrain
