#include "retrain/database.hpp"

#include <utility>

#include <caf/message.hpp>

namespace retrain {

std::string storage_error_text(const caf::error& err) {
  auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return caf::to_string(err);
}

// -- statement_backend --------------------------------------------------------

statement_backend::~statement_backend() {
  // nop
}

// -- db_statement -------------------------------------------------------------

db_statement::db_statement(db_statement&& other) noexcept
  : impl_(std::exchange(other.impl_, nullptr)) {
  // nop
}

db_statement::~db_statement() {
  if (impl_ != nullptr)
    impl_->release();
}

caf::error db_statement::run() {
  return for_each_row([] { return caf::error{}; });
}

// -- db_transaction -----------------------------------------------------------

db_transaction::db_transaction(database* db, std::string what)
  : db_(db), what_(std::move(what)) {
  // nop
}

db_transaction::db_transaction(db_transaction&& other) noexcept
  : db_(std::exchange(other.db_, nullptr)), what_(std::move(other.what_)) {
  // nop
}

db_transaction::~db_transaction() {
  if (db_ != nullptr)
    db_->rollback();
}

caf::error db_transaction::commit() {
  if (db_ == nullptr)
    return caf::make_error(ec::storage_failure,
                           what_ + ": the transaction is over");
  if (auto err = db_->commit_write(what_))
    return err;
  db_ = nullptr;
  return caf::none;
}

// -- database -----------------------------------------------------------------

database::database(std::string label, std::string path,
                   const sql_dialect::dialect& dialect)
  : label_(std::move(label)), path_(std::move(path)), dialect_(&dialect) {
  // nop
}

database::~database() {
  // nop
}

std::string database::describe(const std::string& what) const {
  return label_ + " " + path_ + ": " + what;
}

caf::error database::failure(const std::string& what, const std::string& detail,
                             ec code) const {
  return caf::make_error(code, describe(what) + ": " + detail);
}

caf::error database::prepare(std::initializer_list<const std::string*> sqls) {
  for (auto sql : sqls)
    if (auto err = prepare(*sql))
      return err;
  return caf::none;
}

caf::expected<db_transaction> database::begin_write(std::string what) {
  if (in_transaction())
    return failure(what, "a transaction is already open");
  if (auto err = start_write(what)) {
    rollback();
    return err;
  }
  return db_transaction{this, std::move(what)};
}

caf::error database::start_write(const std::string& what) {
  return exec(dialect().begin_write, what);
}

caf::error database::commit_write(const std::string& what) {
  auto stmt = statement(dialect().commit, what);
  if (!stmt)
    return std::move(stmt.error());
  return stmt->run();
}

caf::error database::migrate(const std::vector<schema_migration>& schema) {
  for (size_t i = 0; i < schema.size(); ++i)
    if (schema[i].version != static_cast<int>(i) + 1)
      return failure("cannot check the schema",
                     "migration " + std::to_string(i + 1) + " has the number "
                       + std::to_string(schema[i].version));
  int latest = static_cast<int>(schema.size());
  // One write transaction, so that two processes opening a new database at
  // once do not both create the schema, and a failed step leaves the
  // database as it was.
  auto tx = begin_write("cannot start the schema check");
  if (!tx)
    return std::move(tx.error());
  if (*dialect().create_schema_version != '\0')
    if (auto err = exec(dialect().create_schema_version,
                        "cannot create the schema version table"))
      return err;
  int version = -1;
  {
    auto stmt = statement(dialect().read_schema_version,
                          "cannot read the schema version");
    if (!stmt)
      return std::move(stmt.error());
    auto row = stmt->step();
    if (!row)
      return std::move(row.error());
    if (*row)
      version = static_cast<int>(stmt->int64_column(0));
  }
  if (version < 0)
    return caf::make_error(ec::storage_failure,
                           describe("schema version " + std::to_string(version)
                                    + " is none this build knows"));
  if (version > latest)
    return caf::make_error(ec::storage_failure,
                           describe("schema version " + std::to_string(version)
                                    + " is newer than " + std::to_string(latest)
                                    + ", the one this build knows"));
  for (auto& step : schema) {
    if (step.version <= version)
      continue;
    auto what = "cannot apply schema migration " + std::to_string(step.version)
                + " (" + step.description + ")";
    if (auto err = exec(dialect().schema_sql(step.sql), what))
      return err;
    if (auto err = exec(dialect().write_schema_version(step.version), what))
      return err;
  }
  if (auto err = tx->commit())
    return err;
  schema_version_ = latest;
  return caf::none;
}

} // namespace retrain
