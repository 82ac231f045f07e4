#include "retrain/registry_store.hpp"

#include <array>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include <sqlite3.h>

#include "retrain/core/semver.hpp"

namespace retrain {

namespace {

// How long a write waits for another connection's write lock before failing.
constexpr int busy_timeout_ms = 5000;

constexpr const char* schema_sql = R"(
CREATE TABLE IF NOT EXISTS versions (
  line TEXT NOT NULL,
  version TEXT NOT NULL,
  parent TEXT NOT NULL,
  job_id INTEGER NOT NULL UNIQUE,
  created_at_ns INTEGER NOT NULL,
  reason TEXT NOT NULL,
  artifact TEXT NOT NULL,
  PRIMARY KEY (line, version));
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model TEXT NOT NULL,
  line TEXT NOT NULL,
  base_version TEXT NOT NULL,
  next_version TEXT NOT NULL,
  state TEXT NOT NULL
    CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
  attempts INTEGER NOT NULL,
  merged INTEGER NOT NULL,
  reason TEXT NOT NULL,
  error TEXT NOT NULL,
  version TEXT NOT NULL,
  created_at_ns INTEGER NOT NULL,
  updated_at_ns INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, id);
PRAGMA user_version = 1;
)";

#define RETRAIN_VERSION_COLUMNS                                                \
  "line, version, parent, job_id, created_at_ns, reason, artifact"

#define RETRAIN_JOB_COLUMNS                                                    \
  "model, line, base_version, next_version, state, attempts, merged, "         \
  "reason, error, version, created_at_ns, updated_at_ns"

// The cached statements, by index into `statement_sql`.
enum stmt_id : size_t {
  begin_stmt,
  commit_stmt,
  rollback_stmt,
  version_by_job_stmt,
  versions_of_line_stmt,
  version_texts_of_line_stmt,
  all_version_texts_stmt,
  insert_version_stmt,
  insert_job_stmt,
  update_job_stmt,
  all_jobs_stmt,
  active_jobs_stmt,
  num_stmts,
};

constexpr std::array<const char*, num_stmts> statement_sql = {
  "BEGIN IMMEDIATE",
  "COMMIT",
  "ROLLBACK",
  "SELECT " RETRAIN_VERSION_COLUMNS " FROM versions WHERE job_id = ?1",
  "SELECT " RETRAIN_VERSION_COLUMNS " FROM versions WHERE line = ?1 "
  "ORDER BY rowid",
  "SELECT version FROM versions WHERE line = ?1",
  "SELECT line, version FROM versions",
  "INSERT INTO versions (" RETRAIN_VERSION_COLUMNS ") "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
  "INSERT INTO jobs (" RETRAIN_JOB_COLUMNS ") "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
  "UPDATE jobs SET model = ?2, line = ?3, base_version = ?4, "
  "next_version = ?5, state = ?6, attempts = ?7, merged = ?8, reason = ?9, "
  "error = ?10, version = ?11, created_at_ns = ?12, updated_at_ns = ?13 "
  "WHERE id = ?1",
  "SELECT id, " RETRAIN_JOB_COLUMNS " FROM jobs ORDER BY id DESC",
  "SELECT id, " RETRAIN_JOB_COLUMNS " FROM jobs "
  "WHERE state IN ('queued', 'running') ORDER BY id",
};

#undef RETRAIN_VERSION_COLUMNS
#undef RETRAIN_JOB_COLUMNS

// Resets a cached statement on leaving the scope, which ends its read
// transaction and drops its bindings.
class stmt_use {
public:
  explicit stmt_use(sqlite3_stmt* stmt) : stmt_(stmt) {
    // nop
  }

  ~stmt_use() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  stmt_use(const stmt_use&) = delete;
  stmt_use& operator=(const stmt_use&) = delete;

private:
  sqlite3_stmt* stmt_;
};

int bind(sqlite3_stmt* stmt, int index, const std::string& x) {
  return sqlite3_bind_text(stmt, index, x.data(), static_cast<int>(x.size()),
                           SQLITE_TRANSIENT);
}

int bind(sqlite3_stmt* stmt, int index, int64_t x) {
  return sqlite3_bind_int64(stmt, index, x);
}

// SQLite integers are signed 64-bit: unsigned values are stored as their
// two's complement and read back the same way.
int bind(sqlite3_stmt* stmt, int index, uint64_t x) {
  return sqlite3_bind_int64(stmt, index, static_cast<int64_t>(x));
}

int bind(sqlite3_stmt* stmt, int index, uint32_t x) {
  return sqlite3_bind_int64(stmt, index, static_cast<int64_t>(x));
}

// Binds `xs` to the parameters `first`, `first + 1`, ...; returns the first
// error code or SQLITE_OK.
template <class... Ts>
int bind_all(sqlite3_stmt* stmt, int first, const Ts&... xs) {
  int rc = SQLITE_OK;
  int index = first;
  ((rc = rc == SQLITE_OK ? bind(stmt, index++, xs) : rc), ...);
  return rc;
}

std::string text_column(sqlite3_stmt* stmt, int column) {
  auto ptr = sqlite3_column_text(stmt, column);
  if (ptr == nullptr)
    return {};
  return std::string{reinterpret_cast<const char*>(ptr),
                     static_cast<size_t>(sqlite3_column_bytes(stmt, column))};
}

model_version version_row(sqlite3_stmt* stmt) {
  model_version result;
  result.line = text_column(stmt, 0);
  result.version = text_column(stmt, 1);
  result.parent = text_column(stmt, 2);
  result.job_id = static_cast<uint64_t>(sqlite3_column_int64(stmt, 3));
  result.created_at_ns = sqlite3_column_int64(stmt, 4);
  result.reason = text_column(stmt, 5);
  result.artifact = text_column(stmt, 6);
  return result;
}

int bind_job(sqlite3_stmt* stmt, int first, const job_record& x) {
  return bind_all(stmt, first, x.model, x.line, x.base_version, x.next_version,
                  to_string(x.state), x.attempts, x.merged, x.reason, x.error,
                  x.version, x.created_at_ns, x.updated_at_ns);
}

// Parses a version read from the database.
core::expected<core::semver> stored_semver(const std::string& line,
                                           const std::string& version) {
  auto result = core::parse_semver(version);
  if (!result)
    return core::fail("line " + line + " has the unreadable version '" + version
                      + "': " + result.error().message);
  return result;
}

// Keeps the greater of `*latest` and `candidate` by semver precedence.
std::optional<core::failure>
keep_latest(std::optional<std::pair<core::semver, std::string>>& latest,
            const std::string& line, std::string candidate) {
  auto parsed = stored_semver(line, candidate);
  if (!parsed)
    return parsed.error();
  if (!latest || core::compare(latest->first, *parsed) < 0)
    latest.emplace(std::move(*parsed), std::move(candidate));
  return std::nullopt;
}

} // namespace

struct registry_store::statements {
  std::array<sqlite3_stmt*, num_stmts> ptrs{};

  sqlite3_stmt* operator[](stmt_id id) const {
    return ptrs[id];
  }

  ~statements() {
    for (auto ptr : ptrs)
      sqlite3_finalize(ptr);
  }
};

namespace {

// Rolls back the open transaction unless `commit` succeeded.
class transaction {
public:
  transaction(sqlite3_stmt* commit, sqlite3_stmt* rollback)
    : commit_(commit), rollback_(rollback) {
    // nop
  }

  ~transaction() {
    if (!done_) {
      stmt_use use{rollback_};
      sqlite3_step(rollback_);
    }
  }

  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  /// Returns SQLite's result code of the COMMIT.
  int commit() {
    stmt_use use{commit_};
    auto rc = sqlite3_step(commit_);
    done_ = rc == SQLITE_DONE;
    return rc;
  }

private:
  sqlite3_stmt* commit_;
  sqlite3_stmt* rollback_;
  bool done_ = false;
};

} // namespace

registry_store::registry_store(std::string path, sqlite3* db)
  : path_(std::move(path)), db_(db), stmts_(std::make_unique<statements>()) {
  // nop
}

registry_store::~registry_store() {
  // Statements first: sqlite3_close refuses a connection with live ones.
  stmts_.reset();
  sqlite3_close(db_);
}

core::failure registry_store::sql_failure(const std::string& what) const {
  return core::failure{"registry db " + path_ + ": " + what + ": "
                       + sqlite3_errmsg(db_)};
}

std::optional<core::failure> registry_store::exec(const char* sql,
                                                  const std::string& what) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK)
    return std::nullopt;
  std::string text = msg != nullptr ? msg : sqlite3_errmsg(db_);
  sqlite3_free(msg);
  return core::failure{"registry db " + path_ + ": " + what + ": " + text};
}

std::optional<core::failure> registry_store::prepare() {
  for (size_t i = 0; i < num_stmts; ++i)
    if (sqlite3_prepare_v3(db_, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                           &stmts_->ptrs[i], nullptr)
        != SQLITE_OK)
      return sql_failure(std::string{"cannot prepare '"} + statement_sql[i]
                         + "'");
  return std::nullopt;
}

core::expected<std::unique_ptr<registry_store>>
registry_store::open(const std::string& data_dir) {
  if (data_dir.empty())
    return core::fail("registry db: the data dir is empty");
  auto path = (std::filesystem::path{data_dir} / "registry.db").string();
  std::error_code dir_err;
  std::filesystem::create_directories(data_dir, dir_err);
  if (dir_err)
    return core::fail("registry db " + path + ": cannot create the data dir '"
                      + data_dir + "': " + dir_err.message());
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(
    path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (auto sys_err = db != nullptr ? sqlite3_system_errno(db) : 0)
      msg += std::string{" ("} + std::strerror(sys_err) + ")";
    sqlite3_close(db);
    return core::fail("registry db " + path + ": cannot open: " + msg);
  }
  std::unique_ptr<registry_store> self{new registry_store(path, db)};
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // journal_mode answers with the mode in effect, which stays "delete" where
  // WAL is impossible (e.g. some network file systems): refuse that.
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &stmt, nullptr)
        != SQLITE_OK)
      return self->sql_failure("cannot switch to WAL mode");
    auto step = sqlite3_step(stmt);
    auto mode = step == SQLITE_ROW ? text_column(stmt, 0) : std::string{};
    sqlite3_finalize(stmt);
    if (step != SQLITE_ROW)
      return self->sql_failure("cannot switch to WAL mode");
    if (mode != "wal")
      return core::fail("registry db " + path
                        + ": cannot switch to WAL mode: journal mode is still '"
                        + mode + "'");
  }
  if (auto fail = self->exec("PRAGMA synchronous = FULL",
                             "cannot set synchronous=FULL"))
    return *fail;
  // Create the schema in a write transaction, so that two processes opening
  // a new file at once do not both create it.
  if (auto fail = self->exec("BEGIN IMMEDIATE",
                             "cannot start the schema check"))
    return *fail;
  int version = -1;
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr)
          == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW)
      version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
  }
  std::optional<core::failure> fail;
  if (version < 0)
    fail = self->sql_failure("cannot read the schema version");
  else if (version > schema_version)
    fail = core::fail("registry db " + path + ": schema version "
                      + std::to_string(version) + " is newer than "
                      + std::to_string(schema_version)
                      + ", the one this build knows");
  else if (version < schema_version)
    fail = self->exec(schema_sql, "cannot create the schema");
  if (!fail)
    fail = self->exec("COMMIT", "cannot commit the schema");
  if (fail) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return *fail;
  }
  if (auto err = self->prepare())
    return *err;
  return self;
}

// -- versions -----------------------------------------------------------------

template <class F>
std::optional<core::failure>
registry_store::for_each_row(sqlite3_stmt* stmt, const std::string& what, F f) {
  for (;;) {
    auto rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
      return std::nullopt;
    if (rc != SQLITE_ROW)
      return sql_failure(what);
    if (auto fail = f())
      return core::fail("registry db " + path_ + ": " + fail->message);
  }
}

core::expected<std::vector<model_version>>
registry_store::read_versions(sqlite3_stmt* stmt, const std::string& what) {
  std::vector<model_version> result;
  auto fail = for_each_row(stmt, what, [&]() -> std::optional<core::failure> {
    result.emplace_back(version_row(stmt));
    return std::nullopt;
  });
  if (fail)
    return *fail;
  return result;
}

core::expected<std::optional<model_version>>
registry_store::version_of_job(uint64_t job_id) {
  auto stmt = (*stmts_)[version_by_job_stmt];
  stmt_use use{stmt};
  auto what = "cannot read the version of job " + std::to_string(job_id);
  if (bind_all(stmt, 1, job_id) != SQLITE_OK)
    return sql_failure(what);
  auto rows = read_versions(stmt, what);
  if (!rows)
    return rows.error();
  if (rows->empty())
    return std::optional<model_version>{};
  return std::optional<model_version>{std::move(rows->front())};
}

core::expected<std::vector<model_version>>
registry_store::versions(const std::string& line) {
  auto stmt = (*stmts_)[versions_of_line_stmt];
  stmt_use use{stmt};
  auto what = "cannot read the versions of " + line;
  if (bind_all(stmt, 1, line) != SQLITE_OK)
    return sql_failure(what);
  return read_versions(stmt, what);
}

core::expected<std::optional<std::string>>
registry_store::latest_version(const std::string& line) {
  auto stmt = (*stmts_)[version_texts_of_line_stmt];
  stmt_use use{stmt};
  auto what = "cannot read the versions of " + line;
  if (bind_all(stmt, 1, line) != SQLITE_OK)
    return sql_failure(what);
  std::optional<std::pair<core::semver, std::string>> latest;
  auto fail = for_each_row(stmt, what, [&] {
    return keep_latest(latest, line, text_column(stmt, 0));
  });
  if (fail)
    return *fail;
  if (!latest)
    return std::optional<std::string>{};
  return std::optional<std::string>{std::move(latest->second)};
}

core::expected<std::map<std::string, std::string>>
registry_store::latest_versions() {
  auto stmt = (*stmts_)[all_version_texts_stmt];
  stmt_use use{stmt};
  std::map<std::string, std::optional<std::pair<core::semver, std::string>>>
    latest;
  auto fail = for_each_row(stmt, "cannot read the versions", [&] {
    auto line = text_column(stmt, 0);
    return keep_latest(latest[line], line, text_column(stmt, 1));
  });
  if (fail)
    return *fail;
  std::map<std::string, std::string> result;
  for (auto& [line, entry] : latest)
    result.emplace(line, std::move(entry->second));
  return result;
}

core::expected<model_version>
registry_store::register_version(uint64_t job_id,
                                 const core::model_id& trigger_model,
                                 const std::string& reason,
                                 const std::string& artifact, int64_t now_ns) {
  auto line = trigger_model.line();
  auto what = "cannot register the version of job " + std::to_string(job_id)
              + " for " + line;
  // IMMEDIATE takes the write lock up front: a deferred transaction that
  // reads first could not upgrade once another connection has written.
  {
    auto begin = (*stmts_)[begin_stmt];
    stmt_use use{begin};
    if (sqlite3_step(begin) != SQLITE_DONE)
      return sql_failure(what);
  }
  transaction tx{(*stmts_)[commit_stmt], (*stmts_)[rollback_stmt]};
  auto existing = version_of_job(job_id);
  if (!existing)
    return existing.error();
  if (*existing) {
    tx.commit();
    return std::move(**existing);
  }
  auto latest = latest_version(line);
  if (!latest)
    return latest.error();
  model_version result;
  result.line = line;
  std::optional<core::semver> latest_semver;
  if (*latest) {
    auto base = stored_semver(line, **latest);
    if (!base)
      return core::fail("registry db " + path_ + ": " + base.error().message);
    latest_semver = std::move(*base);
  }
  auto base = core::retrain_base(latest_semver, trigger_model.version);
  result.parent = to_string(base);
  result.version = to_string(core::next_version(base));
  result.job_id = job_id;
  result.created_at_ns = now_ns;
  result.reason = reason;
  result.artifact = artifact;
  {
    auto insert = (*stmts_)[insert_version_stmt];
    stmt_use use{insert};
    if (bind_all(insert, 1, result.line, result.version, result.parent,
                 result.job_id, result.created_at_ns, result.reason,
                 result.artifact)
          != SQLITE_OK
        || sqlite3_step(insert) != SQLITE_DONE)
      return sql_failure(what);
  }
  if (tx.commit() != SQLITE_DONE)
    return sql_failure(what);
  return result;
}

// -- jobs ---------------------------------------------------------------------

core::expected<std::vector<job_record>>
registry_store::read_jobs(sqlite3_stmt* stmt, const std::string& what) {
  std::vector<job_record> result;
  auto fail = for_each_row(stmt, what, [&]() -> std::optional<core::failure> {
    job_record x;
    x.id = static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
    x.model = text_column(stmt, 1);
    x.line = text_column(stmt, 2);
    x.base_version = text_column(stmt, 3);
    x.next_version = text_column(stmt, 4);
    auto state = text_column(stmt, 5);
    auto parsed = parse_job_state(state);
    if (!parsed)
      return core::fail("job " + std::to_string(x.id)
                        + " has the unknown state '" + state + "'");
    x.state = *parsed;
    x.attempts = static_cast<uint32_t>(sqlite3_column_int64(stmt, 6));
    x.merged = static_cast<uint64_t>(sqlite3_column_int64(stmt, 7));
    x.reason = text_column(stmt, 8);
    x.error = text_column(stmt, 9);
    x.version = text_column(stmt, 10);
    x.created_at_ns = sqlite3_column_int64(stmt, 11);
    x.updated_at_ns = sqlite3_column_int64(stmt, 12);
    result.emplace_back(std::move(x));
    return std::nullopt;
  });
  if (fail)
    return *fail;
  return result;
}

core::expected<uint64_t> registry_store::insert_job(const job_record& job) {
  auto stmt = (*stmts_)[insert_job_stmt];
  stmt_use use{stmt};
  if (bind_job(stmt, 1, job) != SQLITE_OK || sqlite3_step(stmt) != SQLITE_DONE)
    return sql_failure("cannot insert a job for " + job.model);
  return static_cast<uint64_t>(sqlite3_last_insert_rowid(db_));
}

std::optional<core::failure> registry_store::update_job(const job_record& job) {
  auto stmt = (*stmts_)[update_job_stmt];
  stmt_use use{stmt};
  if (bind_all(stmt, 1, job.id) != SQLITE_OK
      || bind_job(stmt, 2, job) != SQLITE_OK
      || sqlite3_step(stmt) != SQLITE_DONE)
    return sql_failure("cannot update job " + std::to_string(job.id));
  if (sqlite3_changes(db_) == 0)
    return core::fail("registry db " + path_ + ": cannot update job "
                      + std::to_string(job.id) + ": no such job");
  return std::nullopt;
}

core::expected<std::vector<job_record>> registry_store::jobs() {
  auto stmt = (*stmts_)[all_jobs_stmt];
  stmt_use use{stmt};
  return read_jobs(stmt, "cannot read the jobs");
}

core::expected<std::vector<job_record>> registry_store::active_jobs() {
  auto stmt = (*stmts_)[active_jobs_stmt];
  stmt_use use{stmt};
  return read_jobs(stmt, "cannot read the active jobs");
}

} // namespace retrain
