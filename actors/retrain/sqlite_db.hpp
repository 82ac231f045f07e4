#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/database.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace retrain {

class sqlite_statement;

/// One connection to a SQLite database file with WAL, `synchronous=FULL`, a
/// busy timeout, numbered schema migrations (applied at open and recorded
/// in the file header's `user_version`) and a cache of prepared statements.
class sqlite_db : public database {
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

  ~sqlite_db() override;

  caf::expected<db_statement> statement(const std::string& sql,
                                        std::string what) override;

  caf::error prepare(const std::string& sql) override;

  using database::prepare;

  caf::error exec(const std::string& sql, const std::string& what) override;

  caf::error failure(const std::string& what) const override;

  using database::failure;

  /// The raw connection, for tests.
  sqlite3* handle() const noexcept {
    return db_;
  }

protected:
  bool in_transaction() const noexcept override;

  void rollback() noexcept override;

private:
  friend class sqlite_statement;

  sqlite_db(std::string label, std::string path, sqlite3* db);

  sqlite3* db_;
  // The statements stay put while the map grows.
  std::unordered_map<std::string, std::unique_ptr<sqlite_statement>> cache_;
};

/// Copies the SQLite database file `source` into a new file `dest` with
/// SQLite's online backup API, on a read-only connection of its own: a
/// consistent copy of one moment, taken while other connections (e.g. a
/// running coordinator) go on writing, since WAL lets them. The copy is a
/// plain rollback-journal file that passes `PRAGMA quick_check`. Refuses a
/// `dest` that exists; leaves none behind on failure.
caf::error sqlite_backup(const std::string& source, const std::string& dest);

} // namespace retrain
