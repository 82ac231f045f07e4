#define CAF_SUITE version_store
#include <caf/test/dsl.hpp>

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <caf/deep_to_string.hpp>

#include "retrain/core/semver.hpp"
#include "retrain/registry_schema.hpp"
#include "retrain/version_store.hpp"

#include "store_support.hpp"
#include "temp_dir.hpp"

using namespace retrain;
using namespace retrain::test;

namespace {

constexpr const char* line = "cv:anomaly_detector";

void check_same(const model_version& x, const model_version& y) {
  CAF_CHECK_EQUAL(caf::deep_to_string(x), caf::deep_to_string(y));
}

struct fixture {
  temp_dir dir{"retrain-versions"};
  std::unique_ptr<version_store> store;

  fixture() {
    reopen();
  }

  void reopen() {
    store.reset();
    auto opened = version_store::open(dir.str(),
                                      retrain::test::registry_url(dir.str()));
    if (!opened)
      CAF_FAIL("open failed: " << context_text(opened.error()));
    store = std::move(*opened);
  }

  model_version reg(uint64_t job_id, const std::string& model,
                    const std::string& reason = "drift",
                    const std::string& artifact = "", int64_t now_ns = 1000) {
    auto result = store->register_version(job_id, mid(model), reason, artifact,
                                          now_ns);
    if (!result)
      CAF_FAIL("register_version failed: " << context_text(result.error()));
    return *result;
  }

  std::string next(uint64_t job_id, const std::string& model) {
    return reg(job_id, model).version;
  }

  std::vector<std::string> version_list(const std::string& of) {
    auto rows = store->versions(of);
    if (!rows)
      CAF_FAIL("versions failed: " << context_text(rows.error()));
    std::vector<std::string> result;
    for (auto& row : *rows)
      result.emplace_back(row.version);
    return result;
  }

  std::string latest(const std::string& of) {
    auto result = store->latest_version(of);
    if (!result)
      CAF_FAIL("latest_version failed: " << context_text(result.error()));
    return result->value_or("none");
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(version_store_tests, fixture)

CAF_TEST(store bumps the patch version serially) {
  auto first = reg(1, "cv:anomaly_detector:1.2.0", "drift 1", "s3://a", 10);
  CAF_CHECK_EQUAL(first.line, line);
  CAF_CHECK_EQUAL(first.version, "1.2.1");
  CAF_CHECK_EQUAL(first.parent, "1.2.0");
  CAF_CHECK_EQUAL(first.job_id, 1u);
  CAF_CHECK_EQUAL(first.created_at_ns, 10);
  CAF_CHECK_EQUAL(first.reason, "drift 1");
  CAF_CHECK_EQUAL(first.artifact, "s3://a");
  auto second = reg(2, "cv:anomaly_detector:1.2.1");
  CAF_CHECK_EQUAL(second.version, "1.2.2");
  CAF_CHECK_EQUAL(second.parent, "1.2.1");
  // A trigger from an older version still continues the line.
  auto third = reg(3, "cv:anomaly_detector:1.2.0");
  CAF_CHECK_EQUAL(third.version, "1.2.3");
  CAF_CHECK_EQUAL(third.parent, "1.2.2");
  CAF_CHECK_EQUAL(version_list(line),
                  (std::vector<std::string>{"1.2.1", "1.2.2", "1.2.3"}));
  CAF_CHECK_EQUAL(latest(line), "1.2.3");
  CAF_CHECK_EQUAL(latest("cv:other"), "none");
  CAF_CHECK_EQUAL(version_list("cv:other").size(), 0u);
}

CAF_TEST(every column is written and read back) {
  // Distinct values in every member; the row as stored, column by column.
  auto v = reg(0xFFFFFFFFFFFFFFF0u, "cv:anomaly_detector:7.8.9", "why",
               "s3://bucket/key", -5);
  CAF_CHECK_EQUAL(
    raw_rows(store->path(), "SELECT line, version, parent, job_id, "
                            "created_at_ns, reason, artifact FROM versions"),
    std::vector<std::string>{"cv:anomaly_detector|7.8.10|7.8.9|-16|-5|why|"
                             "s3://bucket/key"});
  auto rows = store->versions(line);
  CAF_REQUIRE(rows);
  CAF_REQUIRE_EQUAL(rows->size(), 1u);
  auto& x = rows->front();
  CAF_CHECK_EQUAL(x.line, "cv:anomaly_detector");
  CAF_CHECK_EQUAL(x.version, "7.8.10");
  CAF_CHECK_EQUAL(x.parent, "7.8.9");
  CAF_CHECK_EQUAL(x.job_id, 0xFFFFFFFFFFFFFFF0u);
  CAF_CHECK_EQUAL(x.created_at_ns, -5);
  CAF_CHECK_EQUAL(x.reason, "why");
  CAF_CHECK_EQUAL(x.artifact, "s3://bucket/key");
  check_same(x, v);
}

CAF_TEST(store is idempotent by job id) {
  auto first = reg(7, "cv:anomaly_detector:1.2.0", "drift", "s3://a", 10);
  auto again = reg(7, "cv:anomaly_detector:1.2.0", "other", "s3://b", 20);
  check_same(again, first);
  // Even a repeat naming another model returns the recorded row.
  auto other = reg(7, "nlp:tagger:3.0.0", "other", "s3://c", 30);
  check_same(other, first);
  CAF_CHECK_EQUAL(version_list(line), (std::vector<std::string>{"1.2.1"}));
  CAF_CHECK_EQUAL(version_list("nlp:tagger").size(), 0u);
  CAF_CHECK_EQUAL(next(8, "cv:anomaly_detector:1.2.0"), "1.2.2");
  auto found = store->version_of_job(7);
  CAF_REQUIRE(found);
  CAF_REQUIRE(found->has_value());
  check_same(**found, first);
  auto missing = store->version_of_job(9);
  CAF_REQUIRE(missing);
  CAF_CHECK(!missing->has_value());
}

CAF_TEST(a new line starts from the trigger model version) {
  auto rc = reg(1, "cv:ranker:1.2.0-rc.1");
  CAF_CHECK_EQUAL(rc.version, "1.2.1");
  CAF_CHECK_EQUAL(rc.parent, "1.2.0-rc.1");
  CAF_CHECK_EQUAL(next(2, "cv:ranker:1.2.0-rc.1"), "1.2.2");
  CAF_CHECK_EQUAL(next(3, "cv:anomaly_detector:1.2.0+build.5"), "1.2.1");
  CAF_CHECK_EQUAL(next(4, "cv:anomaly_detector:1.2.1"), "1.2.2");
  auto all = store->latest_versions();
  CAF_REQUIRE(all);
  CAF_REQUIRE_EQUAL(all->size(), 2u);
  CAF_REQUIRE_EQUAL(all->count("cv:ranker"), 1u);
  CAF_REQUIRE_EQUAL(all->count(line), 1u);
  CAF_CHECK_EQUAL(all->at("cv:ranker"), "1.2.2");
  CAF_CHECK_EQUAL(all->at(line), "1.2.2");
}

CAF_TEST(a floor above the latest version is the base and never lowers it) {
  CAF_CHECK_EQUAL(next(1, "cv:anomaly_detector:1.2.0"), "1.2.1");
  // A monitor node knew 1.4.0 (the registry lost it): the next is above.
  auto semver = [](const std::string& x) { return *core::parse_semver(x); };
  auto above = store->register_version(2, mid("cv:anomaly_detector:1.2.0"),
                                       "drift", "", 1000, semver("1.4.0"));
  CAF_REQUIRE(above);
  CAF_CHECK_EQUAL(above->version, "1.4.1");
  CAF_CHECK_EQUAL(above->parent, "1.4.0");
  // A floor below the latest changes nothing.
  auto below = store->register_version(3, mid("cv:anomaly_detector:1.2.0"),
                                       "drift", "", 1000, semver("1.0.0"));
  CAF_REQUIRE(below);
  CAF_CHECK_EQUAL(below->version, "1.4.2");
  CAF_CHECK_EQUAL(below->parent, "1.4.1");
}

CAF_TEST(latest version follows semver precedence not text order) {
  CAF_CHECK_EQUAL(next(1, "cv:anomaly_detector:1.2.8"), "1.2.9");
  CAF_CHECK_EQUAL(next(2, "cv:anomaly_detector:1.2.8"), "1.2.10");
  CAF_CHECK_EQUAL(latest(line), "1.2.10");
  // By text "1.2.9" > "1.2.10", which would bump to 1.2.10 a second time.
  CAF_CHECK_EQUAL(next(3, "cv:anomaly_detector:1.2.8"), "1.2.11");
  CAF_CHECK_EQUAL(next(4, "nlp:tagger:9.9.9"), "9.9.10");
  auto all = store->latest_versions();
  CAF_REQUIRE(all);
  CAF_REQUIRE_EQUAL(all->size(), 2u);
  CAF_REQUIRE_EQUAL(all->count("nlp:tagger"), 1u);
  CAF_CHECK_EQUAL(all->at(line), "1.2.11");
  CAF_CHECK_EQUAL(all->at("nlp:tagger"), "9.9.10");
  CAF_CHECK_EQUAL(version_list(line),
                  (std::vector<std::string>{"1.2.9", "1.2.10", "1.2.11"}));
}

CAF_TEST(versions survive a reopen) {
  auto v1 = reg(1, "cv:anomaly_detector:1.2.0", "drift", "s3://a", 10);
  auto v2 = reg(2, "cv:anomaly_detector:1.2.0", "drift", "s3://b", 20);
  reopen();
  auto rows = store->versions(line);
  CAF_REQUIRE(rows);
  CAF_REQUIRE_EQUAL(rows->size(), 2u);
  check_same((*rows)[0], v1);
  check_same((*rows)[1], v2);
  // Versions continue and stay idempotent after the reopen.
  CAF_CHECK_EQUAL(next(3, "cv:anomaly_detector:1.2.0"), "1.2.3");
  check_same(reg(1, "cv:anomaly_detector:1.2.0"), v1);
}

CAF_TEST(a failed registration changes nothing and may be retried) {
  reg(1, "cv:anomaly_detector:1.2.0");
  retrain::test::refuse_writes(store->path(), "INSERT ON versions",
                               "disk on fire");
  auto failed = store->register_version(2, mid("cv:anomaly_detector:1.2.0"),
                                        "drift", "", 1);
  CAF_REQUIRE(!failed);
  CAF_CHECK(has_code(failed.error(), ec::storage_failure));
  CAF_CHECK_EQUAL(context_text(failed.error()),
                  "registry db " + store->path()
                    + ": cannot register the version of job 2 for "
                      "cv:anomaly_detector: disk on fire");
  CAF_CHECK_EQUAL(version_list(line), (std::vector<std::string>{"1.2.1"}));
  retrain::test::allow_writes(store->path(), "INSERT ON versions");
  // The same connection takes the retry, which gets the next version.
  CAF_CHECK_EQUAL(next(2, "cv:anomaly_detector:1.2.0"), "1.2.2");
}

CAF_TEST(an unreadable stored version is reported) {
  reg(1, "cv:anomaly_detector:1.2.0");
  raw_exec(store->path(), "UPDATE versions SET version = 'one'");
  auto result = store->latest_version(line);
  CAF_REQUIRE(!result);
  CAF_CHECK(has_code(result.error(), ec::storage_failure));
  auto text = context_text(result.error());
  CAF_CHECK(contains(text, store->path()));
  CAF_CHECK(contains(text, "line cv:anomaly_detector has the unreadable "
                           "version 'one'"));
  CAF_CHECK(!store->latest_versions());
  CAF_CHECK(
    !store->register_version(2, mid("cv:anomaly_detector:1.2.0"), "", "", 1));
}

CAF_TEST(two coordinators bump one line serially and once per job) {
  // Two connections, as two coordinators on one database would hold: each
  // registers jobs 1..n of one line, so every job is registered twice at
  // about the same time. Every job gets one version, the versions are
  // consecutive, and both sides get the same version for a job.
  auto other = version_store::open(dir.str(),
                                   retrain::test::registry_url(dir.str()));
  CAF_REQUIRE(other);
  constexpr uint64_t n = 40;
  std::vector<std::string> got_a(n + 1);
  std::vector<std::string> got_b(n + 1);
  std::vector<std::string> failures;
  std::mutex failures_mx;
  auto run = [&](version_store& vs, std::vector<std::string>& got) {
    for (uint64_t job = 1; job <= n; ++job) {
      auto v = vs.register_version(job, mid("cv:anomaly_detector:1.0.0"), "",
                                   "", 1);
      if (v) {
        got[job] = v->version;
      } else {
        std::lock_guard<std::mutex> guard{failures_mx};
        failures.emplace_back(context_text(v.error()));
      }
    }
  };
  std::thread b{[&] { run(**other, got_b); }};
  run(*store, got_a);
  b.join();
  CAF_CHECK_EQUAL(failures, std::vector<std::string>{});
  CAF_CHECK_EQUAL(got_a, got_b);
  auto all = version_list(line);
  CAF_REQUIRE_EQUAL(all.size(), n);
  std::set<std::string> distinct(all.begin(), all.end());
  CAF_CHECK_EQUAL(distinct.size(), n);
  CAF_CHECK_EQUAL(latest(line), "1.0." + std::to_string(n));
}

CAF_TEST(any bytes in a reason or artifact are stored) {
  // A job's output may hold anything; PostgreSQL takes no NUL and no
  // invalid UTF-8 in text, so there they are replaced, never refused.
  std::string odd{"a\0b\xff", 4};
  auto v = store->register_version(1, mid("cv:anomaly_detector:1.0.0"), odd,
                                   odd, 1);
  CAF_REQUIRE(v);
  auto rows = store->versions(line);
  CAF_REQUIRE(rows);
  CAF_REQUIRE_EQUAL(rows->size(), 1u);
  auto expected = retrain::test::is_pg(store->path())
                    ? std::string{"a\xEF\xBF\xBD"
                                  "b\xEF\xBF\xBD"}
                    : odd;
  CAF_CHECK_EQUAL(rows->front().artifact, expected);
  CAF_CHECK_EQUAL(rows->front().reason, expected);
}

CAF_TEST(a newer schema is refused) {
  auto path = store->path();
  store.reset();
  auto newer = std::to_string(registry_schema().size() + 1);
  retrain::test::set_schema_version(path, std::stoi(newer));
  auto result = version_store::open(dir.str(),
                                    retrain::test::registry_url(dir.str()));
  CAF_REQUIRE(!result);
  auto err = context_text(result.error());
  CAF_CHECK(contains(err, path));
  CAF_CHECK(contains(err, "schema version " + newer + " is newer"));
}

CAF_TEST_FIXTURE_SCOPE_END()
