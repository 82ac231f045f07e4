#include "retrain/sqlite_db.hpp"

#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include <sqlite3.h>

#include "retrain/sql_dialect.hpp"

namespace retrain {

// -- sqlite_statement ---------------------------------------------------------

/// A prepared statement of a `sqlite_db`: cached (reset at the end of each
/// use) or owned by one use (freed at its end).
class sqlite_statement : public statement_backend {
public:
  sqlite_statement(const sqlite_db* db, sqlite3_stmt* stmt, bool cached)
    : db_(db), stmt_(stmt), cached_(cached) {
    // nop
  }

  ~sqlite_statement() override {
    sqlite3_finalize(stmt_);
  }

  // Readies this cached statement for a use that `what` describes; false
  // when it is in use further up the stack.
  bool start(std::string what) {
    if (in_use_)
      return false;
    in_use_ = true;
    bind_rc_ = SQLITE_OK;
    done_ = false;
    what_ = std::move(what);
    return true;
  }

  void bind(int index, int64_t x) override {
    if (bind_rc_ == SQLITE_OK)
      bind_rc_ = sqlite3_bind_int64(stmt_, index, x);
  }

  void bind(int index, std::string_view x) override {
    if (bind_rc_ == SQLITE_OK)
      bind_rc_ = sqlite3_bind_text(
        stmt_, index, x.data(), static_cast<int>(x.size()), SQLITE_TRANSIENT);
  }

  caf::expected<bool> step() override {
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

  int64_t int64_column(int index) const override {
    return sqlite3_column_int64(stmt_, index);
  }

  std::string text_column(int index) const override {
    auto ptr = sqlite3_column_text(stmt_, index);
    if (ptr == nullptr)
      return {};
    return std::string{reinterpret_cast<const char*>(ptr),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, index))};
  }

  caf::error failure() const override {
    return db_->failure(what_);
  }

  caf::error failure(const std::string& detail) const override {
    return db_->failure(what_, detail);
  }

  void release() noexcept override {
    if (!cached_) {
      delete this;
      return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    in_use_ = false;
  }

private:
  const sqlite_db* db_;
  sqlite3_stmt* stmt_;
  bool cached_;
  bool in_use_ = false;
  // The first failed bind, or SQLITE_OK.
  int bind_rc_ = SQLITE_OK;
  // Whether a step reached the end.
  bool done_ = false;
  std::string what_;
};

// -- sqlite_db ----------------------------------------------------------------

sqlite_db::sqlite_db(std::string label, std::string path, sqlite3* db)
  : database(std::move(label), std::move(path), sql_dialect::sqlite()),
    db_(db) {
  // nop
}

sqlite_db::~sqlite_db() {
  // Statements first: a connection with statements left does not close.
  cache_.clear();
  sqlite3_close(db_);
}

caf::error sqlite_db::failure(const std::string& what) const {
  return failure(what, sqlite3_errmsg(db_));
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
  cache_.emplace(sql, std::make_unique<sqlite_statement>(this, stmt, true));
  return caf::none;
}

caf::expected<db_statement> sqlite_db::statement(const std::string& sql,
                                                 std::string what) {
  auto i = cache_.find(sql);
  if (i == cache_.end()) {
    if (auto err = prepare(sql))
      return err;
    i = cache_.find(sql);
  }
  auto& cached = *i->second;
  if (cached.start(what))
    return db_statement{&cached};
  // The cached one is stepping through rows further up the stack: this use
  // gets a statement of its own.
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    return failure("cannot prepare '" + sql + "'");
  auto own = new sqlite_statement{this, stmt, false};
  own->start(std::move(what));
  return db_statement{own};
}

bool sqlite_db::in_transaction() const noexcept {
  return sqlite3_get_autocommit(db_) == 0;
}

void sqlite_db::rollback() noexcept {
  // Some failures (e.g. a full disk) roll back on their own.
  if (!in_transaction())
    return;
  auto stmt = statement(dialect().rollback, "cannot roll back");
  if (stmt)
    static_cast<void>(stmt->run());
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
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql_dialect::journal_wal, -1, &stmt, nullptr)
        != SQLITE_OK)
      return self->failure("cannot switch to WAL mode");
    std::string mode;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      auto text = sqlite3_column_text(stmt, 0);
      mode = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return self->failure("cannot switch to WAL mode");
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

namespace {

// Closes a connection at the end of a scope.
struct connection_closer {
  void operator()(sqlite3* db) const noexcept {
    sqlite3_close(db);
  }
};

using connection_ptr = std::unique_ptr<sqlite3, connection_closer>;

} // namespace

caf::error sqlite_backup(const std::string& source, const std::string& dest) {
  auto fail = [&](const std::string& detail) {
    return caf::make_error(ec::storage_failure, "cannot back up " + source
                                                  + " to " + dest + ": "
                                                  + detail);
  };
  std::error_code fs_err;
  if (std::filesystem::exists(dest, fs_err))
    return fail("the file exists");
  if (!std::filesystem::exists(source, fs_err))
    return fail("no such file");
  sqlite3* raw = nullptr;
  auto rc = sqlite3_open_v2(source.c_str(), &raw, SQLITE_OPEN_READONLY,
                            nullptr);
  connection_ptr src{raw};
  if (rc != SQLITE_OK)
    return fail(raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  sqlite3_busy_timeout(src.get(), sql_dialect::busy_timeout_ms);
  raw = nullptr;
  rc = sqlite3_open_v2(dest.c_str(), &raw,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  connection_ptr out{raw};
  auto drop = [&](const std::string& detail) {
    out.reset();
    std::filesystem::remove(dest, fs_err);
    return fail(detail);
  };
  if (rc != SQLITE_OK)
    return drop(raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  auto backup = sqlite3_backup_init(out.get(), "main", src.get(), "main");
  if (backup == nullptr)
    return drop(sqlite3_errmsg(out.get()));
  // All pages in one step, under one read transaction of the source: the
  // copy is of one moment. Writers go on beside it (WAL); a step that
  // meets a lock is tried again for up to the busy timeout.
  for (int waited = 0;; waited += 10) {
    rc = sqlite3_backup_step(backup, -1);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
        || waited >= sql_dialect::busy_timeout_ms)
      break;
    sqlite3_sleep(10);
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE)
    return drop(sqlite3_errstr(rc));
  // The copy keeps the source's WAL mode in its header: make it one plain
  // file, then check it.
  char* msg = nullptr;
  if (sqlite3_exec(out.get(), "PRAGMA journal_mode = DELETE", nullptr, nullptr,
                   &msg)
      != SQLITE_OK) {
    std::string text = msg != nullptr ? msg : "cannot leave WAL mode";
    sqlite3_free(msg);
    return drop(text);
  }
  sqlite3_stmt* check = nullptr;
  std::string verdict;
  if (sqlite3_prepare_v2(out.get(), "PRAGMA quick_check", -1, &check, nullptr)
        == SQLITE_OK
      && sqlite3_step(check) == SQLITE_ROW) {
    auto text = sqlite3_column_text(check, 0);
    verdict = text != nullptr ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(check);
  if (verdict != "ok")
    return drop("the copy fails its check: " + verdict);
  return caf::none;
}

} // namespace retrain
