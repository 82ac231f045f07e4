#define CAF_SUITE registry
#include <caf/test/dsl.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include "retrain/core/model_id.hpp"
#include "retrain/ec.hpp"
#include "retrain/register_messages.hpp"
#include "retrain/registry.hpp"
#include "retrain/registry_store.hpp"

#include "temp_dir.hpp"
#include "test_support.hpp"

using namespace retrain;

namespace fs = std::filesystem;

namespace {

constexpr const char* line = "cv:anomaly_detector";

core::model_id mid(const std::string& str) {
  auto result = core::parse_model_id(str);
  if (!result)
    CAF_FAIL("bad model id in test: " << str);
  return *result;
}

// Runs `sql` on the database file through a connection of its own.
void raw_exec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK)
    CAF_FAIL("cannot open " << db_path);
  char* msg = nullptr;
  auto rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  std::string text = msg != nullptr ? msg : "";
  sqlite3_free(msg);
  sqlite3_close(db);
  if (rc != SQLITE_OK)
    CAF_FAIL("'" << sql << "' failed: " << text);
}

using retrain::test::contains;

struct store_fixture {
  retrain::test::temp_dir dir{"retrain-registry"};
  std::unique_ptr<registry_store> store;

  store_fixture() {
    reopen();
  }

  void reopen() {
    store.reset();
    auto opened = registry_store::open(dir.str());
    if (!opened)
      CAF_FAIL("open failed: " << opened.error().message);
    store = std::move(*opened);
  }

  model_version reg(uint64_t job_id, const std::string& model,
                    const std::string& reason = "drift",
                    const std::string& artifact = "", int64_t now_ns = 1000) {
    auto result = store->register_version(job_id, mid(model), reason, artifact,
                                          now_ns);
    if (!result)
      CAF_FAIL("register_version failed: " << result.error().message);
    return *result;
  }

  std::string next(uint64_t job_id, const std::string& model) {
    return reg(job_id, model).version;
  }

  std::vector<std::string> version_list(const std::string& of) {
    auto rows = store->versions(of);
    if (!rows)
      CAF_FAIL("versions failed: " << rows.error().message);
    std::vector<std::string> result;
    for (auto& row : *rows)
      result.emplace_back(row.version);
    return result;
  }

  std::string latest(const std::string& of) {
    auto result = store->latest_version(of);
    if (!result)
      CAF_FAIL("latest_version failed: " << result.error().message);
    return result->value_or("none");
  }

  job_record make_job(const std::string& model, job_state state,
                      int64_t now_ns) {
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

  uint64_t insert(const job_record& job) {
    auto id = store->insert_job(job);
    if (!id)
      CAF_FAIL("insert_job failed: " << id.error().message);
    return *id;
  }

  std::vector<job_record> all_jobs() {
    auto result = store->jobs();
    if (!result)
      CAF_FAIL("jobs failed: " << result.error().message);
    return *result;
  }

  std::vector<uint64_t> active_ids() {
    auto result = store->active_jobs();
    if (!result)
      CAF_FAIL("active_jobs failed: " << result.error().message);
    std::vector<uint64_t> ids;
    for (auto& job : *result)
      ids.emplace_back(job.id);
    return ids;
  }
};

std::string open_error(const std::string& data_dir) {
  auto result = registry_store::open(data_dir);
  return result ? std::string{"ok"} : result.error().message;
}

void check_same(const model_version& x, const model_version& y) {
  CAF_CHECK_EQUAL(caf::deep_to_string(x), caf::deep_to_string(y));
}

void check_same(const job_record& x, const job_record& y) {
  CAF_CHECK_EQUAL(caf::deep_to_string(x.to_info()),
                  caf::deep_to_string(y.to_info()));
  CAF_CHECK_EQUAL(x.line, y.line);
  CAF_CHECK_EQUAL(x.base_version, y.base_version);
  CAF_CHECK_EQUAL(x.next_version, y.next_version);
}

// -- actor fixture ------------------------------------------------------------

bool has_code(const caf::error& err, ec code) {
  return err.category() == caf::atom("retrain")
         && err.code() == static_cast<uint8_t>(code);
}

std::string context_text(const caf::error& err) {
  auto& ctx = err.context();
  return ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0)
                                           : std::string{};
}

struct actor_fixture : test_coordinator_fixture<retrain::test::test_config> {
  retrain::test::temp_dir dir{"retrain-registry"};
  std::string db_path;
  registry_actor reg;
  std::ostringstream log_lines;
  std::shared_ptr<spdlog::logger> previous_logger;

  actor_fixture() {
    previous_logger = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_lines);
    auto logger = std::make_shared<spdlog::logger>("test", sink);
    logger->set_pattern("%v");
    spdlog::set_default_logger(logger);
    auto store = registry_store::open(dir.str());
    if (!store)
      CAF_FAIL("open failed: " << store.error().message);
    db_path = (*store)->path();
    // Tests run the registry on the deterministic scheduler; nodes spawn it
    // detached.
    reg = sys.spawn(registry, std::move(*store));
    run();
  }

  ~actor_fixture() override {
    self->send_exit(reg, caf::exit_reason::user_shutdown);
    run();
    spdlog::set_default_logger(previous_logger);
  }

  // Sends `xs` to the registry, runs it and returns its answer.
  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs) {
    return ask_actor<T>(reg, std::forward<Ts>(xs)...);
  }

  // Sends `xs` to `dest`, runs it and returns its answer.
  template <class T, class... Ts>
  caf::expected<T> ask_actor(const registry_actor& dest, Ts&&... xs) {
    auto rp = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    run();
    caf::expected<T> result{caf::make_error(caf::sec::request_timeout)};
    rp.receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  caf::expected<model_version> reg_version(uint64_t job_id,
                                           const std::string& model,
                                           const std::string& artifact = "") {
    return ask<model_version>(
      register_version{job_id, model, "ewma_threshold accuracy", artifact});
  }

  size_t log_count(const std::string& part) {
    auto text = log_lines.str();
    size_t result = 0;
    for (auto pos = text.find(part); pos != std::string::npos;
         pos = text.find(part, pos + 1))
      ++result;
    return result;
  }
};

} // namespace

// -- store --------------------------------------------------------------------

CAF_TEST_FIXTURE_SCOPE(registry_store_tests, store_fixture)

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

CAF_TEST(jobs get growing ids and keep every field) {
  auto a = make_job("cv:anomaly_detector:1.2.0", job_state::queued, 100);
  a.id = 42; // ignored: the database assigns ids
  auto a_id = insert(a);
  auto b_id = insert(make_job("nlp:tagger:3.0.0", job_state::queued, 200));
  auto c_id = insert(make_job("cv:ranker:0.1.0", job_state::queued, 300));
  CAF_CHECK_EQUAL(a_id, 1u);
  CAF_CHECK_LESS(a_id, b_id);
  CAF_CHECK_LESS(b_id, c_id);
  auto a_row = make_job("cv:anomaly_detector:1.2.0", job_state::succeeded, 100);
  a_row.id = a_id;
  a_row.attempts = 2;
  a_row.merged = 5;
  a_row.error = "exit code 1";
  a_row.version = "1.2.1";
  a_row.updated_at_ns = 150;
  CAF_CHECK(!store->update_job(a_row));
  auto b_row = make_job("nlp:tagger:3.0.0", job_state::running, 200);
  b_row.id = b_id;
  b_row.attempts = 1;
  CAF_CHECK(!store->update_job(b_row));
  auto rows = all_jobs();
  CAF_REQUIRE_EQUAL(rows.size(), 3u);
  CAF_CHECK_EQUAL(rows[0].id, c_id);
  CAF_CHECK_EQUAL(rows[1].id, b_id);
  check_same(rows[1], b_row);
  check_same(rows[2], a_row);
  CAF_CHECK_EQUAL(active_ids(), (std::vector<uint64_t>{b_id, c_id}));
  auto info = rows[2].to_info();
  CAF_CHECK_EQUAL(info.id, a_id);
  CAF_CHECK_EQUAL(info.model, "cv:anomaly_detector:1.2.0");
  CAF_CHECK_EQUAL(to_string(info.state), "succeeded");
  CAF_CHECK_EQUAL(info.attempts, 2u);
  CAF_CHECK_EQUAL(info.merged, 5u);
  CAF_CHECK_EQUAL(info.version, "1.2.1");
  CAF_CHECK_EQUAL(info.error, "exit code 1");
  CAF_CHECK_EQUAL(info.reason, "ewma_threshold accuracy");
  CAF_CHECK_EQUAL(info.created_at_ns, 100);
  CAF_CHECK_EQUAL(info.updated_at_ns, 150);
}

CAF_TEST(updating an unknown job fails) {
  auto job = make_job("cv:anomaly_detector:1.2.0", job_state::running, 100);
  job.id = 99;
  auto err = store->update_job(job);
  CAF_REQUIRE(err);
  CAF_CHECK(contains(err->message, "job 99"));
  CAF_CHECK(contains(err->message, "no such job"));
  CAF_CHECK(contains(err->message, store->path()));
}

CAF_TEST(versions and jobs survive a reopen) {
  auto v1 = reg(1, "cv:anomaly_detector:1.2.0", "drift", "s3://a", 10);
  auto v2 = reg(2, "cv:anomaly_detector:1.2.0", "drift", "s3://b", 20);
  auto j1 = make_job("cv:anomaly_detector:1.2.0", job_state::running, 5);
  j1.id = insert(j1);
  j1.attempts = 1;
  CAF_CHECK(!store->update_job(j1));
  auto j2 = make_job("nlp:tagger:3.0.0", job_state::queued, 6);
  j2.id = insert(j2);
  reopen();
  auto rows = store->versions(line);
  CAF_REQUIRE(rows);
  CAF_REQUIRE_EQUAL(rows->size(), 2u);
  check_same((*rows)[0], v1);
  check_same((*rows)[1], v2);
  auto jobs = all_jobs();
  CAF_REQUIRE_EQUAL(jobs.size(), 2u);
  check_same(jobs[0], j2);
  check_same(jobs[1], j1);
  CAF_CHECK_EQUAL(active_ids(), (std::vector<uint64_t>{j1.id, j2.id}));
  // Versions continue and stay idempotent after the reopen.
  CAF_CHECK_EQUAL(next(3, "cv:anomaly_detector:1.2.0"), "1.2.3");
  check_same(reg(1, "cv:anomaly_detector:1.2.0"), v1);
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

CAF_TEST(open creates missing data dirs) {
  auto nested = (dir.path() / "a" / "b").string();
  auto opened = registry_store::open(nested);
  CAF_REQUIRE(opened);
  CAF_CHECK_EQUAL((*opened)->path(), (dir.path() / "a" / "b" / "registry.db"));
  CAF_CHECK(fs::exists(dir.path() / "a" / "b" / "registry.db"));
}

CAF_TEST(an unusable data dir gives a clear error) {
  // A regular file where a directory must go: fails even for root.
  auto blocker = dir.path() / "blocker";
  std::ofstream{blocker} << "not a directory";
  auto below = (blocker / "data").string();
  auto err = open_error(below);
  CAF_CHECK(contains(err, below));
  CAF_CHECK(contains(err, "cannot create the data dir"));
  // A directory where the database file must go.
  auto taken = dir.path() / "taken";
  fs::create_directories(taken / "registry.db");
  err = open_error(taken.string());
  CAF_CHECK(contains(err, (taken / "registry.db").string()));
  CAF_CHECK(contains(err, "cannot open"));
  CAF_CHECK_EQUAL(open_error(""), "registry db: the data dir is empty");
  // A directory nobody may create files in, root included.
  err = open_error("/proc/1");
  CAF_CHECK(contains(err, "/proc/1/registry.db"));
  CAF_CHECK(contains(err, "cannot open"));
  // A directory without write permission (root may write anyway).
  if (geteuid() != 0) {
    auto locked = dir.path() / "locked";
    fs::create_directories(locked);
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    err = open_error(locked.string());
    CAF_CHECK(contains(err, (locked / "registry.db").string()));
    CAF_CHECK(contains(err, "cannot open"));
    fs::permissions(locked, fs::perms::owner_all);
  }
}

CAF_TEST(a file that is no database gives a clear error) {
  auto junk = dir.path() / "junk";
  fs::create_directories(junk);
  std::ofstream{junk / "registry.db"} << std::string(4096, 'x');
  auto err = open_error(junk.string());
  CAF_CHECK(contains(err, (junk / "registry.db").string()));
  CAF_CHECK(contains(err, "not a database"));
}

CAF_TEST(a newer schema is refused) {
  auto path = store->path();
  store.reset();
  raw_exec(path, "PRAGMA user_version = 2");
  auto err = open_error(dir.str());
  CAF_CHECK(contains(err, path));
  CAF_CHECK(contains(err, "schema version 2"));
}

CAF_TEST(two stores on one file write at the same time) {
  // The dispatcher and the registry each own a store of the same database,
  // on threads of their own: neither may see "database is locked".
  auto second = registry_store::open(dir.str());
  CAF_REQUIRE(second);
  constexpr uint64_t n = 50;
  std::vector<std::string> failures;
  std::vector<uint64_t> job_ids;
  std::thread writer{[&] {
    for (uint64_t i = 1; i <= n; ++i) {
      auto job = make_job("nlp:tagger:3.0.0", job_state::queued, 1);
      auto id = (*second)->insert_job(job);
      if (!id)
        failures.emplace_back(id.error().message);
      else
        job_ids.emplace_back(*id);
    }
  }};
  std::vector<std::string> bump_failures;
  for (uint64_t i = 1; i <= n; ++i) {
    auto v = store->register_version(i, mid("cv:anomaly_detector:1.0.0"), "",
                                     "", 1);
    if (!v)
      bump_failures.emplace_back(v.error().message);
  }
  writer.join();
  CAF_CHECK_EQUAL(failures, std::vector<std::string>{});
  CAF_CHECK_EQUAL(bump_failures, std::vector<std::string>{});
  CAF_CHECK_EQUAL(latest(line), "1.0." + std::to_string(n));
  CAF_CHECK_EQUAL(version_list(line).size(), n);
  CAF_CHECK_EQUAL(all_jobs().size(), n);
  CAF_CHECK(std::is_sorted(job_ids.begin(), job_ids.end()));
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- actor --------------------------------------------------------------------

CAF_TEST_FIXTURE_SCOPE(registry_actor_tests, actor_fixture)

CAF_TEST(registry registers versions and lists them) {
  auto v1 = reg_version(1, "cv:anomaly_detector:1.2.0", "s3://a");
  CAF_REQUIRE(v1);
  CAF_CHECK_EQUAL(v1->line, line);
  CAF_CHECK_EQUAL(v1->version, "1.2.1");
  CAF_CHECK_EQUAL(v1->parent, "1.2.0");
  CAF_CHECK_EQUAL(v1->job_id, 1u);
  CAF_CHECK_EQUAL(v1->reason, "ewma_threshold accuracy");
  CAF_CHECK_EQUAL(v1->artifact, "s3://a");
  CAF_CHECK_GREATER(v1->created_at_ns, 0);
  auto v2 = reg_version(2, "cv:anomaly_detector:1.2.0");
  CAF_REQUIRE(v2);
  CAF_CHECK_EQUAL(v2->version, "1.2.2");
  CAF_CHECK_EQUAL(v2->parent, "1.2.1");
  auto listed = ask<std::vector<model_version>>(atom::versions::value,
                                                std::string{line});
  CAF_REQUIRE(listed);
  CAF_REQUIRE_EQUAL(listed->size(), 2u);
  CAF_CHECK_EQUAL((*listed)[0].version, "1.2.1");
  CAF_CHECK_EQUAL((*listed)[1].version, "1.2.2");
  auto none = ask<std::vector<model_version>>(atom::versions::value,
                                              std::string{"cv:other"});
  CAF_REQUIRE(none);
  CAF_CHECK_EQUAL(none->size(), 0u);
}

CAF_TEST(registry answers a repeated job with the same version) {
  auto first = reg_version(5, "cv:anomaly_detector:1.2.0", "s3://a");
  CAF_REQUIRE(first);
  auto again = reg_version(5, "cv:anomaly_detector:1.2.0", "s3://b");
  CAF_REQUIRE(again);
  check_same(*again, *first);
  auto id = std::to_string(reg.id());
  CAF_CHECK_EQUAL(log_count("registry#" + id
                            + " registered cv:anomaly_detector 1.2.1 "
                              "(parent 1.2.0, job 5)"),
                  1u);
  CAF_CHECK_EQUAL(log_count(" registered "), 1u);
}

CAF_TEST(registry refuses bad model ids and lines) {
  auto bad_id = reg_version(1, "cv:anomaly_detector");
  CAF_REQUIRE(!bad_id);
  CAF_CHECK(has_code(bad_id.error(), ec::invalid_model_id));
  CAF_CHECK(contains(context_text(bad_id.error()), "cv:anomaly_detector"));
  auto no_job = reg_version(0, "cv:anomaly_detector:1.2.0");
  CAF_REQUIRE(!no_job);
  CAF_CHECK(has_code(no_job.error(), ec::no_such_job));
  auto bad_line = ask<std::vector<model_version>>(atom::versions::value,
                                                  std::string{"cv:a:1.0.0"});
  CAF_REQUIRE(!bad_line);
  CAF_CHECK(has_code(bad_line.error(), ec::invalid_model_line));
  CAF_CHECK_EQUAL(log_count(" registered "), 0u);
  // Nothing was recorded, and the registry still works.
  auto ok = reg_version(1, "cv:anomaly_detector:1.2.0");
  CAF_REQUIRE(ok);
  CAF_CHECK_EQUAL(ok->version, "1.2.1");
}

CAF_TEST(registry reports storage failures and keeps running) {
  raw_exec(db_path, "DROP TABLE versions");
  auto failed = reg_version(1, "cv:anomaly_detector:1.2.0");
  CAF_REQUIRE(!failed);
  CAF_CHECK(has_code(failed.error(), ec::storage_failure));
  CAF_CHECK(contains(context_text(failed.error()), db_path));
  auto listed = ask<std::vector<model_version>>(atom::versions::value,
                                                std::string{line});
  CAF_REQUIRE(!listed);
  CAF_CHECK(has_code(listed.error(), ec::storage_failure));
}

CAF_TEST(registry without a database quits) {
  auto dead = sys.spawn(registry, std::unique_ptr<registry_store>{});
  run();
  auto listed = ask_actor<std::vector<model_version>>(
    dead, atom::versions::value, std::string{line});
  CAF_REQUIRE(!listed);
  CAF_CHECK_EQUAL(listed.error(), caf::sec::request_receiver_down);
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- detached, as nodes run it ------------------------------------------------

CAF_TEST(a detached registry serves requests) {
  retrain::test::temp_dir dir{"retrain-registry"};
  retrain::test::test_config cfg;
  caf::actor_system sys{cfg};
  auto store = registry_store::open(dir.str());
  CAF_REQUIRE(store);
  auto reg = sys.spawn<caf::detached>(registry, std::move(*store));
  caf::scoped_actor self{sys};
  self
    ->request(reg, std::chrono::seconds{30},
              register_version{1, "cv:anomaly_detector:1.2.0", "drift", ""})
    .receive(
      [&](const model_version& v) { CAF_CHECK_EQUAL(v.version, "1.2.1"); },
      [&](const caf::error& err) { CAF_FAIL(sys.render(err)); });
  self->send_exit(reg, caf::exit_reason::user_shutdown);
}
