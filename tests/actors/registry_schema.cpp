#define CAF_SUITE registry_schema
#include <caf/test/dsl.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <caf/deep_to_string.hpp>

#include "retrain/job_store.hpp"
#include "retrain/registry_schema.hpp"
#include "retrain/sqlite_db.hpp"
#include "retrain/version_store.hpp"

#include "store_support.hpp"
#include "temp_dir.hpp"

using namespace retrain;
using namespace retrain::test;

namespace {

struct fixture {
  temp_dir dir{"retrain-schema"};

  std::string path() const {
    return (dir.path() / "registry.db").string();
  }

  std::vector<std::string> rows(const std::string& sql) {
    return raw_rows(path(), sql);
  }

  // The tables and indexes of the file as SQLite keeps them.
  std::vector<std::string> schema() {
    return rows("SELECT type, name, sql FROM sqlite_master ORDER BY name");
  }

  // The columns of `table`, by name, in order.
  std::vector<std::string> columns(const std::string& table) {
    return rows("SELECT name FROM pragma_table_info('" + table + "')");
  }
};

template <class Fields>
std::vector<std::string> names_of(const Fields& fields) {
  std::vector<std::string> result;
  for_each_field(fields,
                 [&](size_t, const auto& f) { result.emplace_back(f.name); });
  return result;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(registry_schema_tests, fixture)

CAF_TEST(migration 1 is the schema of the builds before migrations) {
  temp_dir old_dir{"retrain-schema"};
  auto old_path = (old_dir.path() / "registry.db").string();
  raw_exec(old_path, registry_v1_sql);
  // Migration 1 alone: later steps change the schema on purpose.
  auto db = sqlite_db::open("registry db", dir.str(), "registry.db",
                            {registry_schema().at(0)});
  CAF_REQUIRE(db);
  CAF_CHECK_EQUAL(schema(), raw_rows(old_path, "SELECT type, name, sql FROM "
                                               "sqlite_master ORDER BY name"));
  CAF_CHECK_EQUAL(rows("PRAGMA user_version"), std::vector<std::string>{"1"});
}

CAF_TEST(a database of the builds before migrations opens and keeps its rows) {
  raw_exec(path(), registry_v1_sql);
  raw_exec(path(), R"(
INSERT INTO versions VALUES
  ('cv:a', '1.2.1', '1.2.0', 1, 10, 'drift', 's3://a'),
  ('cv:a', '1.2.2', '1.2.1', 3, 30, 'drift again', '');
INSERT INTO jobs (model, line, base_version, next_version, state, attempts,
                  merged, reason, error, version, created_at_ns,
                  updated_at_ns) VALUES
  ('cv:a:1.2.0', 'cv:a', '1.2.0', '1.2.1', 'succeeded', 1, 0, 'drift', '',
   '1.2.1', 5, 10),
  ('nlp:b:2.0.0', 'nlp:b', '2.0.0', '2.0.1', 'running', 2, 4, 'why',
   'exit code 3', '', 6, 20),
  ('cv:a:1.2.1', 'cv:a', '1.2.1', '1.2.2', 'succeeded', 1, 0, 'drift again',
   '', '1.2.2', 7, 30),
  ('cv:c:0.1.0', 'cv:c', '0.1.0', '0.1.1', 'queued', 0, 0, 'r', '', '', 8, 8);
DELETE FROM jobs WHERE id = 4;
)");
  auto before = schema();
  auto jobs = job_store::open(dir.str());
  CAF_REQUIRE(jobs);
  auto versions = version_store::open(dir.str());
  CAF_REQUIRE(versions);
  // Opening it only added what the later migrations add: its tables are
  // as they were.
  auto after = schema();
  for (auto& entry : before)
    CAF_CHECK(std::find(after.begin(), after.end(), entry) != after.end());
  CAF_CHECK_EQUAL(
    rows("PRAGMA user_version"),
    std::vector<std::string>{std::to_string(registry_schema().size())});
  // It got an identity, but its job ids go on from where they were.
  auto identity = (*jobs)->identity();
  CAF_REQUIRE(identity);
  CAF_CHECK_EQUAL(identity->size(), 32u);
  // Every row reads back, every column in its member.
  auto all = (*jobs)->jobs();
  CAF_REQUIRE(all);
  CAF_REQUIRE_EQUAL(all->size(), 3u);
  CAF_CHECK_EQUAL(
    caf::deep_to_string(all->at(1)),
    caf::deep_to_string(job_record{2, "nlp:b:2.0.0", "nlp:b", "2.0.0", "2.0.1",
                                   job_state::running, 2, 4, "why",
                                   "exit code 3", "", 6, 20}));
  auto active = (*jobs)->active_jobs();
  CAF_REQUIRE(active);
  CAF_REQUIRE_EQUAL(active->size(), 1u);
  CAF_CHECK_EQUAL(active->at(0).id, 2u);
  auto listed = (*versions)->versions("cv:a");
  CAF_REQUIRE(listed);
  CAF_REQUIRE_EQUAL(listed->size(), 2u);
  CAF_CHECK_EQUAL(caf::deep_to_string(listed->at(0)),
                  caf::deep_to_string(model_version{"cv:a", "1.2.1", "1.2.0", 1,
                                                    10, "drift", "s3://a"}));
  // The file goes on where the old build left it: job ids are not reused
  // (4 was deleted), versions continue and stay idempotent.
  auto next_id = (*jobs)->insert_job(job_record{});
  CAF_REQUIRE(next_id);
  CAF_CHECK_EQUAL(*next_id, 5u);
  auto again = (*versions)->register_version(3, mid("cv:a:1.2.1"), "", "", 99);
  CAF_REQUIRE(again);
  CAF_CHECK_EQUAL(again->version, "1.2.2");
  auto next = (*versions)->register_version(5, mid("cv:a:1.2.1"), "", "", 99);
  CAF_REQUIRE(next);
  CAF_CHECK_EQUAL(next->version, "1.2.3");
  auto latest = (*jobs)->latest_versions();
  CAF_REQUIRE(latest);
  CAF_CHECK_EQUAL(latest->at("cv:a"), "1.2.3");
}

CAF_TEST(every field has a column and every column a field) {
  CAF_REQUIRE(open_registry_db(dir.str()));
  // By name: the stores name every column they bind or read.
  auto sorted = [](std::vector<std::string> xs) {
    std::sort(xs.begin(), xs.end());
    return xs;
  };
  CAF_CHECK_EQUAL(sorted(columns("jobs")), sorted(names_of(job_record_fields)));
  CAF_CHECK_EQUAL(sorted(columns("versions")),
                  sorted(names_of(model_version_fields)));
}

CAF_TEST_FIXTURE_SCOPE_END()
