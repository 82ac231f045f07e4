#include "retrain/sqlite_db.hpp"

#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include <caf/message.hpp>
#include <sqlite3.h>

#include "retrain/sql_dialect.hpp"

namespace retrain {

std::string storage_error_text(const caf::error& err) {
  auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return caf::to_string(err);
}

// -- sqlite_statement ---------------------------------------------------------

sqlite_statement::sqlite_statement(const sqlite_db* db, sqlite3_stmt* stmt,
                                   bool* in_use, std::string what)
  : db_(db),
    stmt_(stmt),
    in_use_(in_use),
    bind_rc_(SQLITE_OK),
    done_(false),
    what_(std::move(what)) {
  // nop
}

sqlite_statement::sqlite_statement(sqlite_statement&& other) noexcept
  : db_(other.db_),
    stmt_(std::exchange(other.stmt_, nullptr)),
    in_use_(other.in_use_),
    bind_rc_(other.bind_rc_),
    done_(other.done_),
    what_(std::move(other.what_)) {
  // nop
}

sqlite_statement::~sqlite_statement() {
  if (stmt_ == nullptr)
    return;
  if (in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

void sqlite_statement::bind(int index, int64_t x) {
  if (bind_rc_ == SQLITE_OK)
    bind_rc_ = sqlite3_bind_int64(stmt_, index, x);
}

void sqlite_statement::bind(int index, std::string_view x) {
  if (bind_rc_ == SQLITE_OK)
    bind_rc_ = sqlite3_bind_text(stmt_, index, x.data(),
                                 static_cast<int>(x.size()), SQLITE_TRANSIENT);
}

caf::expected<bool> sqlite_statement::step() {
  if (bind_rc_ != SQLITE_OK)
    return failure(std::string{"cannot bind a parameter: "}
                   + sqlite3_errstr(bind_rc_));
  // Stepping a finished statement would run it again.
  if (done_)
    return false;
  switch (sqlite3_step(stmt_)) {
    case SQLITE_ROW:
      return true;
    case SQLITE_DONE:
      done_ = true;
      return false;
    default:
      return failure();
  }
}

caf::error sqlite_statement::run() {
  return for_each_row([] { return caf::error{}; });
}

int64_t sqlite_statement::int64_column(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string sqlite_statement::text_column(int index) const {
  auto ptr = sqlite3_column_text(stmt_, index);
  if (ptr == nullptr)
    return {};
  return std::string{reinterpret_cast<const char*>(ptr),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, index))};
}

caf::error sqlite_statement::failure() const {
  return db_->failure(what_);
}

caf::error sqlite_statement::failure(const std::string& detail) const {
  return db_->failure(what_, detail);
}

// -- sqlite_transaction -------------------------------------------------------

sqlite_transaction::sqlite_transaction(sqlite_db* db, std::string what)
  : db_(db), what_(std::move(what)) {
  // nop
}

sqlite_transaction::sqlite_transaction(sqlite_transaction&& other) noexcept
  : db_(std::exchange(other.db_, nullptr)), what_(std::move(other.what_)) {
  // nop
}

sqlite_transaction::~sqlite_transaction() {
  if (db_ != nullptr)
    db_->rollback();
}

caf::error sqlite_transaction::commit() {
  if (db_ == nullptr)
    return caf::make_error(ec::storage_failure,
                           what_ + ": the transaction is over");
  auto stmt = db_->statement(sql_dialect::commit, what_);
  if (!stmt)
    return std::move(stmt.error());
  if (auto err = stmt->run())
    return err;
  db_ = nullptr;
  return caf::none;
}

// -- sqlite_db ----------------------------------------------------------------

sqlite_db::sqlite_db(std::string label, std::string path, sqlite3* db)
  : label_(std::move(label)), path_(std::move(path)), db_(db) {
  // nop
}

sqlite_db::~sqlite_db() {
  // Statements first: sqlite3_close refuses a connection with live ones.
  for (auto& [sql, entry] : cache_)
    sqlite3_finalize(entry.stmt);
  sqlite3_close(db_);
}

caf::error sqlite_db::failure(const std::string& what) const {
  return failure(what, sqlite3_errmsg(db_));
}

std::string sqlite_db::describe(const std::string& what) const {
  return label_ + " " + path_ + ": " + what;
}

caf::error sqlite_db::failure(const std::string& what,
                              const std::string& detail, ec code) const {
  return caf::make_error(code, describe(what) + ": " + detail);
}

caf::error sqlite_db::exec(const std::string& sql, const std::string& what) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK)
    return caf::none;
  std::string text = msg != nullptr ? msg : sqlite3_errmsg(db_);
  sqlite3_free(msg);
  return failure(what, text);
}

caf::error sqlite_db::prepare(const std::string& sql) {
  if (cache_.count(sql) > 0)
    return caf::none;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                         nullptr)
      != SQLITE_OK)
    return failure("cannot prepare '" + sql + "'");
  cache_[sql].stmt = stmt;
  return caf::none;
}

caf::error sqlite_db::prepare(std::initializer_list<const std::string*> sqls) {
  for (auto sql : sqls)
    if (auto err = prepare(*sql))
      return err;
  return caf::none;
}

caf::expected<sqlite_statement> sqlite_db::statement(const std::string& sql,
                                                     std::string what) {
  auto i = cache_.find(sql);
  if (i == cache_.end()) {
    if (auto err = prepare(sql))
      return err;
    i = cache_.find(sql);
  }
  auto& entry = i->second;
  if (!entry.in_use) {
    entry.in_use = true;
    return sqlite_statement{this, entry.stmt, &entry.in_use, std::move(what)};
  }
  // The cached one is stepping through rows further up the stack: this use
  // gets a statement of its own.
  return uncached(sql, std::move(what));
}

caf::expected<sqlite_statement> sqlite_db::uncached(const std::string& sql,
                                                    std::string what) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    return failure("cannot prepare '" + sql + "'");
  return sqlite_statement{this, stmt, nullptr, std::move(what)};
}

caf::expected<sqlite_transaction> sqlite_db::begin_write(std::string what) {
  if (sqlite3_get_autocommit(db_) == 0)
    return failure(what, "a transaction is already open");
  auto stmt = statement(sql_dialect::begin_write, what);
  if (!stmt)
    return std::move(stmt.error());
  if (auto err = stmt->run())
    return err;
  return sqlite_transaction{this, std::move(what)};
}

void sqlite_db::rollback() noexcept {
  // Some failures (e.g. a full disk) roll back on their own.
  if (sqlite3_get_autocommit(db_) != 0)
    return;
  auto stmt = statement(sql_dialect::rollback, "cannot roll back");
  if (stmt)
    static_cast<void>(stmt->run());
}

caf::error sqlite_db::migrate(const std::vector<schema_migration>& schema) {
  for (size_t i = 0; i < schema.size(); ++i)
    if (schema[i].version != static_cast<int>(i) + 1)
      return failure("cannot check the schema",
                     "migration " + std::to_string(i + 1) + " has the number "
                       + std::to_string(schema[i].version));
  int latest = static_cast<int>(schema.size());
  // One write transaction, so that two processes opening a new file at
  // once do not both create the schema, and a failed step leaves the file
  // as it was.
  auto tx = begin_write("cannot start the schema check");
  if (!tx)
    return std::move(tx.error());
  int version = -1;
  if (auto stmt = uncached(sql_dialect::read_schema_version,
                           "cannot read the schema version")) {
    auto row = stmt->step();
    if (!row)
      return std::move(row.error());
    if (*row)
      version = static_cast<int>(stmt->int64_column(0));
  } else {
    return std::move(stmt.error());
  }
  if (version < 0)
    return caf::make_error(ec::storage_failure,
                           describe("schema version " + std::to_string(version)
                                    + " is none this build knows"));
  if (version > latest)
    return caf::make_error(ec::storage_failure,
                           describe("schema version " + std::to_string(version)
                                    + " is newer than " + std::to_string(latest)
                                    + ", the one this build knows"));
  for (auto& step : schema) {
    if (step.version <= version)
      continue;
    auto what = "cannot apply schema migration " + std::to_string(step.version)
                + " (" + step.description + ")";
    if (auto err = exec(sql_dialect::schema_sql(step.sql), what))
      return err;
    if (auto err = exec(sql_dialect::write_schema_version(step.version), what))
      return err;
  }
  if (auto err = tx->commit())
    return err;
  schema_version_ = latest;
  return caf::none;
}

caf::expected<std::unique_ptr<sqlite_db>>
sqlite_db::open(std::string label, const std::string& data_dir,
                const std::string& file_name,
                const std::vector<schema_migration>& schema) {
  if (data_dir.empty())
    return caf::make_error(ec::invalid_config,
                           label + ": the data dir is empty");
  auto path = (std::filesystem::path{data_dir} / file_name).string();
  std::error_code dir_err;
  std::filesystem::create_directories(data_dir, dir_err);
  if (dir_err)
    return caf::make_error(ec::storage_failure,
                           label + " " + path + ": cannot create the data dir '"
                             + data_dir + "': " + dir_err.message());
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(
    path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (auto sys_err = db != nullptr ? sqlite3_system_errno(db) : 0)
      msg += std::string{" ("} + std::strerror(sys_err) + ")";
    sqlite3_close(db);
    return caf::make_error(ec::storage_failure,
                           label + " " + path + ": cannot open: " + msg);
  }
  std::unique_ptr<sqlite_db> self{
    new sqlite_db(std::move(label), std::move(path), db)};
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, sql_dialect::busy_timeout_ms);
  // journal_mode answers with the mode in effect, which stays "delete" where
  // WAL is impossible (e.g. some network file systems): refuse that.
  {
    auto stmt = self->uncached(sql_dialect::journal_wal,
                               "cannot switch to WAL mode");
    if (!stmt)
      return std::move(stmt.error());
    auto row = stmt->step();
    if (!row)
      return std::move(row.error());
    auto mode = *row ? stmt->text_column(0) : std::string{};
    if (mode != sql_dialect::wal_mode)
      return self->failure("cannot switch to WAL mode",
                           "journal mode is still '" + mode + "'");
  }
  // A file the node may read but not write would take every decision and
  // lose it at the first write: refuse it now (root ignores file modes, a
  // read-only mount does not).
  if (sqlite3_db_readonly(db, "main") == 1)
    return self->failure("cannot write",
                         "the file or its file system is read-only");
  if (auto err = self->exec(sql_dialect::synchronous_full,
                            "cannot set synchronous=FULL"))
    return err;
  if (auto err = self->migrate(schema))
    return err;
  return self;
}

} // namespace retrain
