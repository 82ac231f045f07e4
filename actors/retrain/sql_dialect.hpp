#pragma once

#include <string>
#include <string_view>

namespace retrain::sql_dialect {

// Every spelling of SQL that SQLite and PostgreSQL do not share, in one
// place: the stores and the schema migrations write portable SQL and take
// the rest from here. What they already share is used as is: `INSERT ...
// RETURNING` (SQLite >= 3.35), `ON CONFLICT (...) DO UPDATE SET x =
// excluded.x` (SQLite >= 3.24), `CREATE ... IF NOT EXISTS`, `CHECK`.
//
// Portable SQL spells parameters `?1`, `?2`, ... (`param`); a PostgreSQL
// connection turns them into `$1`, `$2`, ... as it prepares a statement
// (`dialect::statement_sql`), so one string serves both databases.

/// The key of the advisory lock every PostgreSQL write transaction takes
/// (`dialect::begin_write`), and that a coordinator taking over ends stuck
/// holders of; it spells "retrain" in ASCII.
inline constexpr long long pg_write_lock_key = 32199698154613102;

/// Parameter `index` (1-based) in a statement, as portable SQL spells it.
inline std::string param(int index) {
  return "?" + std::to_string(index);
}

/// The SQL of one database engine.
struct dialect {
  /// `sqlite` or `postgresql`.
  const char* name;

  /// Starts a write transaction that takes the write lock at once: a
  /// deferred one that reads first could not upgrade once another
  /// connection has written. On PostgreSQL every write transaction takes
  /// one transaction-level advisory lock, so that writes are serialized
  /// across connections (and coordinators) as SQLite serializes them.
  const char* begin_write;

  /// Ends a transaction.
  const char* commit;

  /// Undoes a transaction.
  const char* rollback;

  /// Creates where the number of the last schema migration is kept, if the
  /// database needs a table for it (empty: nothing to create).
  const char* create_schema_version;

  /// Reads the number of the last schema migration applied (0 for a new
  /// database). It changes with the transaction that applies a migration.
  const char* read_schema_version;

  /// The column (list) that orders a table's rows by insertion; on
  /// PostgreSQL, which has no row id, the creation time then the job id.
  const char* insertion_order;

  /// Records `version` as the last schema migration applied.
  std::string write_schema_version(int version) const;

  /// Makes the next id that the `{id}` column `id` of `table` assigns
  /// `first`, if the table has never assigned one (parameter 1:
  /// `first - 1`).
  std::string seed_ids(std::string_view table) const;

  /// Replaces the type words of a migration's SQL: `{id}` (a 64-bit integer
  /// primary key the database assigns, never reusing a value), `{int}` (a
  /// 64-bit integer) and `{text}`.
  std::string schema_sql(std::string_view portable) const;

  /// The SQL of a portable statement as this database takes it: the
  /// parameters `?N` outside quotes become `$N` on PostgreSQL.
  std::string statement_sql(std::string_view portable) const;
};

/// SQLite's SQL.
const dialect& sqlite();

/// PostgreSQL's SQL (version 12 or newer).
const dialect& postgresql();

// SQLite-only settings of a connection.

/// Switches to write-ahead logging; answers with the mode in effect.
inline constexpr const char* journal_wal = "PRAGMA journal_mode = WAL";

/// The journal mode `journal_wal` must answer with.
inline constexpr const char* wal_mode = "wal";

/// A commit returns once the data is on disk.
inline constexpr const char* synchronous_full = "PRAGMA synchronous = FULL";

/// How long a write waits for another connection's write lock before
/// failing, in milliseconds.
inline constexpr int busy_timeout_ms = 5000;

} // namespace retrain::sql_dialect
