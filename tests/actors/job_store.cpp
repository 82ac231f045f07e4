#define CAF_SUITE job_store
#include <caf/test/dsl.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/deep_to_string.hpp>

#include "retrain/core/semver.hpp"
#include "retrain/job_store.hpp"
#include "retrain/unix_time.hpp"
#include "retrain/version_store.hpp"

#include "store_support.hpp"
#include "temp_dir.hpp"

using namespace retrain;
using namespace retrain::test;

namespace {

job_record make_job(const std::string& model, job_state state, int64_t now_ns) {
  job_record job;
  job.model = model;
  job.line = mid(model).line();
  job.base_version = to_string(mid(model).version);
  job.next_version = to_string(core::next_version(mid(model).version));
  job.state = state;
  job.reason = "ewma_threshold accuracy";
  job.created_at_ns = now_ns;
  job.updated_at_ns = now_ns;
  return job;
}

// Compares every member, through the wire's view of the record.
void check_same(const job_record& x, const job_record& y) {
  CAF_CHECK_EQUAL(caf::deep_to_string(x), caf::deep_to_string(y));
}

struct fixture {
  temp_dir dir{"retrain-jobs"};
  std::unique_ptr<job_store> store;

  fixture() {
    reopen();
  }

  void reopen() {
    store.reset();
    auto opened = job_store::open(dir.str(),
                                  retrain::test::registry_url(dir.str()));
    if (!opened)
      CAF_FAIL("open failed: " << context_text(opened.error()));
    store = std::move(*opened);
  }

  uint64_t insert(const job_record& job) {
    auto id = store->insert_job(job);
    if (!id)
      CAF_FAIL("insert_job failed: " << context_text(id.error()));
    return *id;
  }

  void update(const job_record& job) {
    if (auto err = store->update_job(job))
      CAF_FAIL("update_job failed: " << context_text(err));
  }

  std::vector<job_record> all_jobs() {
    auto result = store->jobs();
    if (!result)
      CAF_FAIL("jobs failed: " << context_text(result.error()));
    return *result;
  }

  std::vector<uint64_t> active_ids() {
    auto result = store->active_jobs();
    if (!result)
      CAF_FAIL("active_jobs failed: " << context_text(result.error()));
    std::vector<uint64_t> ids;
    for (auto& job : *result)
      ids.emplace_back(job.id);
    return ids;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(job_store_tests, fixture)

CAF_TEST(every column is written and read back) {
  // Distinct, non-default values in every member, extremes included.
  job_record x{999,
               "cv:a:1.2.0",
               "cv:a",
               "1.2.0-rc.1",
               "1.2.1",
               job_state::failed,
               4'000'000'000u,
               0xFFFFFFFFFFFFFFFFu,
               "reason",
               "error",
               "1.2.1+b",
               -1,
               9'000'000'000'000'000'000};
  x.id = insert(x); // the database assigns the id
  auto rows = all_jobs();
  CAF_REQUIRE_EQUAL(rows.size(), 1u);
  auto& y = rows.front();
  CAF_CHECK_EQUAL(y.id, x.id);
  CAF_CHECK_EQUAL(y.model, "cv:a:1.2.0");
  CAF_CHECK_EQUAL(y.line, "cv:a");
  CAF_CHECK_EQUAL(y.base_version, "1.2.0-rc.1");
  CAF_CHECK_EQUAL(y.next_version, "1.2.1");
  CAF_CHECK_EQUAL(y.state, job_state::failed);
  CAF_CHECK_EQUAL(y.attempts, 4'000'000'000u);
  CAF_CHECK_EQUAL(y.merged, 0xFFFFFFFFFFFFFFFFu);
  CAF_CHECK_EQUAL(y.reason, "reason");
  CAF_CHECK_EQUAL(y.error, "error");
  CAF_CHECK_EQUAL(y.version, "1.2.1+b");
  CAF_CHECK_EQUAL(y.created_at_ns, -1);
  CAF_CHECK_EQUAL(y.updated_at_ns, 9'000'000'000'000'000'000);
  check_same(y, x);
  // An update overwrites every column but the id.
  job_record z{
    x.id, "nlp:t:3.0.0", "nlp:t", "3.0.0", "3.0.1", job_state::running, 1, 2,
    "r2", "e2",          "v2",    3,       4};
  update(z);
  rows = all_jobs();
  CAF_REQUIRE_EQUAL(rows.size(), 1u);
  check_same(rows.front(), z);
  // Each column holds what its name says.
  CAF_CHECK_EQUAL(
    raw_rows(store->path(), "SELECT id, model, line, base_version, "
                            "next_version, state, attempts, merged, reason, "
                            "error, version, created_at_ns, updated_at_ns "
                            "FROM jobs"),
    std::vector<std::string>{
      std::to_string(x.id)
      + "|nlp:t:3.0.0|nlp:t|3.0.0|3.0.1|running|1|2|r2|e2|v2|3|4"});
}

CAF_TEST(jobs get growing ids and are listed newest first) {
  auto a = make_job("cv:anomaly_detector:1.2.0", job_state::queued, 100);
  a.id = 42; // ignored: the database assigns ids
  auto a_id = insert(a);
  auto b_id = insert(make_job("nlp:tagger:3.0.0", job_state::queued, 200));
  auto c_id = insert(make_job("cv:ranker:0.1.0", job_state::queued, 300));
  CAF_CHECK_LESS(a_id, b_id);
  CAF_CHECK_LESS(b_id, c_id);
  auto a_row = make_job("cv:anomaly_detector:1.2.0", job_state::succeeded, 100);
  a_row.id = a_id;
  a_row.attempts = 2;
  a_row.merged = 5;
  a_row.error = "exit code 1";
  a_row.version = "1.2.1";
  a_row.updated_at_ns = 150;
  update(a_row);
  auto b_row = make_job("nlp:tagger:3.0.0", job_state::running, 200);
  b_row.id = b_id;
  b_row.attempts = 1;
  update(b_row);
  auto rows = all_jobs();
  CAF_REQUIRE_EQUAL(rows.size(), 3u);
  CAF_CHECK_EQUAL(rows[0].id, c_id);
  check_same(rows[1], b_row);
  check_same(rows[2], a_row);
  CAF_CHECK_EQUAL(active_ids(), (std::vector<uint64_t>{b_id, c_id}));
}

CAF_TEST(updating an unknown job fails) {
  auto job = make_job("cv:anomaly_detector:1.2.0", job_state::running, 100);
  job.id = 99;
  auto err = store->update_job(job);
  CAF_REQUIRE(err);
  CAF_CHECK(has_code(err, ec::no_such_job));
  CAF_CHECK_EQUAL(context_text(err), "registry db " + store->path()
                                       + ": cannot update job 99: no such job");
  CAF_CHECK(all_jobs().empty());
}

CAF_TEST(jobs survive a reopen and ids are never reused) {
  auto j1 = make_job("cv:anomaly_detector:1.2.0", job_state::running, 5);
  j1.id = insert(j1);
  j1.attempts = 1;
  update(j1);
  auto j2 = make_job("nlp:tagger:3.0.0", job_state::queued, 6);
  j2.id = insert(j2);
  reopen();
  auto jobs = all_jobs();
  CAF_REQUIRE_EQUAL(jobs.size(), 2u);
  check_same(jobs[0], j2);
  check_same(jobs[1], j1);
  CAF_CHECK_EQUAL(active_ids(), (std::vector<uint64_t>{j1.id, j2.id}));
  // Job ids keep growing, also after the newest job row is gone.
  auto j3 = insert(make_job("cv:ranker:0.1.0", job_state::queued, 7));
  CAF_CHECK_GREATER(j3, j2.id);
  raw_exec(store->path(), "DELETE FROM jobs WHERE id = " + std::to_string(j3));
  reopen();
  auto j4 = insert(make_job("cv:ranker:0.1.0", job_state::queued, 8));
  CAF_CHECK_GREATER(j4, j3);
  reopen();
  auto j5 = insert(make_job("cv:ranker:0.1.0", job_state::queued, 9));
  CAF_CHECK_GREATER(j5, j4);
}

CAF_TEST(a failed insert changes nothing and may be retried) {
  auto first = insert(make_job("cv:a:1.0.0", job_state::queued, 1));
  retrain::test::refuse_writes(store->path(), "INSERT ON jobs", "disk on fire");
  auto job = make_job("cv:b:1.0.0", job_state::queued, 2);
  auto failed = store->insert_job(job);
  CAF_REQUIRE(!failed);
  CAF_CHECK(has_code(failed.error(), ec::storage_failure));
  CAF_CHECK_EQUAL(context_text(failed.error()),
                  "registry db " + store->path()
                    + ": cannot insert a job for cv:b:1.0.0: disk on fire");
  auto rows = all_jobs();
  CAF_REQUIRE_EQUAL(rows.size(), 1u);
  retrain::test::allow_writes(store->path(), "INSERT ON jobs");
  auto second = insert(job);
  // A PostgreSQL sequence does not roll back: the refused insert used an id.
  if (retrain::test::is_pg(store->path()))
    CAF_CHECK_GREATER(second, first);
  else
    CAF_CHECK_EQUAL(second, first + 1);
  CAF_CHECK_EQUAL(all_jobs().size(), 2u);
}

CAF_TEST(a failed update changes nothing and may be retried) {
  auto job = make_job("cv:a:1.0.0", job_state::queued, 1);
  job.id = insert(job);
  retrain::test::refuse_writes(store->path(), "UPDATE ON jobs", "disk on fire");
  auto changed = job;
  changed.state = job_state::running;
  changed.attempts = 1;
  auto err = store->update_job(changed);
  CAF_REQUIRE(err);
  CAF_CHECK(has_code(err, ec::storage_failure));
  CAF_CHECK(
    contains(context_text(err),
             "cannot update job " + std::to_string(job.id) + ": disk on fire"));
  check_same(all_jobs().at(0), job);
  retrain::test::allow_writes(store->path(), "UPDATE ON jobs");
  update(changed);
  check_same(all_jobs().at(0), changed);
}

CAF_TEST(an unknown state in the table is reported) {
  auto id = insert(make_job("cv:a:1.0.0", job_state::queued, 1));
  // Only a file written by something else can hold one: the schema checks.
  raw_exec(store->path(),
           (retrain::test::is_pg(store->path())
              ? "ALTER TABLE jobs DROP CONSTRAINT jobs_state_check; "
              : "PRAGMA ignore_check_constraints = 1; ")
             + std::string{"UPDATE jobs SET state = 'lost' WHERE id = "}
             + std::to_string(id));
  auto result = store->jobs();
  CAF_REQUIRE(!result);
  CAF_CHECK(has_code(result.error(), ec::storage_failure));
  CAF_CHECK_EQUAL(context_text(result.error()),
                  "registry db " + store->path()
                    + ": cannot read the jobs: jobs.state holds the "
                      "unreadable 'lost'");
}

CAF_TEST(the job store reads the latest version of every line) {
  auto versions = version_store::open(dir.str(),
                                      retrain::test::registry_url(dir.str()));
  CAF_REQUIRE(versions);
  for (uint64_t job = 1; job <= 3; ++job)
    CAF_REQUIRE(
      (*versions)->register_version(job, mid("cv:a:1.2.8"), "", "", 1));
  CAF_REQUIRE((*versions)->register_version(4, mid("nlp:b:0.1.0"), "", "", 1));
  auto latest = store->latest_versions();
  CAF_REQUIRE(latest);
  CAF_CHECK_EQUAL(caf::deep_to_string(*latest),
                  caf::deep_to_string(std::map<std::string, std::string>{
                    {"cv:a", "1.2.11"}, {"nlp:b", "0.1.1"}}));
}

CAF_TEST(a job store and a version store on one file write at the same time) {
  // The dispatcher and the registry each own a store of the same database,
  // on threads of their own: neither may see "database is locked".
  auto versions = version_store::open(dir.str(),
                                      retrain::test::registry_url(dir.str()));
  CAF_REQUIRE(versions);
  constexpr uint64_t n = 50;
  std::vector<std::string> failures;
  std::vector<uint64_t> job_ids;
  std::thread writer{[&] {
    for (uint64_t i = 1; i <= n; ++i) {
      auto job = make_job("nlp:tagger:3.0.0", job_state::queued, 1);
      auto id = store->insert_job(job);
      if (!id)
        failures.emplace_back(context_text(id.error()));
      else
        job_ids.emplace_back(*id);
    }
  }};
  std::vector<std::string> bump_failures;
  for (uint64_t i = 1; i <= n; ++i) {
    auto v = (*versions)->register_version(i, mid("cv:anomaly_detector:1.0.0"),
                                           "", "", 1);
    if (!v)
      bump_failures.emplace_back(context_text(v.error()));
  }
  writer.join();
  CAF_CHECK_EQUAL(failures, std::vector<std::string>{});
  CAF_CHECK_EQUAL(bump_failures, std::vector<std::string>{});
  auto latest = (*versions)->latest_version("cv:anomaly_detector");
  CAF_REQUIRE(latest && *latest);
  CAF_CHECK_EQUAL(**latest, "1.0." + std::to_string(n));
  CAF_CHECK_EQUAL(all_jobs().size(), n);
  CAF_CHECK(std::is_sorted(job_ids.begin(), job_ids.end()));
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(job_store_identity_tests, fixture)

CAF_TEST(a new database starts its job ids at its creation time) {
  // The fixture created the database; its first id is its creation time in
  // microseconds, so a database created after this one was lost never
  // issues an id this one did.
  auto before_us = unix_now_ns() / 1000;
  temp_dir other{"retrain-jobs-b"};
  auto b = job_store::open(other.str(),
                           retrain::test::registry_url(other.str()));
  CAF_REQUIRE(b);
  auto after_us = unix_now_ns() / 1000;
  auto first_b = (*b)->insert_job(make_job("cv:a:1.0.0", job_state::queued, 1));
  CAF_REQUIRE(first_b);
  CAF_CHECK_GREATER_OR_EQUAL(static_cast<int64_t>(*first_b), before_us);
  CAF_CHECK_LESS_OR_EQUAL(static_cast<int64_t>(*first_b), after_us);
  // Jobs of the older database, however many, stay below.
  uint64_t last_a = 0;
  for (int i = 0; i < 50; ++i)
    last_a = insert(make_job("cv:a:1.0.0", job_state::queued, 1));
  CAF_CHECK_LESS(last_a, *first_b);
}

CAF_TEST(a database keeps its identity and no two share one) {
  auto first = store->identity();
  CAF_REQUIRE(first);
  CAF_CHECK_EQUAL(first->size(), 32u);
  reopen();
  auto again = store->identity();
  CAF_REQUIRE(again);
  CAF_CHECK_EQUAL(*again, *first);
  temp_dir other{"retrain-jobs-c"};
  auto b = job_store::open(other.str(),
                           retrain::test::registry_url(other.str()));
  CAF_REQUIRE(b);
  auto other_identity = (*b)->identity();
  CAF_REQUIRE(other_identity);
  CAF_CHECK_NOT_EQUAL(*other_identity, *first);
}

CAF_TEST(a trigger id finds the job it made after a reopen) {
  auto id = insert(make_job("cv:a:1.0.0", job_state::queued, 1));
  auto none = store->job_of_trigger("n1-1");
  CAF_REQUIRE(none);
  CAF_CHECK(!*none);
  CAF_REQUIRE(!store->record_trigger("n1-1", id, 5));
  // A trigger id is recorded once.
  auto twice = store->record_trigger("n1-1", id, 6);
  CAF_CHECK(has_code(twice, ec::storage_failure));
  reopen();
  auto found = store->job_of_trigger("n1-1");
  CAF_REQUIRE(found && *found);
  CAF_CHECK_EQUAL(**found, id);
  auto job = store->job(id);
  CAF_REQUIRE(job && *job);
  CAF_CHECK_EQUAL((*job)->model, "cv:a:1.0.0");
  auto missing = store->job(id + 1000);
  CAF_REQUIRE(missing);
  CAF_CHECK(!*missing);
}

CAF_TEST(a group of writes is stored whole or not at all) {
  {
    auto tx = store->begin_write("a group that is given up");
    CAF_REQUIRE(tx);
    auto id = insert(make_job("cv:a:1.0.0", job_state::queued, 1));
    CAF_REQUIRE(!store->record_trigger("n1-1", id, 5));
    // No commit: everything rolls back.
  }
  CAF_CHECK(all_jobs().empty());
  auto none = store->job_of_trigger("n1-1");
  CAF_REQUIRE(none);
  CAF_CHECK(!*none);
  auto tx = store->begin_write("a group of two");
  CAF_REQUIRE(tx);
  auto a = insert(make_job("cv:a:1.0.0", job_state::queued, 1));
  auto b = insert(make_job("cv:b:1.0.0", job_state::queued, 1));
  CAF_REQUIRE(!store->record_trigger("n1-1", a, 5));
  CAF_REQUIRE(!store->record_trigger("n1-2", b, 5));
  CAF_REQUIRE(!tx->commit());
  reopen();
  CAF_CHECK_EQUAL(all_jobs().size(), 2u);
  auto found = store->job_of_trigger("n1-2");
  CAF_REQUIRE(found && *found);
  CAF_CHECK_EQUAL(**found, b);
}

CAF_TEST_FIXTURE_SCOPE_END()
