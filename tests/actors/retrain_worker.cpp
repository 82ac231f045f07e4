#define CAF_SUITE retrain_worker
#include <caf/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "retrain/register_messages.hpp"
#include "retrain/retrain_worker.hpp"

#include "temp_dir.hpp"

using namespace retrain;
using retrain::test::contains;
using retrain::test::read_file;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

retrain_job make_job(uint64_t id = 7, uint32_t attempt = 2) {
  retrain_job job;
  job.record.id = id;
  job.record.model = "cv:det:1.2.0";
  job.record.base_version = "1.2.0";
  job.record.next_version = "1.3.0";
  job.attempt = attempt;
  job.record.reason = "ewma_threshold";
  return job;
}

caf::actor_system_config& with_messages(caf::actor_system_config& cfg) {
  register_messages(cfg);
  return cfg;
}

// A real actor system: the worker is detached and blocks, which the
// deterministic test coordinator cannot run.
struct fixture {
  fixture() : sys(with_messages(sys_cfg)), self(sys) {
    cfg.data_dir = dir.string();
    cfg.timeout = 10s;
  }

  ~fixture() {
    for (auto& worker : workers)
      self->send_exit(worker, caf::exit_reason::user_shutdown);
  }

  retrain_worker_actor spawn() {
    workers.push_back(spawn_retrain_worker(sys, cfg));
    return workers.back();
  }

  // Sends `job` to a new worker and returns its result.
  job_result run(const retrain_job& job = make_job()) {
    auto worker = spawn();
    self->send(worker, job);
    return receive_result();
  }

  job_result receive_result() {
    job_result result;
    self->receive([&](const job_result& x) { result = x; },
                  caf::after(std::chrono::seconds{60}) >>
                    [&] { CAF_FAIL("no job_result within a minute"); });
    return result;
  }

  caf::actor_system_config sys_cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  std::vector<retrain_worker_actor> workers;
  retrain::test::temp_dir tmp{"retrain-worker"};
  fs::path dir = tmp.path();
  job_config cfg;
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(retrain_worker_tests, fixture)

CAF_TEST(a succeeding command reports its artifact to the sender) {
  cfg.command = {"/bin/sh", "-c",
                 "echo training {model} job {job_id}; "
                 R"(echo '{{"artifact": "file:///{project}/{name}/)"
                 R"({next_version}"}}')"};
  auto res = run();
  CAF_CHECK_EQUAL(res.job_id, 7u);
  CAF_CHECK_EQUAL(res.attempt, 2u);
  CAF_CHECK(res.success);
  CAF_CHECK_EQUAL(res.exit_code, 0);
  CAF_CHECK_EQUAL(res.artifact, "file:///cv/det/1.3.0");
  CAF_CHECK_EQUAL(res.error, "");
  CAF_CHECK(res.duration_ns > 0);
  CAF_CHECK_EQUAL(res.log_file, (dir / "jobs" / "7-2.log").string());
  auto text = read_file(res.log_file);
  CAF_CHECK(contains(text, "[retrain] job 7 attempt 2: model cv:det:1.2.0, "
                           "version 1.2.0 -> 1.3.0, reason ewma_threshold"));
  CAF_CHECK(contains(text, "training cv:det:1.2.0 job 7\n"));
}

CAF_TEST(a non - zero exit code fails the attempt) {
  cfg.command = {"/bin/sh", "-c", "echo broken >&2; exit 3"};
  auto res = run();
  CAF_CHECK(!res.success);
  CAF_CHECK_EQUAL(res.exit_code, 3);
  CAF_CHECK_EQUAL(res.error, "exit code 3");
  CAF_CHECK_EQUAL(res.artifact, "");
  CAF_CHECK(contains(read_file(res.log_file), "broken\n"));
}

CAF_TEST(a command that runs too long is killed) {
  cfg.command = {"/bin/sh", "-c", "sleep 100 & exec sleep 100"};
  cfg.timeout = 200ms;
  auto res = run();
  CAF_CHECK(!res.success);
  CAF_CHECK_EQUAL(res.exit_code, -1);
  CAF_CHECK_EQUAL(res.error, "timed out after 200ms, process group killed");
}

CAF_TEST(a missing program fails with a clear error) {
  cfg.command = {"retrain-no-such-program", "{model}"};
  auto res = run();
  CAF_CHECK(!res.success);
  CAF_CHECK_EQUAL(res.exit_code, 127);
  CAF_CHECK_EQUAL(res.error, "cannot run 'retrain-no-such-program': No such "
                             "file or directory");
}

CAF_TEST(an unknown placeholder fails without running anything) {
  cfg.command = {"/bin/sh", "-c", "echo {modle}"};
  auto res = run();
  CAF_CHECK(!res.success);
  CAF_CHECK_EQUAL(res.exit_code, -1);
  CAF_CHECK(contains(res.error, "unknown placeholder {modle}"));
  CAF_CHECK(contains(read_file(res.log_file), res.error));
}

CAF_TEST(a malformed artifact line is noted but not an error) {
  cfg.command = {"/bin/sh", "-c", R"(echo '{{"artifact": ')"};
  auto res = run();
  CAF_CHECK(res.success);
  CAF_CHECK_EQUAL(res.error, "");
  CAF_CHECK_EQUAL(res.artifact, "");
  CAF_CHECK(contains(read_file(res.log_file),
                     "[retrain] no artifact: last stdout line is not JSON ("));
}

CAF_TEST(without a command the simulated trainer succeeds) {
  cfg.simulated_duration = 50ms;
  auto res = run();
  CAF_CHECK(res.success);
  CAF_CHECK_EQUAL(res.exit_code, 0);
  CAF_CHECK_EQUAL(res.error, "");
  CAF_CHECK_EQUAL(res.artifact, "");
  auto text = read_file(res.log_file);
  CAF_CHECK(contains(text, "[retrain] simulated trainer: training "
                           "cv:det:1.2.0 from 1.2.0 to 1.3.0 for 50ms"));
  CAF_CHECK(contains(text, "[retrain] simulated trainer: done"));
}

CAF_TEST(the simulated trainer obeys the timeout) {
  cfg.simulated_duration = 500ms;
  cfg.timeout = 50ms;
  auto res = run();
  CAF_CHECK(!res.success);
  CAF_CHECK_EQUAL(res.exit_code, -1);
  CAF_CHECK_EQUAL(res.error, "timed out after 50ms");
}

CAF_TEST(a worker runs one job after another) {
  cfg.command = {"/bin/sh", "-c", "exit {job_id}"};
  auto worker = spawn();
  self->send(worker, make_job(0, 1));
  self->send(worker, make_job(4, 1));
  auto first = receive_result();
  auto second = receive_result();
  CAF_CHECK_EQUAL(first.job_id, 0u);
  CAF_CHECK(first.success);
  CAF_CHECK_EQUAL(second.job_id, 4u);
  CAF_CHECK_EQUAL(second.error, "exit code 4");
}

CAF_TEST(detached workers run jobs in parallel) {
  cfg.command = {"/bin/sh", "-c", "sleep 0.1; exit {job_id}"};
  for (uint64_t id = 1; id <= 3; ++id)
    self->send(spawn(), make_job(id, 1));
  std::map<uint64_t, int32_t> exit_codes;
  for (int i = 0; i < 3; ++i) {
    auto res = receive_result();
    exit_codes[res.job_id] = res.exit_code;
  }
  CAF_CHECK_EQUAL(exit_codes.size(), 3u);
  for (uint64_t id = 1; id <= 3; ++id)
    CAF_CHECK_EQUAL(exit_codes[id], static_cast<int32_t>(id));
}

CAF_TEST(an unusable data directory fails the attempt) {
  auto file = dir / "not-a-dir";
  std::ofstream{file} << "x";
  cfg.data_dir = file.string();
  auto res = run_job_attempt(cfg, process_runner{}, make_job());
  CAF_CHECK(!res.success);
  CAF_CHECK_EQUAL(res.log_file, "");
  CAF_CHECK(contains(res.error, "cannot create log directory '"
                                  + (file / "jobs").string() + "': "));
}

CAF_TEST(an attempt handed out before its node was stopped does not start) {
  auto marker = dir / "ran";
  cfg.command = {"/usr/bin/touch", marker.string()};
  // The node was stopped between taking the job and starting it, past the
  // time the coordinator waits before running the attempt elsewhere.
  auto res = run_job_attempt(cfg, process_runner{}, make_job(),
                             std::chrono::steady_clock::now()
                               - std::chrono::seconds{1});
  CAF_CHECK(!res.success);
  CAF_CHECK(contains(res.error, "not started: the node was stopped"));
  CAF_CHECK(!std::filesystem::exists(marker));
  // In time, it runs.
  res = run_job_attempt(cfg, process_runner{}, make_job(),
                        std::chrono::steady_clock::now()
                          + std::chrono::seconds{60});
  CAF_CHECK(res.success);
  CAF_CHECK(std::filesystem::exists(marker));
}

CAF_TEST_FIXTURE_SCOPE_END()
