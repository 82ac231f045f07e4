#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/ec.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace retrain {

class sqlite_db;

/// The text of an error from a store: "<label> <path>: <what>: <detail>"
/// without the code, as the logs show it. Any other error is rendered
/// whole.
std::string storage_error_text(const caf::error& err);

/// One numbered step of a database schema. A released step never changes:
/// a change to the schema is a new step with the next number.
struct schema_migration {
  /// The schema version the step produces: 1 for the first, then 2, 3, ...
  int version;
  /// What the step does, for error messages.
  const char* description;
  /// Portable SQL, with `{id}`, `{int}` and `{text}` where the type names
  /// of the dialect go (`sql_dialect::schema_sql`).
  const char* sql;
};

/// One use of a prepared statement: bind parameters, step through rows,
/// read columns. Leaving the scope resets the statement and drops its
/// bindings, which ends its read transaction and readies a cached statement
/// for its next use, after a failure too. Must not outlive its database.
class sqlite_statement {
public:
  sqlite_statement(sqlite_statement&& other) noexcept;

  sqlite_statement(const sqlite_statement&) = delete;
  sqlite_statement& operator=(const sqlite_statement&) = delete;
  sqlite_statement& operator=(sqlite_statement&&) = delete;

  ~sqlite_statement();

  /// Binds parameter `index` (1-based). A failure shows in the next `step`.
  void bind(int index, int64_t x);

  /// Binds parameter `index` (1-based) to a copy of `x`. A failure shows in
  /// the next `step`.
  void bind(int index, std::string_view x);

  /// Steps to the next row: true when there is one, false at the end (and
  /// on every call after it).
  caf::expected<bool> step();

  /// Steps through the rows and calls `f()` on each, which reads the row
  /// and returns an error to stop. Returns the first error of a step or of
  /// `f`.
  template <class F>
  caf::error for_each_row(F f) {
    for (;;) {
      auto row = step();
      if (!row)
        return std::move(row.error());
      if (!*row)
        return caf::none;
      if (auto err = f())
        return err;
    }
  }

  /// Steps through to the end, skipping any rows left. For a write outside
  /// a transaction, success means it is committed (a write with `RETURNING`
  /// commits at its end, not at its row).
  caf::error run();

  /// Reads column `index` (0-based) of the current row as an integer.
  int64_t int64_column(int index) const;

  /// Reads column `index` (0-based) of the current row as text.
  std::string text_column(int index) const;

  /// A storage failure naming the database, what this statement does and
  /// SQLite's last message.
  caf::error failure() const;

  /// A storage failure naming the database, what this statement does and
  /// `detail`.
  caf::error failure(const std::string& detail) const;

private:
  friend class sqlite_db;

  sqlite_statement(const sqlite_db* db, sqlite3_stmt* stmt, bool* in_use,
                   std::string what);

  const sqlite_db* db_;
  sqlite3_stmt* stmt_;
  // The cache entry's "in use" flag, or null for a statement this use owns.
  bool* in_use_;
  // The first failed bind, or SQLITE_OK.
  int bind_rc_;
  // Whether a step reached the end.
  bool done_;
  std::string what_;
};

/// A write transaction that rolls back unless committed. Must not outlive
/// its database.
class sqlite_transaction {
public:
  sqlite_transaction(sqlite_transaction&& other) noexcept;

  sqlite_transaction(const sqlite_transaction&) = delete;
  sqlite_transaction& operator=(const sqlite_transaction&) = delete;
  sqlite_transaction& operator=(sqlite_transaction&&) = delete;

  ~sqlite_transaction();

  /// Makes every change since the start durable, or fails and leaves the
  /// transaction to roll back.
  caf::error commit();

private:
  friend class sqlite_db;

  sqlite_transaction(sqlite_db* db, std::string what);

  sqlite_db* db_;
  std::string what_;
};

/// One connection to a SQLite database file with WAL, `synchronous=FULL`, a
/// busy timeout, numbered schema migrations (applied at open and recorded
/// in the file) and a cache of prepared statements.
///
/// Every call blocks on disk I/O: only an actor spawned `detached` may own
/// one. A connection is used by one thread at a time; several connections
/// (in one or more processes) may open the same file. No call throws:
/// failures are `ec::storage_failure` errors whose text names the file,
/// what failed and what SQLite said.
class sqlite_db {
public:
  /// Opens or creates `<data_dir>/<file_name>`, creating `data_dir` as
  /// needed, and brings its schema to the last step of `schema` in one
  /// write transaction. Refuses a file whose schema is newer than `schema`
  /// and a file system where WAL is impossible. `label` starts every error
  /// text, e.g. `registry db`.
  static caf::expected<std::unique_ptr<sqlite_db>>
  open(std::string label, const std::string& data_dir,
       const std::string& file_name,
       const std::vector<schema_migration>& schema);

  ~sqlite_db();

  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;

  /// The path of the database file.
  const std::string& path() const noexcept {
    return path_;
  }

  /// The schema version of the file, i.e. the last migration applied.
  int schema_version() const noexcept {
    return schema_version_;
  }

  /// Prepares `sql` for one use; `what` says what it does in error texts.
  /// The prepared statement is cached by its text and reused: hold the SQL
  /// of a recurring statement, do not rebuild it with values in it.
  caf::expected<sqlite_statement> statement(const std::string& sql,
                                            std::string what);

  /// Prepares `sql` into the cache now, so that a statement that cannot
  /// work fails at start-up rather than at first use.
  caf::error prepare(const std::string& sql);

  /// Prepares each of `sqls` into the cache now.
  caf::error prepare(std::initializer_list<const std::string*> sqls);

  /// Starts a write transaction (`sql_dialect::begin_write`); `what` says
  /// what it is for in error texts. Transactions do not nest.
  caf::expected<sqlite_transaction> begin_write(std::string what);

  /// Runs `sql` (any number of statements, no results) without caching it.
  caf::error exec(const std::string& sql, const std::string& what);

  /// A storage failure: "<label> <path>: <what>: <SQLite's last message>".
  caf::error failure(const std::string& what) const;

  /// A failure with code `code`: "<label> <path>: <what>: <detail>".
  caf::error failure(const std::string& what, const std::string& detail,
                     ec code = ec::storage_failure) const;

private:
  friend class sqlite_statement;
  friend class sqlite_transaction;

  struct cache_entry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  sqlite_db(std::string label, std::string path, sqlite3* db);

  caf::error migrate(const std::vector<schema_migration>& schema);

  // Prepares `sql` for one use without caching it.
  caf::expected<sqlite_statement> uncached(const std::string& sql,
                                           std::string what);

  // "<label> <path>: <what>".
  std::string describe(const std::string& what) const;

  // Ends the open transaction, if any, ignoring failures.
  void rollback() noexcept;

  std::string label_;
  std::string path_;
  sqlite3* db_;
  int schema_version_ = 0;
  // Node-based: the "in use" flags stay put while the map grows.
  std::unordered_map<std::string, cache_entry> cache_;
};

} // namespace retrain
