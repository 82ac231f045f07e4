#pragma once

// Helpers of the storage tests: raw access to a database file on a
// connection of the test's own, the parts of a store's error, model ids.

#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/test/dsl.hpp>
#include <sqlite3.h>

#include "retrain/core/model_id.hpp"
#include "retrain/ec.hpp"

namespace retrain::test {

/// Runs `sql` on the database file `db_path` through a connection of its own.
inline void raw_exec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK)
    CAF_FAIL("cannot open " << db_path);
  char* msg = nullptr;
  auto rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  std::string text = msg != nullptr ? msg : "";
  sqlite3_free(msg);
  sqlite3_close(db);
  if (rc != SQLITE_OK)
    CAF_FAIL("'" << sql << "' failed: " << text);
}

/// Returns the rows `sql` yields on the database file `db_path`, each with
/// its columns joined by '|'.
inline std::vector<std::string> raw_rows(const std::string& db_path,
                                         const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK)
    CAF_FAIL("cannot open " << db_path);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    std::string text = sqlite3_errmsg(db);
    sqlite3_close(db);
    CAF_FAIL("'" << sql << "' failed: " << text);
  }
  std::vector<std::string> result;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      if (i > 0)
        row += '|';
      auto text = sqlite3_column_text(stmt, i);
      if (text != nullptr)
        row += reinterpret_cast<const char*>(text);
    }
    result.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

/// Parses a model id the test spells correctly.
inline core::model_id mid(const std::string& str) {
  auto result = core::parse_model_id(str);
  if (!result)
    CAF_FAIL("bad model id in test: " << str);
  return *result;
}

/// Whether `err` carries the retrain error code `code`.
inline bool has_code(const caf::error& err, ec code) {
  return err.category() == caf::atom("retrain")
         && err.code() == static_cast<uint8_t>(code);
}

/// The text an error carries as its context, or an empty string.
inline std::string context_text(const caf::error& err) {
  auto& ctx = err.context();
  return ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0)
                                           : std::string{};
}

/// The schema the builds before numbered migrations wrote, word for word,
/// as they left it: `PRAGMA user_version = 1`. Frozen here, so a change to
/// migration 1 that would break their files fails the tests.
inline constexpr const char* registry_v1_sql = R"(
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

} // namespace retrain::test
