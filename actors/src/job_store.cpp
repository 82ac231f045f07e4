#include "retrain/job_store.hpp"

#include <utility>

#include "retrain/ec.hpp"
#include "retrain/registry_schema.hpp"
#include "retrain/sql_dialect.hpp"
#include "retrain/sql_table.hpp"
#include "retrain/version_store.hpp"

namespace retrain {

namespace {

// The one mapping between the columns of `jobs` and `job_record`.
const auto jobs_table = make_sql_table<job_record>("jobs", job_record_fields,
                                                   "id");

const std::string insert_sql = jobs_table.insert_sql();

const std::string update_sql = jobs_table.update_sql();

const std::string all_sql = jobs_table.select_sql("ORDER BY id DESC");

const std::string active_sql
  = jobs_table.select_sql("WHERE state IN ('queued', 'running') ORDER BY id");

const std::string one_sql
  = jobs_table.select_sql("WHERE id = " + sql_dialect::param(1));

const std::string trigger_sql = "SELECT job_id FROM triggers WHERE id = "
                                + sql_dialect::param(1);

const std::string record_trigger_sql
  = "INSERT INTO triggers (id, job_id, created_at_ns) VALUES ("
    + sql_dialect::param(1) + ", " + sql_dialect::param(2) + ", "
    + sql_dialect::param(3) + ")";

} // namespace

job_store::job_store(std::unique_ptr<database> db) : db_(std::move(db)) {
  // nop
}

caf::expected<std::unique_ptr<job_store>>
job_store::make(std::unique_ptr<database> db) {
  if (auto err = db->prepare({&insert_sql, &update_sql, &all_sql, &active_sql,
                              &one_sql, &trigger_sql, &record_trigger_sql}))
    return err;
  return std::unique_ptr<job_store>{new job_store(std::move(db))};
}

caf::expected<std::unique_ptr<job_store>>
job_store::open(const std::string& data_dir, const std::string& url,
                std::shared_ptr<write_fence> fence) {
  auto db = open_registry_db(data_dir, url, std::move(fence));
  if (!db)
    return std::move(db.error());
  return make(std::move(*db));
}

caf::expected<uint64_t> job_store::insert_job(const job_record& job) {
  auto stmt = db_->statement(insert_sql,
                             "cannot insert a job for " + job.model);
  if (!stmt)
    return std::move(stmt.error());
  jobs_table.bind(*stmt, job);
  auto row = stmt->step();
  if (!row)
    return std::move(row.error());
  if (!*row)
    return stmt->failure("no id came back");
  auto id = static_cast<uint64_t>(stmt->int64_column(0));
  // The commit happens on the last step.
  if (auto err = stmt->run())
    return err;
  return id;
}

caf::error job_store::update_job(const job_record& job) {
  auto what = "cannot update job " + std::to_string(job.id);
  auto stmt = db_->statement(update_sql, what);
  if (!stmt)
    return std::move(stmt.error());
  jobs_table.bind(*stmt, job, true);
  auto row = stmt->step();
  if (!row)
    return std::move(row.error());
  auto found = *row;
  if (auto err = stmt->run())
    return err;
  if (!found)
    return db_->failure(what, "no such job", ec::no_such_job);
  return caf::none;
}

caf::expected<std::vector<job_record>>
job_store::read_jobs(const std::string& sql, std::string what) {
  auto stmt = db_->statement(sql, std::move(what));
  if (!stmt)
    return std::move(stmt.error());
  return jobs_table.read_all(*stmt);
}

caf::expected<std::vector<job_record>> job_store::jobs() {
  return read_jobs(all_sql, "cannot read the jobs");
}

caf::expected<std::vector<job_record>> job_store::active_jobs() {
  return read_jobs(active_sql, "cannot read the active jobs");
}

caf::expected<std::map<std::string, std::string>> job_store::latest_versions() {
  return version_store::latest_versions(*db_);
}

caf::expected<std::optional<job_record>> job_store::job(uint64_t id) {
  auto stmt = db_->statement(one_sql, "cannot read job " + std::to_string(id));
  if (!stmt)
    return std::move(stmt.error());
  stmt->bind(1, static_cast<int64_t>(id));
  auto rows = jobs_table.read_all(*stmt);
  if (!rows)
    return std::move(rows.error());
  if (rows->empty())
    return std::optional<job_record>{};
  return std::optional<job_record>{std::move(rows->front())};
}

caf::expected<std::optional<uint64_t>>
job_store::job_of_trigger(const std::string& id) {
  auto stmt = db_->statement(trigger_sql, "cannot look up trigger " + id);
  if (!stmt)
    return std::move(stmt.error());
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row)
    return std::move(row.error());
  if (!*row)
    return std::optional<uint64_t>{};
  return std::optional<uint64_t>{static_cast<uint64_t>(stmt->int64_column(0))};
}

caf::error job_store::record_trigger(const std::string& trigger_id,
                                     uint64_t job_id, int64_t now_ns) {
  auto stmt = db_->statement(record_trigger_sql,
                             "cannot record trigger " + trigger_id);
  if (!stmt)
    return std::move(stmt.error());
  stmt->bind(1, trigger_id);
  stmt->bind(2, static_cast<int64_t>(job_id));
  stmt->bind(3, now_ns);
  return stmt->run();
}

caf::expected<std::string> job_store::identity() {
  return registry_identity(*db_);
}

} // namespace retrain
