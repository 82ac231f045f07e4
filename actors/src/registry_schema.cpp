#include "retrain/registry_schema.hpp"

#include <cstdio>
#include <optional>
#include <random>
#include <utility>

#include "retrain/pg_db.hpp"
#include "retrain/sql_dialect.hpp"
#include "retrain/sqlite_db.hpp"
#include "retrain/unix_time.hpp"

namespace retrain {

const std::vector<schema_migration>& registry_schema() {
  // A released step never changes: add a step to change the schema, e.g.
  // {2, "jobs.priority", "ALTER TABLE jobs ADD COLUMN priority {int} NOT NULL
  // DEFAULT 0"}, and the field that reads it.
  static const std::vector<schema_migration> steps = {
    {1, "versions and jobs", R"(
CREATE TABLE IF NOT EXISTS versions (
  line {text} NOT NULL,
  version {text} NOT NULL,
  parent {text} NOT NULL,
  job_id {int} NOT NULL UNIQUE,
  created_at_ns {int} NOT NULL,
  reason {text} NOT NULL,
  artifact {text} NOT NULL,
  PRIMARY KEY (line, version));
CREATE TABLE IF NOT EXISTS jobs (
  id {id},
  model {text} NOT NULL,
  line {text} NOT NULL,
  base_version {text} NOT NULL,
  next_version {text} NOT NULL,
  state {text} NOT NULL
    CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
  attempts {int} NOT NULL,
  merged {int} NOT NULL,
  reason {text} NOT NULL,
  error {text} NOT NULL,
  version {text} NOT NULL,
  created_at_ns {int} NOT NULL,
  updated_at_ns {int} NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, id);
)"},
    {2, "identity and trigger ids", R"(
CREATE TABLE IF NOT EXISTS registry_meta (
  key {text} PRIMARY KEY,
  value {text} NOT NULL);
CREATE TABLE IF NOT EXISTS triggers (
  id {text} PRIMARY KEY,
  job_id {int} NOT NULL,
  created_at_ns {int} NOT NULL);
)"},
    // Every change of a policy is a row: `epoch` numbers the changes of
    // the coordinator, `version` those of one pattern; a removal is a row
    // with `removed` = 1, so the history stays.
    {3, "policies", R"(
CREATE TABLE IF NOT EXISTS policies (
  epoch {int} PRIMARY KEY,
  pattern {text} NOT NULL,
  version {int} NOT NULL,
  body {text} NOT NULL,
  removed {int} NOT NULL,
  changed_by {text} NOT NULL,
  reason {text} NOT NULL,
  created_at_ns {int} NOT NULL,
  UNIQUE (pattern, version));
)"},
    // The lease of the coordinators that share a PostgreSQL registry: one
    // row, held by `holder` at `epoch` (raised by every takeover) and
    // renewed at `renewed_at_us` (database time); `backend_pid` is the
    // session the holder renews on. SQLite has the table, unused.
    {4, "coordinator lease", R"(
CREATE TABLE IF NOT EXISTS coordinator_lease (
  id {int} PRIMARY KEY,
  holder {text} NOT NULL,
  epoch {int} NOT NULL,
  renewed_at_us {int} NOT NULL,
  backend_pid {int} NOT NULL);
INSERT INTO coordinator_lease (id, holder, epoch, renewed_at_us, backend_pid)
  VALUES (1, '', 0, 0, 0);
)"},
    // The shard map of the monitor tier: each shard's owner (a monitor
    // node's name, empty for none) and its epoch; and the last snapshot of
    // each monitor, hex, with the shard and epoch of the owner that sent it.
    {5, "shards and monitor snapshots", R"(
CREATE TABLE IF NOT EXISTS shard_owners (
  shard {int} PRIMARY KEY,
  node {text} NOT NULL,
  epoch {int} NOT NULL);
CREATE TABLE IF NOT EXISTS monitor_snapshots (
  model {text} PRIMARY KEY,
  shard {int} NOT NULL,
  epoch {int} NOT NULL,
  body {text} NOT NULL,
  updated_at_ns {int} NOT NULL);
CREATE INDEX IF NOT EXISTS monitor_snapshots_by_shard
  ON monitor_snapshots (shard);
)"},
  };
  return steps;
}

namespace {

const std::string identity_sql
  = "SELECT value FROM registry_meta WHERE key = 'identity'";

const std::string insert_meta_sql
  = "INSERT INTO registry_meta (key, value) VALUES (?1, ?2)";

const std::string count_jobs_sql = "SELECT COUNT(*) FROM jobs";

// 128 random bits in hex.
std::string random_identity() {
  std::random_device rd;
  std::string result;
  for (int i = 0; i < 4; ++i) {
    char buf[9];
    std::snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(rd()));
    result += buf;
  }
  return result;
}

caf::expected<std::optional<std::string>> read_identity(database& db) {
  auto stmt = db.statement(identity_sql, "cannot read the registry identity");
  if (!stmt)
    return std::move(stmt.error());
  auto row = stmt->step();
  if (!row)
    return std::move(row.error());
  if (!*row)
    return std::optional<std::string>{};
  return std::optional<std::string>{stmt->text_column(0)};
}

// Gives a new database its identity and starts its job ids at its creation
// time in microseconds: a database created after another one was lost
// never issues an id the lost one did (that would take more than a million
// jobs a second).
caf::error init_registry(database& db) {
  auto tx = db.begin_write("cannot set up the registry identity");
  if (!tx)
    return std::move(tx.error());
  auto identity = read_identity(db);
  if (!identity)
    return std::move(identity.error());
  if (*identity)
    return tx->commit();
  auto now = unix_now_ns();
  for (auto [key, value] :
       {std::pair<const char*, std::string>{"identity", random_identity()},
        {"created_at_ns", std::to_string(now)}}) {
    auto stmt = db.statement(insert_meta_sql, "cannot record the registry "
                                              "identity");
    if (!stmt)
      return std::move(stmt.error());
    stmt->bind(1, std::string_view{key});
    stmt->bind(2, value);
    if (auto err = stmt->run())
      return err;
  }
  int64_t jobs = 0;
  {
    auto stmt = db.statement(count_jobs_sql, "cannot count the jobs");
    if (!stmt)
      return std::move(stmt.error());
    auto row = stmt->step();
    if (!row)
      return std::move(row.error());
    jobs = *row ? stmt->int64_column(0) : 0;
  }
  // A database that had jobs before it got an identity keeps counting.
  if (jobs == 0) {
    auto stmt = db.statement(db.dialect().seed_ids("jobs"),
                             "cannot seed the job ids");
    if (!stmt)
      return std::move(stmt.error());
    stmt->bind(1, now / 1000 - 1);
    if (auto err = stmt->run())
      return err;
  }
  return tx->commit();
}

} // namespace

caf::expected<std::string> registry_identity(database& db) {
  auto identity = read_identity(db);
  if (!identity)
    return std::move(identity.error());
  if (!*identity)
    return db.failure("cannot read the registry identity", "none recorded");
  return std::move(**identity);
}

caf::expected<std::unique_ptr<database>>
open_registry_db(const std::string& data_dir, const std::string& url,
                 std::shared_ptr<write_fence> fence) {
  std::unique_ptr<database> result;
  if (url.empty()) {
    auto db = sqlite_db::open("registry db", data_dir, "registry.db",
                              registry_schema());
    if (!db)
      return std::move(db.error());
    result = std::move(*db);
  } else if (is_postgresql_url(url)) {
    auto db = pg_db::open("registry db", url, registry_schema());
    if (!db)
      return std::move(db.error());
    result = std::move(*db);
  } else {
    return caf::make_error(ec::invalid_config,
                           "retrain.registry.url=\"" + redacted_url(url)
                             + "\" is no postgresql:// URL (empty: SQLite in "
                               "the data dir)");
  }
  if (auto err = init_registry(*result))
    return err;
  if (fence)
    result->fence_writes(std::move(fence));
  return result;
}

caf::expected<std::unique_ptr<database>>
open_registry_db(const std::string& data_dir) {
  return open_registry_db(data_dir, {});
}

} // namespace retrain
