#pragma once

#include <string>
#include <string_view>

namespace retrain::sql_dialect {

// Every spelling of SQL that SQLite and PostgreSQL do not share, in one
// place: the stores and the schema migrations write portable SQL and take
// the rest from here. What they already share is used as is: `INSERT ...
// RETURNING` (SQLite >= 3.35), `ON CONFLICT (...) DO UPDATE SET x =
// excluded.x` (SQLite >= 3.24), `CREATE ... IF NOT EXISTS`, `CHECK`.

/// Starts a write transaction that takes the write lock at once: a
/// deferred one that reads first could not upgrade once another connection
/// has written.
inline constexpr const char* begin_write = "BEGIN IMMEDIATE";

/// Ends a transaction.
inline constexpr const char* commit = "COMMIT";

/// Undoes a transaction.
inline constexpr const char* rollback = "ROLLBACK";

/// Switches to write-ahead logging; answers with the mode in effect.
inline constexpr const char* journal_wal = "PRAGMA journal_mode = WAL";

/// The journal mode `journal_wal` must answer with.
inline constexpr const char* wal_mode = "wal";

/// A commit returns once the data is on disk.
inline constexpr const char* synchronous_full = "PRAGMA synchronous = FULL";

/// Reads the number of the last schema migration applied (0 for a new
/// database). SQLite keeps it in the file header, where it changes with the
/// transaction that applies a migration.
inline constexpr const char* read_schema_version = "PRAGMA user_version";

/// Records `version` as the last schema migration applied.
inline std::string write_schema_version(int version) {
  return "PRAGMA user_version = " + std::to_string(version);
}

/// How long a write waits for another connection's write lock before
/// failing, in milliseconds.
inline constexpr int busy_timeout_ms = 5000;

/// Makes the next id that `{id}` column of `table` assigns `first`, if the
/// table has never assigned one (parameter 1: `first - 1`).
inline std::string seed_ids(std::string_view table) {
  return "INSERT INTO sqlite_sequence (name, seq) SELECT '" + std::string{table}
         + "', ?1 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name "
           "= '"
         + std::string{table} + "')";
}

/// The column that orders a table's rows by insertion.
inline constexpr const char* insertion_order = "rowid";

/// Parameter `index` (1-based) in a statement.
inline std::string param(int index) {
  return "?" + std::to_string(index);
}

/// Replaces the type words of a migration's SQL: `{id}` (a 64-bit integer
/// primary key the database assigns, never reusing a value), `{int}` (a
/// 64-bit integer) and `{text}`.
inline std::string schema_sql(std::string_view portable) {
  struct word {
    std::string_view from;
    std::string_view to;
  };
  static constexpr word words[] = {
    {"{id}", "INTEGER PRIMARY KEY AUTOINCREMENT"},
    {"{int}", "INTEGER"},
    {"{text}", "TEXT"},
  };
  std::string result;
  result.reserve(portable.size());
  while (!portable.empty()) {
    auto replaced = false;
    for (auto& w : words) {
      if (portable.substr(0, w.from.size()) == w.from) {
        result += w.to;
        portable.remove_prefix(w.from.size());
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      result += portable.front();
      portable.remove_prefix(1);
    }
  }
  return result;
}

} // namespace retrain::sql_dialect
