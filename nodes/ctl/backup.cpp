// retrain-ctl backup: a consistent copy of a SQLite registry while its
// coordinator runs.

#include <filesystem>
#include <ostream>
#include <string>

#include <sqlite3.h>

#include "ctl/commands.hpp"
#include "retrain/database.hpp"
#include "retrain/defaults.hpp"
#include "retrain/sqlite_db.hpp"

namespace retrain::ctl {

namespace {

// Returns the count `sql` yields on the SQLite file `path`, or -1.
int64_t count_rows(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  int64_t result = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr)
      == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW)
      result = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return result;
}

} // namespace

int run_backup(const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err) {
  std::string data_dir{defaults::data_dir};
  std::string dest;
  for (auto& arg : args) {
    if (arg.rfind("--data-dir=", 0) == 0) {
      data_dir = arg.substr(11);
    } else if (arg.size() > 1 && arg[0] == '-') {
      err << "retrain-ctl: backup: unknown option '" << arg << "'\n";
      return usage;
    } else if (dest.empty()) {
      dest = arg;
    } else {
      err << "retrain-ctl: backup takes one FILE\n";
      return usage;
    }
  }
  if (dest.empty() || data_dir.empty()) {
    err << "retrain-ctl: backup needs a FILE (and a non-empty "
           "--data-dir=DIR)\n";
    return usage;
  }
  auto source = (std::filesystem::path{data_dir} / "registry.db").string();
  if (auto failure = sqlite_backup(source, dest)) {
    err << "retrain-ctl: " << storage_error_text(failure) << '\n';
    return refused;
  }
  out << "backed up " << source << " to " << dest << ": "
      << count_rows(dest, "SELECT COUNT(*) FROM versions") << " versions, "
      << count_rows(dest, "SELECT COUNT(*) FROM jobs") << " jobs\n";
  return ok;
}

} // namespace retrain::ctl
