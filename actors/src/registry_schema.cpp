#include "retrain/registry_schema.hpp"

namespace retrain {

const std::vector<schema_migration>& registry_schema() {
  // A released step never changes: add a step to change the schema, e.g.
  // {2, "jobs.priority", "ALTER TABLE jobs ADD COLUMN priority {int} NOT NULL
  // DEFAULT 0"}, and the field that reads it.
  static const std::vector<schema_migration> steps = {
    {1, "versions and jobs", R"(
CREATE TABLE IF NOT EXISTS versions (
  line {text} NOT NULL,
  version {text} NOT NULL,
  parent {text} NOT NULL,
  job_id {int} NOT NULL UNIQUE,
  created_at_ns {int} NOT NULL,
  reason {text} NOT NULL,
  artifact {text} NOT NULL,
  PRIMARY KEY (line, version));
CREATE TABLE IF NOT EXISTS jobs (
  id {id},
  model {text} NOT NULL,
  line {text} NOT NULL,
  base_version {text} NOT NULL,
  next_version {text} NOT NULL,
  state {text} NOT NULL
    CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
  attempts {int} NOT NULL,
  merged {int} NOT NULL,
  reason {text} NOT NULL,
  error {text} NOT NULL,
  version {text} NOT NULL,
  created_at_ns {int} NOT NULL,
  updated_at_ns {int} NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, id);
)"},
  };
  return steps;
}

caf::expected<std::unique_ptr<sqlite_db>>
open_registry_db(const std::string& data_dir) {
  return sqlite_db::open("registry db", data_dir, "registry.db",
                         registry_schema());
}

} // namespace retrain
