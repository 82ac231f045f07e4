#define CAF_SUITE sqlite_db
#include <caf/test/dsl.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sqlite3.h>
#include <unistd.h>

#include "retrain/registry_schema.hpp"
#include "retrain/sql_dialect.hpp"
#include "retrain/sqlite_db.hpp"

#include "store_support.hpp"
#include "temp_dir.hpp"

using namespace retrain;
using namespace retrain::test;

namespace fs = std::filesystem;

namespace {

const schema_migration notes_step = {
  1, "notes", "CREATE TABLE notes (id {id}, body {text} NOT NULL, n {int});"};

const schema_migration tag_step
  = {2, "notes.tag",
     "ALTER TABLE notes ADD COLUMN tag {text} NOT NULL DEFAULT "
     "'none';"};

const std::string insert_note = "INSERT INTO notes (body, n) VALUES ("
                                + sql_dialect::param(1) + ", "
                                + sql_dialect::param(2) + ")";

struct fixture {
  temp_dir dir{"retrain-sqlite"};

  std::string path() const {
    return (dir.path() / "test.db").string();
  }

  caf::expected<std::unique_ptr<sqlite_db>>
  try_open(const std::vector<schema_migration>& schema) {
    return sqlite_db::open("test db", dir.str(), "test.db", schema);
  }

  std::unique_ptr<sqlite_db> open(const std::vector<schema_migration>& schema) {
    auto result = try_open(schema);
    if (!result)
      CAF_FAIL("open failed: " << context_text(result.error()));
    return std::move(*result);
  }

  void insert(sqlite_db& db, const std::string& body, int64_t n) {
    auto stmt = db.statement(insert_note, "cannot insert a note");
    CAF_REQUIRE(stmt);
    stmt->bind(1, body);
    stmt->bind(2, n);
    if (auto err = stmt->run())
      CAF_FAIL("insert failed: " << context_text(err));
  }

  std::vector<std::string> rows(const std::string& sql) {
    return raw_rows(path(), sql);
  }
};

// Runs `sql` on the database file `db_path` through a connection of its own
// that does not wait for locks; returns SQLite's primary result code.
int try_exec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK)
    CAF_FAIL("cannot open " << db_path);
  sqlite3_busy_timeout(db, 0);
  auto rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc & 0xff;
}

// Returns the error text of opening the registry database in `data_dir`.
std::string registry_open_error(const std::string& data_dir) {
  auto result = open_registry_db(data_dir);
  return result ? std::string{"ok"} : context_text(result.error());
}

} // namespace

CAF_TEST(schema_sql replaces the type words only) {
  struct row {
    const char* portable;
    const char* sqlite;
    const char* postgresql;
  };
  for (auto& x : {
         row{"", "", ""},
         row{"x {int}", "x INTEGER", "x BIGINT"},
         row{"id {id}, t {text}",
             "id INTEGER PRIMARY KEY AUTOINCREMENT, t TEXT",
             "id BIGSERIAL PRIMARY KEY, t TEXT"},
         row{"{text}{int}", "TEXTINTEGER", "TEXTBIGINT"},
         row{"{ int} {other} {tex", "{ int} {other} {tex",
             "{ int} {other} {tex"},
       }) {
    CAF_CHECK_EQUAL(sql_dialect::sqlite().schema_sql(x.portable), x.sqlite);
    CAF_CHECK_EQUAL(sql_dialect::postgresql().schema_sql(x.portable),
                    x.postgresql);
  }
}

CAF_TEST(statement_sql spells parameters as the database does) {
  struct row {
    const char* portable;
    const char* postgresql;
  };
  for (auto& x : {
         row{"SELECT 1", "SELECT 1"},
         row{"WHERE a = ?1 AND b = ?12", "WHERE a = $1 AND b = $12"},
         row{"WHERE a = '?1' AND b = ?2", "WHERE a = '?1' AND b = $2"},
         row{"WHERE \"q?1\" = ?1", "WHERE \"q?1\" = $1"},
         row{"a ? b ?", "a ? b ?"},
         row{"?3", "$3"},
       }) {
    CAF_CHECK_EQUAL(sql_dialect::sqlite().statement_sql(x.portable),
                    x.portable);
    CAF_CHECK_EQUAL(sql_dialect::postgresql().statement_sql(x.portable),
                    x.postgresql);
  }
}

CAF_TEST_FIXTURE_SCOPE(sqlite_db_tests, fixture)

CAF_TEST(a new file gets every step and records the last) {
  auto db = open({notes_step, tag_step});
  CAF_CHECK_EQUAL(db->schema_version(), 2);
  CAF_CHECK_EQUAL(db->path(), path());
  CAF_CHECK_EQUAL(rows("PRAGMA user_version"), std::vector<std::string>{"2"});
  CAF_CHECK_EQUAL(rows("SELECT name, type FROM pragma_table_info('notes')"),
                  (std::vector<std::string>{"id|INTEGER", "body|TEXT",
                                            "n|INTEGER", "tag|TEXT"}));
  CAF_CHECK_EQUAL(rows("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  // FULL (2) is a setting of the connection, not of the file.
  auto sync = db->statement("PRAGMA synchronous", "cannot read synchronous");
  CAF_REQUIRE(sync);
  auto row = sync->step();
  CAF_REQUIRE(row && *row);
  CAF_CHECK_EQUAL(sync->int64_column(0), 2);
}

CAF_TEST(an older file gets the missing steps and keeps its rows) {
  {
    auto db = open({notes_step});
    CAF_CHECK_EQUAL(db->schema_version(), 1);
    insert(*db, "first", 1);
    insert(*db, "second", 2);
  }
  CAF_CHECK_EQUAL(rows("PRAGMA user_version"), std::vector<std::string>{"1"});
  auto db = open({notes_step, tag_step});
  CAF_CHECK_EQUAL(db->schema_version(), 2);
  CAF_CHECK_EQUAL(
    rows("SELECT id, body, n, tag FROM notes ORDER BY id"),
    (std::vector<std::string>{"1|first|1|none", "2|second|2|none"}));
  // Opening again applies nothing twice.
  db.reset();
  db = open({notes_step, tag_step});
  CAF_CHECK_EQUAL(rows("SELECT count(*) FROM notes"),
                  std::vector<std::string>{"2"});
}

CAF_TEST(a file newer than the build is refused) {
  open({notes_step, tag_step}).reset();
  auto result = try_open({notes_step});
  CAF_REQUIRE(!result);
  CAF_CHECK(has_code(result.error(), ec::storage_failure));
  CAF_CHECK_EQUAL(context_text(result.error()),
                  "test db " + path()
                    + ": schema version 2 is newer than 1, the one this "
                      "build knows");
  // Refusing changed nothing.
  CAF_CHECK_EQUAL(rows("PRAGMA user_version"), std::vector<std::string>{"2"});
}

CAF_TEST(a failing step leaves the file as it was) {
  schema_migration broken{2, "broken",
                          "CREATE TABLE extra (x {int}); CREATE TABLE oops ("};
  open({notes_step}).reset();
  auto result = try_open({notes_step, broken});
  CAF_REQUIRE(!result);
  CAF_CHECK(has_code(result.error(), ec::storage_failure));
  auto text = context_text(result.error());
  CAF_CHECK(contains(text, path()));
  CAF_CHECK(contains(text, "cannot apply schema migration 2 (broken)"));
  CAF_CHECK(contains(text, "incomplete input"));
  CAF_CHECK_EQUAL(rows("PRAGMA user_version"), std::vector<std::string>{"1"});
  CAF_CHECK_EQUAL(rows("SELECT name FROM sqlite_master WHERE name = 'extra'"),
                  std::vector<std::string>{});
  // On a new file, nothing at all is left.
  temp_dir other{"retrain-sqlite"};
  CAF_CHECK(
    !sqlite_db::open("test db", other.str(), "test.db", {notes_step, broken}));
  CAF_CHECK_EQUAL(raw_rows((other.path() / "test.db").string(),
                           "SELECT name FROM sqlite_master"),
                  std::vector<std::string>{});
}

CAF_TEST(steps out of order are refused) {
  auto result = try_open({notes_step, {3, "three", "SELECT 1"}});
  CAF_REQUIRE(!result);
  CAF_CHECK(
    contains(context_text(result.error()), "migration 2 has the number 3"));
}

CAF_TEST(a transaction rolls back unless committed) {
  auto db = open({notes_step});
  {
    auto tx = db->begin_write("cannot add notes");
    CAF_REQUIRE(tx);
    insert(*db, "dropped", 1);
    auto again = db->begin_write("cannot nest");
    CAF_REQUIRE(!again);
    CAF_CHECK(contains(context_text(again.error()),
                       "cannot nest: a transaction is already open"));
  }
  CAF_CHECK_EQUAL(rows("SELECT count(*) FROM notes"),
                  std::vector<std::string>{"0"});
  {
    auto tx = db->begin_write("cannot add notes");
    CAF_REQUIRE(tx);
    insert(*db, "kept", 1);
    insert(*db, "kept too", 2);
    // Another connection does not see them before the commit.
    CAF_CHECK_EQUAL(rows("SELECT count(*) FROM notes"),
                    std::vector<std::string>{"0"});
    CAF_CHECK(!tx->commit());
  }
  CAF_CHECK_EQUAL(rows("SELECT body FROM notes ORDER BY id"),
                  (std::vector<std::string>{"kept", "kept too"}));
  // The connection takes the next transaction.
  auto tx = db->begin_write("cannot add notes");
  CAF_CHECK(tx);
}

CAF_TEST(a write transaction takes the write lock at its start) {
  // A transaction that reads first and writes later (a registration reads
  // the latest version, then inserts the next) must hold the lock before
  // its read: had another connection written in between, it could neither
  // wait for the lock nor upgrade its stale read. Interleaved by hand: the
  // transaction has read nothing and written nothing yet.
  auto db = open({notes_step});
  const std::string other_write = "INSERT INTO notes (body) VALUES ('other')";
  auto tx = db->begin_write("cannot add notes");
  CAF_REQUIRE(tx);
  CAF_CHECK_EQUAL(try_exec(path(), other_write), SQLITE_BUSY);
  CAF_CHECK_EQUAL(try_exec(path(), "BEGIN IMMEDIATE"), SQLITE_BUSY);
  // Readers are not blocked (WAL).
  CAF_CHECK_EQUAL(rows("SELECT count(*) FROM notes"),
                  std::vector<std::string>{"0"});
  insert(*db, "mine", 1);
  CAF_CHECK(!tx->commit());
  CAF_CHECK_EQUAL(try_exec(path(), other_write), SQLITE_OK);
  CAF_CHECK_EQUAL(rows("SELECT body FROM notes ORDER BY id"),
                  (std::vector<std::string>{"mine", "other"}));
}

CAF_TEST(a cached statement works again after a failure) {
  auto db = open({notes_step});
  {
    // No body: the NOT NULL constraint refuses the row.
    auto stmt = db->statement(insert_note, "cannot insert a note");
    CAF_REQUIRE(stmt);
    stmt->bind(2, int64_t{1});
    auto err = stmt->run();
    CAF_REQUIRE(err);
    CAF_CHECK(has_code(err, ec::storage_failure));
    CAF_CHECK_EQUAL(context_text(err),
                    "test db " + path()
                      + ": cannot insert a note: NOT NULL constraint failed: "
                        "notes.body");
  }
  insert(*db, "fine", 1);
  {
    auto stmt = db->statement(insert_note, "cannot insert a note");
    CAF_REQUIRE(stmt);
    stmt->bind(7, int64_t{1});
    auto err = stmt->run();
    CAF_REQUIRE(err);
    CAF_CHECK(contains(context_text(err),
                       "cannot insert a note: cannot bind a parameter"));
  }
  insert(*db, "fine again", 2);
  CAF_CHECK_EQUAL(rows("SELECT body FROM notes ORDER BY id"),
                  (std::vector<std::string>{"fine", "fine again"}));
}

CAF_TEST(a statement stepping through rows may be used again inside) {
  auto db = open({notes_step});
  insert(*db, "a", 1);
  insert(*db, "b", 2);
  const std::string sql = "SELECT body FROM notes ORDER BY id";
  std::vector<std::string> pairs;
  auto outer = db->statement(sql, "outer");
  CAF_REQUIRE(outer);
  for (auto row = outer->step(); row && *row; row = outer->step()) {
    auto inner = db->statement(sql, "inner");
    CAF_REQUIRE(inner);
    for (auto r = inner->step(); r && *r; r = inner->step())
      pairs.push_back(outer->text_column(0) + inner->text_column(0));
  }
  CAF_CHECK_EQUAL(pairs, (std::vector<std::string>{"aa", "ab", "ba", "bb"}));
}

CAF_TEST(a step after the end does not run the statement again) {
  auto db = open({notes_step});
  auto stmt = db->statement(insert_note, "cannot insert a note");
  CAF_REQUIRE(stmt);
  stmt->bind(1, "once");
  stmt->bind(2, int64_t{1});
  CAF_CHECK(!stmt->run());
  auto row = stmt->step();
  CAF_REQUIRE(row);
  CAF_CHECK(!*row);
  CAF_CHECK(!stmt->run());
  CAF_CHECK_EQUAL(rows("SELECT count(*) FROM notes"),
                  std::vector<std::string>{"1"});
}

CAF_TEST(two connections to one file) {
  auto first = open({notes_step});
  auto second = open({notes_step});
  insert(*first, "from first", 1);
  insert(*second, "from second", 2);
  auto stmt = first->statement("SELECT count(*) FROM notes", "cannot count");
  CAF_REQUIRE(stmt);
  auto row = stmt->step();
  CAF_REQUIRE(row && *row);
  CAF_CHECK_EQUAL(stmt->int64_column(0), 2);
}

// -- opening the registry database --------------------------------------------

CAF_TEST(open creates missing data dirs) {
  auto nested = (dir.path() / "a" / "b").string();
  auto opened = open_registry_db(nested);
  CAF_REQUIRE(opened);
  CAF_CHECK_EQUAL((*opened)->path(), (dir.path() / "a" / "b" / "registry.db"));
  CAF_CHECK(fs::exists(dir.path() / "a" / "b" / "registry.db"));
  CAF_CHECK_EQUAL((*opened)->schema_version(),
                  static_cast<int>(registry_schema().size()));
}

CAF_TEST(an unusable data dir gives a clear error) {
  // A regular file where a directory must go: fails even for root.
  auto blocker = dir.path() / "blocker";
  std::ofstream{blocker} << "not a directory";
  auto below = (blocker / "data").string();
  auto err = registry_open_error(below);
  CAF_CHECK(contains(err, below));
  CAF_CHECK(contains(err, "cannot create the data dir"));
  // A directory where the database file must go.
  auto taken = dir.path() / "taken";
  fs::create_directories(taken / "registry.db");
  err = registry_open_error(taken.string());
  CAF_CHECK(contains(err, (taken / "registry.db").string()));
  CAF_CHECK(contains(err, "cannot open"));
  CAF_CHECK_EQUAL(registry_open_error(""),
                  "registry db: the data dir is empty");
  CAF_CHECK(has_code(open_registry_db("").error(), ec::invalid_config));
  // A directory nobody may create files in, root included.
  err = registry_open_error("/proc/1");
  CAF_CHECK(contains(err, "/proc/1/registry.db"));
  CAF_CHECK(contains(err, "cannot open"));
  CAF_CHECK(has_code(open_registry_db("/proc/1").error(), ec::storage_failure));
  // A directory without write permission (root may write anyway).
  if (geteuid() != 0) {
    auto locked = dir.path() / "locked";
    fs::create_directories(locked);
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    err = registry_open_error(locked.string());
    CAF_CHECK(contains(err, (locked / "registry.db").string()));
    CAF_CHECK(contains(err, "cannot open"));
    fs::permissions(locked, fs::perms::owner_all);
  }
}

CAF_TEST(a file that is no database gives a clear error) {
  auto junk = dir.path() / "junk";
  fs::create_directories(junk);
  std::ofstream{junk / "registry.db"} << std::string(4096, 'x');
  auto err = registry_open_error(junk.string());
  CAF_CHECK(contains(err, (junk / "registry.db").string()));
  CAF_CHECK(contains(err, "not a database"));
}

CAF_TEST(storage_error_text is the context of a store error) {
  auto result = open_registry_db("");
  CAF_REQUIRE(!result);
  CAF_CHECK_EQUAL(storage_error_text(result.error()),
                  "registry db: the data dir is empty");
}

CAF_TEST_FIXTURE_SCOPE_END()
