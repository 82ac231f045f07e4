#define CAF_SUITE registry
#include <caf/test/dsl.hpp>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "retrain/ec.hpp"
#include "retrain/register_messages.hpp"
#include "retrain/registry.hpp"
#include "retrain/version_store.hpp"

#include "store_support.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

using namespace retrain;

namespace {

constexpr const char* line = "cv:anomaly_detector";

using retrain::test::contains;
using retrain::test::context_text;
using retrain::test::has_code;
using retrain::test::raw_exec;

void check_same(const model_version& x, const model_version& y) {
  CAF_CHECK_EQUAL(caf::deep_to_string(x), caf::deep_to_string(y));
}

// -- actor fixture ------------------------------------------------------------

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
    auto store = version_store::open(dir.str(),
                                     retrain::test::registry_url(dir.str()));
    if (!store)
      CAF_FAIL("open failed: " << context_text(store.error()));
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
      register_version{job_id, model, "ewma_threshold accuracy", artifact, ""});
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

CAF_TEST(registry starts from the base version the dispatcher chose) {
  // The dispatcher knew 2.0.0 of the line (from a monitor node) though the
  // registry has nothing of it.
  auto v = ask<model_version>(register_version{
    1, "cv:anomaly_detector:1.2.0", "ewma_threshold accuracy", "", "2.0.0"});
  CAF_REQUIRE(v);
  CAF_CHECK_EQUAL(v->version, "2.0.1");
  CAF_CHECK_EQUAL(v->parent, "2.0.0");
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

CAF_TEST(registry registers on a retry after a failed write) {
  retrain::test::refuse_writes(db_path, "INSERT ON versions", "disk on fire");
  auto failed = reg_version(1, "cv:anomaly_detector:1.2.0");
  CAF_REQUIRE(!failed);
  CAF_CHECK(has_code(failed.error(), ec::storage_failure));
  auto text = "registry db " + db_path
              + ": cannot register the version of job 1 for "
                "cv:anomaly_detector: disk on fire";
  CAF_CHECK_EQUAL(context_text(failed.error()), text);
  CAF_CHECK_EQUAL(
    log_count("registry#" + std::to_string(reg.id()) + " " + text + "\n"), 1u);
  retrain::test::allow_writes(db_path, "INSERT ON versions");
  auto retried = reg_version(1, "cv:anomaly_detector:1.2.0");
  CAF_REQUIRE(retried);
  CAF_CHECK_EQUAL(retried->version, "1.2.1");
}

CAF_TEST(registry without a database quits) {
  auto dead = sys.spawn(registry, std::unique_ptr<version_store>{});
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
  auto store = version_store::open(dir.str(),
                                   retrain::test::registry_url(dir.str()));
  CAF_REQUIRE(store);
  auto reg = sys.spawn<caf::detached>(registry, std::move(*store));
  caf::scoped_actor self{sys};
  self
    ->request(reg, std::chrono::seconds{30},
              register_version{1, "cv:anomaly_detector:1.2.0", "drift", "", ""})
    .receive(
      [&](const model_version& v) { CAF_CHECK_EQUAL(v.version, "1.2.1"); },
      [&](const caf::error& err) { CAF_FAIL(sys.render(err)); });
  self->send_exit(reg, caf::exit_reason::user_shutdown);
}
