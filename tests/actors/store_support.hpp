#pragma once

// Helpers of the storage tests: raw access to a database file on a
// connection of the test's own, the parts of a store's error, model ids.

#include <cstdlib>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/test/dsl.hpp>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "retrain/core/model_id.hpp"
#include "retrain/ec.hpp"

namespace retrain::test {

/// Runs `sql` on the SQLite file `db_path` through a connection of its own.
inline void sqlite_exec(const std::string& db_path, const std::string& sql) {
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

/// Returns the rows `sql` yields on the SQLite file `db_path`, each with
/// its columns joined by '|'.
inline std::vector<std::string> sqlite_rows(const std::string& db_path,
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

/// Whether the store tests run on PostgreSQL: `RETRAIN_TEST_PG_URL` names a
/// server (the PostgreSQL variants of scripts/test set it, see
/// tests/e2e/pg_server.py).
inline bool on_postgresql() {
  auto url = std::getenv("RETRAIN_TEST_PG_URL");
  return url != nullptr && *url != '\0';
}

/// Whether `where` (a store's `path()`) is a PostgreSQL URL.
inline bool is_pg(const std::string& where) {
  return where.rfind("postgresql://", 0) == 0;
}

/// Returns the rows `sql` yields on the PostgreSQL database `url`, each
/// with its columns joined by '|'.
inline std::vector<std::string> pg_rows(const std::string& url,
                                        const std::string& sql) {
  auto conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string text = PQerrorMessage(conn);
    PQfinish(conn);
    CAF_FAIL("cannot connect to " << url << ": " << text);
  }
  PQsetNoticeProcessor(
    conn, [](void*, const char*) {}, nullptr);
  auto res = PQexec(conn, sql.c_str());
  auto status = PQresultStatus(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string text = PQresultErrorMessage(res);
    PQclear(res);
    PQfinish(conn);
    CAF_FAIL("'" << sql << "' failed: " << text);
  }
  std::vector<std::string> result;
  for (int r = 0; r < PQntuples(res); ++r) {
    std::string row;
    for (int i = 0; i < PQnfields(res); ++i) {
      if (i > 0)
        row += '|';
      row += PQgetvalue(res, r, i);
    }
    result.push_back(std::move(row));
  }
  PQclear(res);
  PQfinish(conn);
  return result;
}

/// Runs `sql` on the database `where` (a SQLite file or a PostgreSQL URL)
/// through a connection of its own.
inline void raw_exec(const std::string& where, const std::string& sql) {
  if (is_pg(where))
    pg_rows(where, sql);
  else
    sqlite_exec(where, sql);
}

/// Returns the rows `sql` yields on the database `where`, each with its
/// columns joined by '|'.
inline std::vector<std::string> raw_rows(const std::string& where,
                                         const std::string& sql) {
  return is_pg(where) ? pg_rows(where, sql) : sqlite_rows(where, sql);
}

/// The registry URL the store tests of `data_dir` use: with
/// `RETRAIN_TEST_PG_URL` set, a new PostgreSQL database of that server,
/// one per data dir (so a reopen finds the same one); else empty, SQLite
/// in the data dir.
inline std::string registry_url(const std::string& data_dir) {
  if (!on_postgresql())
    return {};
  static std::map<std::string, std::string> urls;
  auto& url = urls[data_dir];
  if (url.empty()) {
    static int count = 0;
    auto admin = std::string{std::getenv("RETRAIN_TEST_PG_URL")};
    auto name = "t_" + std::to_string(::getpid()) + "_"
                + std::to_string(++count);
    pg_rows(admin, "CREATE DATABASE " + name);
    url = admin.substr(0, admin.rfind('/') + 1) + name;
  }
  return url;
}

/// Makes the database `where` refuse `what` (e.g. `INSERT ON jobs`) with
/// `message`, as a full disk would.
inline void refuse_writes(const std::string& where, const std::string& what,
                          const std::string& message) {
  if (is_pg(where))
    raw_exec(where, "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION '"
                      + message + "'; END$$; CREATE TRIGGER refuse BEFORE "
                      + what + " FOR EACH ROW EXECUTE FUNCTION refuse()");
  else
    raw_exec(where, "CREATE TRIGGER refuse BEFORE " + what
                      + " BEGIN SELECT RAISE(FAIL, '" + message + "'); END");
}

/// Undoes `refuse_writes(where, what, ...)`.
inline void allow_writes(const std::string& where, const std::string& what) {
  if (is_pg(where))
    raw_exec(where,
             "DROP TRIGGER refuse ON " + what.substr(what.rfind(' ') + 1));
  else
    raw_exec(where, "DROP TRIGGER refuse");
}

/// Records `version` as the schema version of the database `where`.
inline void set_schema_version(const std::string& where, int version) {
  if (is_pg(where))
    raw_exec(where,
             "UPDATE schema_version SET version = " + std::to_string(version));
  else
    raw_exec(where, "PRAGMA user_version = " + std::to_string(version));
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
