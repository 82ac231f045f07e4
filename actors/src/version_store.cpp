#include "retrain/version_store.hpp"

#include <utility>

#include "retrain/core/semver.hpp"
#include "retrain/registry_schema.hpp"
#include "retrain/sql_dialect.hpp"
#include "retrain/sql_table.hpp"

namespace retrain {

namespace {

// The one mapping between the columns of `versions` and `model_version`.
const auto versions_table = make_sql_table<model_version>("versions",
                                                          model_version_fields);

const std::string by_job_sql
  = versions_table.select_sql("WHERE job_id = " + sql_dialect::param(1));

// Oldest first; the order of insertion is a dialect's.
std::string of_line_sql(const sql_dialect::dialect& dialect) {
  return versions_table.select_sql("WHERE line = " + sql_dialect::param(1)
                                   + " ORDER BY " + dialect.insertion_order);
}

const std::string texts_of_line_sql
  = "SELECT version FROM versions WHERE line = " + sql_dialect::param(1);

const std::string all_texts_sql = "SELECT line, version FROM versions";

const std::string insert_sql = versions_table.insert_sql();

using latest_entry = std::optional<std::pair<core::semver, std::string>>;

// Keeps the greater of `latest` and `candidate`, a version read from `stmt`,
// by semver precedence.
caf::error keep_latest(const db_statement& stmt, latest_entry& latest,
                       const std::string& line, std::string candidate) {
  auto parsed = core::parse_semver(candidate);
  if (!parsed)
    return stmt.failure("line " + line + " has the unreadable version '"
                        + candidate + "': " + parsed.error().message);
  if (!latest || core::compare(latest->first, *parsed) < 0)
    latest.emplace(std::move(*parsed), std::move(candidate));
  return caf::none;
}

} // namespace

version_store::version_store(std::unique_ptr<database> db)
  : db_(std::move(db)), of_line_sql_(of_line_sql(db_->dialect())) {
  // nop
}

caf::expected<std::unique_ptr<version_store>>
version_store::make(std::unique_ptr<database> db) {
  auto of_line = of_line_sql(db->dialect());
  if (auto err = db->prepare({&by_job_sql, &of_line, &texts_of_line_sql,
                              &all_texts_sql, &insert_sql}))
    return err;
  return std::unique_ptr<version_store>{new version_store(std::move(db))};
}

caf::expected<std::unique_ptr<version_store>>
version_store::open(const std::string& data_dir, const std::string& url,
                    std::shared_ptr<write_fence> fence) {
  auto db = open_registry_db(data_dir, url, std::move(fence));
  if (!db)
    return std::move(db.error());
  return make(std::move(*db));
}

caf::expected<std::optional<model_version>>
version_store::version_of_job(uint64_t job_id) {
  auto stmt = db_->statement(by_job_sql, "cannot read the version of job "
                                           + std::to_string(job_id));
  if (!stmt)
    return std::move(stmt.error());
  sql_value<uint64_t>::bind(*stmt, 1, job_id);
  auto rows = versions_table.read_all(*stmt);
  if (!rows)
    return std::move(rows.error());
  if (rows->empty())
    return std::optional<model_version>{};
  return std::optional<model_version>{std::move(rows->front())};
}

caf::expected<std::vector<model_version>>
version_store::versions(const std::string& line) {
  auto stmt = db_->statement(of_line_sql_,
                             "cannot read the versions of " + line);
  if (!stmt)
    return std::move(stmt.error());
  stmt->bind(1, line);
  return versions_table.read_all(*stmt);
}

caf::expected<std::optional<std::string>>
version_store::latest_version(const std::string& line) {
  auto stmt = db_->statement(texts_of_line_sql,
                             "cannot read the versions of " + line);
  if (!stmt)
    return std::move(stmt.error());
  stmt->bind(1, line);
  latest_entry latest;
  auto err = stmt->for_each_row(
    [&] { return keep_latest(*stmt, latest, line, stmt->text_column(0)); });
  if (err)
    return err;
  if (!latest)
    return std::optional<std::string>{};
  return std::optional<std::string>{std::move(latest->second)};
}

caf::expected<std::map<std::string, std::string>>
version_store::latest_versions() {
  return latest_versions(*db_);
}

caf::expected<std::map<std::string, std::string>>
version_store::latest_versions(database& db) {
  auto stmt = db.statement(all_texts_sql, "cannot read the versions");
  if (!stmt)
    return std::move(stmt.error());
  std::map<std::string, latest_entry> latest;
  auto err = stmt->for_each_row([&] {
    auto line = stmt->text_column(0);
    return keep_latest(*stmt, latest[line], line, stmt->text_column(1));
  });
  if (err)
    return err;
  std::map<std::string, std::string> result;
  for (auto& [line, entry] : latest)
    result.emplace(line, std::move(entry->second));
  return result;
}

caf::expected<model_version>
version_store::register_version(uint64_t job_id,
                                const core::model_id& trigger_model,
                                const std::string& reason,
                                const std::string& artifact, int64_t now_ns,
                                const std::optional<core::semver>& floor) {
  auto line = trigger_model.line();
  auto what = "cannot register the version of job " + std::to_string(job_id)
              + " for " + line;
  // The write lock from the start: two registrations of one line must not
  // both read the same latest version.
  auto tx = db_->begin_write(what);
  if (!tx)
    return std::move(tx.error());
  auto existing = version_of_job(job_id);
  if (!existing)
    return std::move(existing.error());
  if (*existing) {
    // Nothing was written: what the commit says changes nothing.
    static_cast<void>(tx->commit());
    return std::move(**existing);
  }
  auto latest = latest_version(line);
  if (!latest)
    return std::move(latest.error());
  std::optional<core::semver> latest_semver;
  if (*latest) {
    // latest_version parsed it already.
    latest_semver = std::move(*core::parse_semver(**latest));
  }
  if (floor && (!latest_semver || core::compare(*latest_semver, *floor) < 0))
    latest_semver = floor;
  auto base = core::retrain_base(latest_semver, trigger_model.version);
  model_version result;
  result.line = line;
  result.parent = to_string(base);
  result.version = to_string(core::next_version(base));
  result.job_id = job_id;
  result.created_at_ns = now_ns;
  result.reason = reason;
  result.artifact = artifact;
  {
    auto stmt = db_->statement(insert_sql, what);
    if (!stmt)
      return std::move(stmt.error());
    versions_table.bind(*stmt, result);
    if (auto err = stmt->run())
      return err;
  }
  if (auto err = tx->commit())
    return err;
  return result;
}

} // namespace retrain
