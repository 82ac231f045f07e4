#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/ec.hpp"
#include "retrain/sql_dialect.hpp"
#include "retrain/write_fence.hpp"

namespace retrain {

class database;

/// The text of an error from a store: "<label> <where>: <what>: <detail>"
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
  /// of the dialect go (`sql_dialect::dialect::schema_sql`).
  const char* sql;
};

/// What a database engine does for one use of a prepared statement; a
/// `db_statement` drives it. Implemented by each backend.
class statement_backend {
public:
  virtual ~statement_backend();

  /// Binds parameter `index` (1-based). A failure shows in the next `step`.
  virtual void bind(int index, int64_t x) = 0;

  /// Binds parameter `index` (1-based) to a copy of `x`. A failure shows in
  /// the next `step`.
  virtual void bind(int index, std::string_view x) = 0;

  /// Steps to the next row: true when there is one, false at the end (and
  /// on every call after it).
  virtual caf::expected<bool> step() = 0;

  /// Reads column `index` (0-based) of the current row as an integer.
  virtual int64_t int64_column(int index) const = 0;

  /// Reads column `index` (0-based) of the current row as text.
  virtual std::string text_column(int index) const = 0;

  /// A storage failure naming the database, what this statement does and
  /// `detail`.
  virtual caf::error failure(const std::string& detail) const = 0;

  /// A storage failure naming the database, what this statement does and
  /// the database's last message.
  virtual caf::error failure() const = 0;

  /// Ends this use: resets a cached statement for its next use (dropping
  /// its bindings and ending its read) or frees one of its own.
  virtual void release() noexcept = 0;
};

/// One use of a prepared statement: bind parameters, step through rows,
/// read columns. Leaving the scope resets the statement and drops its
/// bindings, which ends its read transaction and readies a cached statement
/// for its next use, after a failure too. Must not outlive its database.
class db_statement {
public:
  /// Drives `impl` until it leaves the scope.
  explicit db_statement(statement_backend* impl) noexcept : impl_(impl) {
    // nop
  }

  db_statement(db_statement&& other) noexcept;

  db_statement(const db_statement&) = delete;
  db_statement& operator=(const db_statement&) = delete;
  db_statement& operator=(db_statement&&) = delete;

  ~db_statement();

  /// Binds parameter `index` (1-based). A failure shows in the next `step`.
  void bind(int index, int64_t x) {
    impl_->bind(index, x);
  }

  /// Binds parameter `index` (1-based) to a copy of `x`. A failure shows in
  /// the next `step`.
  void bind(int index, std::string_view x) {
    impl_->bind(index, x);
  }

  /// Steps to the next row: true when there is one, false at the end (and
  /// on every call after it).
  caf::expected<bool> step() {
    return impl_->step();
  }

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
  int64_t int64_column(int index) const {
    return impl_->int64_column(index);
  }

  /// Reads column `index` (0-based) of the current row as text.
  std::string text_column(int index) const {
    return impl_->text_column(index);
  }

  /// A storage failure naming the database, what this statement does and
  /// the database's last message.
  caf::error failure() const {
    return impl_->failure();
  }

  /// A storage failure naming the database, what this statement does and
  /// `detail`.
  caf::error failure(const std::string& detail) const {
    return impl_->failure(detail);
  }

private:
  statement_backend* impl_;
};

/// A write transaction that rolls back unless committed. Must not outlive
/// its database.
class db_transaction {
public:
  db_transaction(db_transaction&& other) noexcept;

  db_transaction(const db_transaction&) = delete;
  db_transaction& operator=(const db_transaction&) = delete;
  db_transaction& operator=(db_transaction&&) = delete;

  ~db_transaction();

  /// Makes every change since the start durable, or fails and leaves the
  /// transaction to roll back.
  caf::error commit();

private:
  friend class database;

  db_transaction(database* db, std::string what);

  database* db_;
  std::string what_;
};

/// One connection to a database (a SQLite file or a PostgreSQL server) with
/// numbered schema migrations (applied at open and recorded in the
/// database) and a cache of prepared statements. The stores use nothing
/// else, so every store works on every backend.
///
/// Every call blocks on I/O: only an actor spawned `detached` may own one.
/// A connection is used by one thread at a time; several connections (in
/// one or more processes) may open the same database. No call throws:
/// failures are `ec::storage_failure` errors whose text names the
/// database, what failed and what the engine said.
class database {
public:
  virtual ~database();

  database(const database&) = delete;
  database& operator=(const database&) = delete;

  /// Where the database is: the path of a SQLite file, or the URL of a
  /// PostgreSQL database without its password.
  const std::string& path() const noexcept {
    return path_;
  }

  /// The SQL spellings of this database.
  const sql_dialect::dialect& dialect() const noexcept {
    return *dialect_;
  }

  /// The schema version of the database, i.e. the last migration applied.
  int schema_version() const noexcept {
    return schema_version_;
  }

  /// Prepares portable `sql` for one use; `what` says what it does in
  /// error texts. The prepared statement is cached by its text and reused:
  /// hold the SQL of a recurring statement, do not rebuild it with values
  /// in it.
  virtual caf::expected<db_statement>
  statement(const std::string& sql, std::string what) = 0;

  /// Prepares portable `sql` into the cache now, so that a statement that
  /// cannot work fails at start-up rather than at first use.
  virtual caf::error prepare(const std::string& sql) = 0;

  /// Prepares each of `sqls` into the cache now.
  caf::error prepare(std::initializer_list<const std::string*> sqls);

  /// Runs `sql` (any number of statements in this database's own SQL, no
  /// parameters, no results) without caching it.
  virtual caf::error exec(const std::string& sql, const std::string& what) = 0;

  /// Starts a write transaction (`dialect().begin_write`); `what` says what
  /// it is for in error texts. Transactions do not nest.
  caf::expected<db_transaction> begin_write(std::string what);

  /// A storage failure: "<label> <where>: <what>: <the engine's last
  /// message>".
  virtual caf::error failure(const std::string& what) const = 0;

  /// A failure with code `code`: "<label> <where>: <what>: <detail>".
  caf::error failure(const std::string& what, const std::string& detail,
                     ec code = ec::storage_failure) const;

  /// Fences every later write transaction with `fence`: it fails unless
  /// the coordinator lease is at the fence's epoch (checked inside the
  /// transaction, after the write lock). Only a PostgreSQL registry has a
  /// lease; SQLite ignores the fence (one coordinator owns its file).
  void fence_writes(std::shared_ptr<write_fence> fence) {
    fence_ = std::move(fence);
  }

  /// The fence of the write transactions, or null.
  const std::shared_ptr<write_fence>& fence() const noexcept {
    return fence_;
  }

protected:
  /// `label` starts every error text, e.g. `registry db`; `path` says where
  /// the database is.
  database(std::string label, std::string path,
           const sql_dialect::dialect& dialect);

  /// Whether a transaction is open on this connection.
  virtual bool in_transaction() const noexcept = 0;

  /// Starts a write transaction (`dialect().begin_write`).
  virtual caf::error start_write(const std::string& what);

  /// Commits the open transaction (`dialect().commit`).
  virtual caf::error commit_write(const std::string& what);

  /// Ends the open transaction, if any, ignoring failures.
  virtual void rollback() noexcept = 0;

  /// "<label> <where>: <what>".
  std::string describe(const std::string& what) const;

  /// Brings the schema to the last step of `schema` in one write
  /// transaction; refuses a database whose schema is newer.
  caf::error migrate(const std::vector<schema_migration>& schema);

  /// The fence of the write transactions, or null.
  std::shared_ptr<write_fence> fence_;

private:
  friend class db_transaction;

  std::string label_;
  std::string path_;
  const sql_dialect::dialect* dialect_;
  int schema_version_ = 0;
};

} // namespace retrain
