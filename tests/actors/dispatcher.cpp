#define CAF_SUITE dispatcher
#include "test_support.hpp"

#include "retrain/dispatcher.hpp"
#include "retrain/registry.hpp"
#include "retrain/registry_store.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

struct fixture : actor_fixture {
  temp_dir dir{"retrain-dispatcher"};
  registry_actor reg;
  /// The internal handle: tests fire the retry timer themselves.
  dispatcher_self_actor disp;
  std::shared_ptr<std::vector<retrain_job>> jobs_a
    = std::make_shared<std::vector<retrain_job>>();
  std::shared_ptr<std::vector<retrain_job>> jobs_b
    = std::make_shared<std::vector<retrain_job>>();
  retrain_worker_actor worker_a;
  retrain_worker_actor worker_b;

  fixture() {
    job_config cfg;
    cfg.max_attempts = 3;
    cfg.retry_delay = 10000ms;
    cfg.retry_cap = 600000ms;
    cfg.data_dir = dir.str();
    auto reg_store = registry_store::open(dir.str());
    auto job_store = registry_store::open(dir.str());
    CAF_REQUIRE(reg_store && job_store);
    reg = sys.spawn(registry, std::move(*reg_store));
    disp = sys.spawn(dispatcher, std::move(*job_store), reg, cfg, 10000ms);
    worker_a = sys.spawn(fake_worker, jobs_a);
    drain();
  }

  void enlist(const retrain_worker_actor& w) {
    self->send(disp, atom::enlist::value, w);
    drain();
  }

  void trigger(const std::string& model) {
    retrain_trigger t;
    t.model = model;
    t.reason.strategy = "ewma_threshold";
    t.reason.statistic = 0.8;
    t.reason.threshold = 0.9;
    self->send(disp, t);
    drain();
  }

  void report(const retrain_worker_actor& w, const retrain_job& job,
              bool success) {
    job_result r;
    r.job_id = job.id;
    r.attempt = job.attempt;
    r.success = success;
    r.exit_code = success ? 0 : 3;
    r.error = success ? "" : "exit code 3";
    caf::send_as(w, disp, r);
    drain();
  }

  std::vector<job_info> jobs() {
    return ask<std::vector<job_info>>(disp, atom::jobs::value);
  }

  std::vector<model_version> versions(const std::string& line) {
    return ask<std::vector<model_version>>(disp, atom::versions::value, line);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(dispatcher_tests, fixture)

CAF_TEST(a trigger becomes a job that a worker runs and registers) {
  enlist(worker_a);
  trigger("cv:a:1.2.0");
  CAF_REQUIRE_EQUAL(jobs_a->size(), 1u);
  auto job = jobs_a->at(0);
  CAF_CHECK_EQUAL(job.model, "cv:a:1.2.0");
  CAF_CHECK_EQUAL(job.version, "1.2.0");
  CAF_CHECK_EQUAL(job.next_version, "1.2.1");
  CAF_CHECK_EQUAL(job.attempt, 1u);
  report(worker_a, job, true);
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 1u);
  CAF_CHECK_EQUAL(js[0].state, job_state::succeeded);
  CAF_CHECK_EQUAL(js[0].version, "1.2.1");
  auto vs = versions("cv:a");
  CAF_REQUIRE_EQUAL(vs.size(), 1u);
  CAF_CHECK_EQUAL(vs[0].version, "1.2.1");
  CAF_CHECK_EQUAL(vs[0].parent, "1.2.0");
  CAF_CHECK_EQUAL(vs[0].job_id, job.id);
}

CAF_TEST(triggers of a busy line merge into its job) {
  trigger("cv:a:1.2.0"); // no worker yet: stays queued
  trigger("cv:a:1.2.0");
  trigger("cv:a:1.2.0");
  trigger("cv:b:1.0.0");
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 2u);
  for (auto& j : js) {
    CAF_CHECK_EQUAL(j.state, job_state::queued);
    CAF_CHECK_EQUAL(j.merged, j.model == "cv:a:1.2.0" ? 2u : 0u);
  }
  enlist(worker_a);
  CAF_CHECK_EQUAL(jobs_a->size(), 1u); // one worker, one job at a time
  report(worker_a, jobs_a->at(0), true);
  CAF_CHECK_EQUAL(jobs_a->size(), 2u);
}

CAF_TEST(triggers from superseded versions are dropped) {
  enlist(worker_a);
  trigger("cv:a:1.2.0");
  report(worker_a, jobs_a->at(0), true); // registers 1.2.1
  trigger("cv:a:1.2.0");                 // the old version drifts on
  CAF_CHECK_EQUAL(jobs().size(), 1u);
  trigger("cv:a:1.2.1"); // the new version drifting is a new episode
  CAF_REQUIRE_EQUAL(jobs_a->size(), 2u);
  CAF_CHECK_EQUAL(jobs_a->at(1).version, "1.2.1");
  CAF_CHECK_EQUAL(jobs_a->at(1).next_version, "1.2.2");
}

CAF_TEST(failed attempts are retried with backoff then marked failed) {
  enlist(worker_a);
  trigger("cv:a:1.2.0");
  report(worker_a, jobs_a->at(0), false);
  CAF_CHECK_EQUAL(jobs()[0].state, job_state::queued);
  // First retry after 10 s +/- 10%.
  advance_time(8900ms);
  drain();
  CAF_CHECK_EQUAL(jobs_a->size(), 1u);
  advance_time(2200ms);
  drain();
  CAF_REQUIRE_EQUAL(jobs_a->size(), 2u);
  CAF_CHECK_EQUAL(jobs_a->at(1).attempt, 2u);
  report(worker_a, jobs_a->at(1), false);
  // Second retry after 20 s +/- 10%.
  advance_time(17900ms);
  drain();
  CAF_CHECK_EQUAL(jobs_a->size(), 2u);
  advance_time(4200ms);
  drain();
  CAF_REQUIRE_EQUAL(jobs_a->size(), 3u);
  report(worker_a, jobs_a->at(2), false);
  auto js = jobs();
  CAF_CHECK_EQUAL(js[0].state, job_state::failed);
  CAF_CHECK_EQUAL(js[0].attempts, 3u);
  CAF_CHECK_EQUAL(js[0].error, "exit code 3");
  advance_time(1h);
  drain();
  CAF_CHECK_EQUAL(jobs_a->size(), 3u);
  CAF_CHECK_EQUAL(versions("cv:a").size(), 0u);
}

CAF_TEST(the job of a worker that dies is re - queued at once) {
  enlist(worker_a);
  trigger("cv:a:1.2.0");
  CAF_REQUIRE_EQUAL(jobs_a->size(), 1u);
  worker_b = sys.spawn(fake_worker, jobs_b);
  enlist(worker_b);
  CAF_CHECK_EQUAL(jobs_b->size(), 0u);
  caf::anon_send_exit(worker_a, caf::exit_reason::kill);
  drain();
  CAF_REQUIRE_EQUAL(jobs_b->size(), 1u);
  CAF_CHECK_EQUAL(jobs_b->at(0).id, jobs_a->at(0).id);
  report(worker_b, jobs_b->at(0), true);
  // The dead worker's late success changes nothing: still one version.
  report(worker_a, jobs_a->at(0), true);
  CAF_CHECK_EQUAL(versions("cv:a").size(), 1u);
  CAF_CHECK_EQUAL(jobs()[0].state, job_state::succeeded);
}

CAF_TEST(a late success of a lost worker completes the job once) {
  enlist(worker_a);
  trigger("cv:a:1.2.0");
  worker_b = sys.spawn(fake_worker, jobs_b);
  enlist(worker_b);
  auto first = jobs_a->at(0);
  caf::anon_send_exit(worker_a, caf::exit_reason::kill);
  drain();
  CAF_REQUIRE_EQUAL(jobs_b->size(), 1u);
  // The first attempt finishes after all (its node came back too late).
  report(worker_a, first, true);
  CAF_CHECK_EQUAL(jobs()[0].state, job_state::succeeded);
  report(worker_b, jobs_b->at(0), true);
  CAF_CHECK_EQUAL(versions("cv:a").size(), 1u);
}

CAF_TEST(a retry timer firing during registration does not run the job again) {
  enlist(worker_a);
  trigger("cv:a:1.2.0");
  worker_b = sys.spawn(fake_worker, jobs_b);
  enlist(worker_b);
  auto first = jobs_a->at(0);
  caf::anon_send_exit(worker_a, caf::exit_reason::kill);
  drain();
  CAF_REQUIRE_EQUAL(jobs_b->size(), 1u);
  report(worker_b, jobs_b->at(0), false); // attempt 2 fails: retry later
  // Attempt 1 succeeds after all; while its version is being registered,
  // the retry timer of attempt 2 fires.
  job_result late;
  late.job_id = first.id;
  late.attempt = first.attempt;
  late.success = true;
  caf::send_as(worker_a, disp, late);
  expect((job_result), to(disp));
  self->send(disp, atom::retry::value, first.id);
  expect((atom::retry, uint64_t), to(disp));
  drain();
  CAF_CHECK_EQUAL(jobs_b->size(), 1u); // no third attempt
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 1u);
  CAF_CHECK_EQUAL(js[0].state, job_state::succeeded);
  CAF_CHECK_EQUAL(versions("cv:a").size(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
