#define CAF_SUITE dispatcher
#include "test_support.hpp"

#include <numeric>

#include "retrain/core/duration_histogram.hpp"

#include "retrain/dispatcher.hpp"
#include "retrain/job_store.hpp"
#include "retrain/registry.hpp"
#include "retrain/version_store.hpp"

#include "store_support.hpp"

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
    auto versions = version_store::open(dir.str(),
                                        retrain::test::registry_url(dir.str()));
    auto jobs = job_store::open(dir.str(),
                                retrain::test::registry_url(dir.str()));
    CAF_REQUIRE(versions && jobs);
    reg = sys.spawn(registry, std::move(*versions));
    disp = sys.spawn(dispatcher, std::move(*jobs), reg, cfg, 10000ms,
                     news_actor{});
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
    r.job_id = job.record.id;
    r.attempt = job.attempt;
    r.success = success;
    r.exit_code = success ? 0 : 3;
    r.error = success ? "" : "exit code 3";
    caf::send_as(w, disp, r);
    drain();
  }

  std::vector<job_record> jobs() {
    return ask<std::vector<job_record>>(disp, atom::jobs::value);
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
  CAF_CHECK_EQUAL(job.record.model, "cv:a:1.2.0");
  CAF_CHECK_EQUAL(job.record.line, "cv:a");
  CAF_CHECK_EQUAL(job.record.base_version, "1.2.0");
  CAF_CHECK_EQUAL(job.record.next_version, "1.2.1");
  CAF_CHECK_EQUAL(job.record.state, job_state::running);
  CAF_CHECK_EQUAL(job.record.attempts, 1u);
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
  CAF_CHECK_EQUAL(vs[0].job_id, job.record.id);
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
  CAF_CHECK_EQUAL(jobs_a->at(1).record.base_version, "1.2.1");
  CAF_CHECK_EQUAL(jobs_a->at(1).record.next_version, "1.2.2");
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
  // What /metrics shows: three attempts, one ended job in the histogram.
  auto st = ask<coordinator_status>(disp, atom::status::value);
  CAF_CHECK_EQUAL(st.attempts, 3u);
  CAF_CHECK_EQUAL(st.failed, 1u);
  CAF_REQUIRE_EQUAL(st.job_seconds.size(),
                    core::duration_histogram::bounds.size() + 1);
  CAF_CHECK_EQUAL(std::accumulate(st.job_seconds.begin(), st.job_seconds.end(),
                                  uint64_t{0}),
                  1u);
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
  CAF_CHECK_EQUAL(jobs_b->at(0).record.id, jobs_a->at(0).record.id);
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
  late.job_id = first.record.id;
  late.attempt = first.attempt;
  late.success = true;
  caf::send_as(worker_a, disp, late);
  expect((job_result), to(disp));
  self->send(disp, atom::retry::value, first.record.id);
  expect((atom::retry, uint64_t), to(disp));
  drain();
  CAF_CHECK_EQUAL(jobs_b->size(), 1u); // no third attempt
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 1u);
  CAF_CHECK_EQUAL(js[0].state, job_state::succeeded);
  CAF_CHECK_EQUAL(versions("cv:a").size(), 1u);
}

CAF_TEST(a restarted dispatcher resumes its jobs from the store) {
  enlist(worker_a);
  trigger("cv:a:1.2.0");
  report(worker_a, jobs_a->at(0), true); // registers cv:a 1.2.1
  trigger("cv:b:1.0.0");                 // runs on worker_a
  trigger("cv:c:1.0.0");                 // waits for a worker
  CAF_REQUIRE_EQUAL(jobs_a->size(), 2u);
  self->send_exit(disp, caf::exit_reason::kill);
  drain();
  job_config cfg;
  cfg.max_attempts = 3;
  cfg.data_dir = dir.str();
  auto store = job_store::open(dir.str(),
                               retrain::test::registry_url(dir.str()));
  CAF_REQUIRE(store);
  disp = sys.spawn(dispatcher, std::move(*store), reg, cfg, 10000ms,
                   news_actor{});
  drain();
  // The running job is queued again, and says so in the store.
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 3u);
  CAF_CHECK_EQUAL(js[0].model, "cv:c:1.0.0");
  CAF_CHECK_EQUAL(js[0].state, job_state::queued);
  CAF_CHECK_EQUAL(js[1].model, "cv:b:1.0.0");
  CAF_CHECK_EQUAL(js[1].state, job_state::queued);
  CAF_CHECK_EQUAL(js[1].attempts, 1u);
  CAF_CHECK_EQUAL(js[2].state, job_state::succeeded);
  // Oldest first, with the next attempt number.
  worker_b = sys.spawn(fake_worker, jobs_b);
  enlist(worker_b);
  CAF_REQUIRE_EQUAL(jobs_b->size(), 1u);
  CAF_CHECK_EQUAL(jobs_b->at(0).record.model, "cv:b:1.0.0");
  CAF_CHECK_EQUAL(jobs_b->at(0).record.id, jobs_a->at(1).record.id);
  CAF_CHECK_EQUAL(jobs_b->at(0).attempt, 2u);
  // The latest versions came back too: the old version's trigger is
  // superseded.
  trigger("cv:a:1.2.0");
  CAF_CHECK_EQUAL(jobs().size(), 3u);
}

CAF_TEST(the jobs query reports a storage failure) {
  trigger("cv:a:1.2.0");
  auto path = retrain::test::on_postgresql()
                ? retrain::test::registry_url(dir.str())
                : (std::filesystem::path{dir.str()} / "registry.db").string();
  raw_exec(path, "DROP TABLE jobs");
  auto rp = self->request(disp, caf::infinite, atom::jobs::value);
  drain();
  caf::error err;
  rp.receive([](std::vector<job_record>&) { CAF_FAIL("jobs answered"); },
             [&](caf::error& x) { err = std::move(x); });
  CAF_CHECK(has_code(err, ec::storage_failure));
  CAF_CHECK(contains(context_text(err),
                     "registry db " + path + ": cannot read the jobs: "));
}

CAF_TEST(status names the version of the coordinator and of each linked node) {
  // The coordinator's own node says hello without a sender, the link of
  // another node as itself.
  caf::anon_send(disp, atom::hello::value, std::string{"0.1.0 (git a)"});
  auto link = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    self->send(disp, atom::hello::value, std::string{"0.2.0 (git b)"});
    return {[](int) {}};
  });
  drain();
  auto status = ask<coordinator_status>(disp, atom::status::value);
  CAF_CHECK_EQUAL(status.version, "0.1.0 (git a)");
  CAF_REQUIRE_EQUAL(status.node_versions.size(), 1u);
  CAF_CHECK_EQUAL(status.node_versions.begin()->first, to_string(link.node()));
  CAF_CHECK_EQUAL(status.node_versions.begin()->second, "0.2.0 (git b)");
  // A link that goes down takes its node off the list.
  caf::anon_send_exit(link, caf::exit_reason::kill);
  drain();
  status = ask<coordinator_status>(disp, atom::status::value);
  CAF_CHECK(status.node_versions.empty());
  CAF_CHECK_EQUAL(status.version, "0.1.0 (git a)");
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- workers that come back, lost attempts, subscribers -----------------------

namespace {

struct worker_fixture : fixture {
  /// Runs cv:a:1.2.0 on worker_a, enlists worker_b and loses worker_a, so
  /// that attempt 2 runs on worker_b; returns attempt 1.
  retrain_job lose_first_attempt() {
    enlist(worker_a);
    trigger("cv:a:1.2.0");
    worker_b = sys.spawn(fake_worker, jobs_b);
    enlist(worker_b);
    auto first = jobs_a->at(0);
    caf::anon_send_exit(worker_a, caf::exit_reason::kill);
    drain();
    CAF_REQUIRE_EQUAL(jobs_b->size(), 1u);
    return first;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(dispatcher_worker_tests, worker_fixture)

CAF_TEST(a busy worker that enlists again keeps its job and gets no other) {
  enlist(worker_a);
  trigger("cv:a:1.2.0");
  trigger("cv:b:1.0.0"); // waits: the only worker is busy
  CAF_REQUIRE_EQUAL(jobs_a->size(), 1u);
  // A coordinator link enlists its workers again after every reconnect,
  // busy ones too.
  enlist(worker_a);
  CAF_CHECK_EQUAL(jobs_a->size(), 1u);
  auto st = ask<coordinator_status>(disp, atom::status::value);
  CAF_REQUIRE_EQUAL(st.workers.size(), 1u);
  CAF_CHECK_EQUAL(st.workers[0].job_id, jobs_a->at(0).record.id);
  CAF_CHECK_EQUAL(st.running, 1u);
  CAF_CHECK_EQUAL(st.queued, 1u);
  // Its result frees it for the waiting job.
  report(worker_a, jobs_a->at(0), true);
  CAF_REQUIRE_EQUAL(jobs_a->size(), 2u);
  CAF_CHECK_EQUAL(jobs_a->at(1).record.model, "cv:b:1.0.0");
}

CAF_TEST(the job of a lost worker goes before the jobs that waited) {
  enlist(worker_a);
  trigger("cv:a:1.2.0"); // runs on worker_a
  trigger("cv:b:1.0.0"); // waits
  caf::anon_send_exit(worker_a, caf::exit_reason::kill);
  drain();
  worker_b = sys.spawn(fake_worker, jobs_b);
  enlist(worker_b);
  CAF_REQUIRE_EQUAL(jobs_b->size(), 1u);
  CAF_CHECK_EQUAL(jobs_b->at(0).record.model, "cv:a:1.2.0");
  CAF_CHECK_EQUAL(jobs_b->at(0).attempt, 2u);
}

CAF_TEST(a late failure of an attempt given up on leaves the running one) {
  auto first = lose_first_attempt();
  report(worker_a, first, false); // attempt 1 fails after all
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 1u);
  CAF_CHECK_EQUAL(js[0].state, job_state::running);
  CAF_CHECK_EQUAL(js[0].attempts, 2u);
  CAF_CHECK_EQUAL(js[0].error, "");
  advance_time(1h); // no retry is pending
  drain();
  CAF_CHECK_EQUAL(jobs_b->size(), 1u);
  report(worker_b, jobs_b->at(0), true);
  CAF_CHECK_EQUAL(jobs()[0].state, job_state::succeeded);
}

CAF_TEST(a subscriber learns which lines are busy and their versions) {
  enlist(worker_a);
  trigger("cv:a:1.2.0");
  report(worker_a, jobs_a->at(0), true); // cv:a 1.2.1, idle again
  trigger("cv:b:1.0.0");                 // running
  trigger("cv:c:1.0.0");                 // queued
  auto seen = std::make_shared<std::vector<job_update>>();
  auto news = sys.spawn(fake_job_news, seen);
  auto lines = ask<std::vector<line_state>>(disp, atom::subscribe::value, news,
                                            std::vector<line_state>{});
  CAF_REQUIRE_EQUAL(lines.size(), 3u);
  auto line = [&](const std::string& name) {
    for (auto& x : lines)
      if (x.line == name)
        return x;
    CAF_FAIL("no line " << name);
    return line_state{};
  };
  CAF_CHECK(!line("cv:a").busy);
  CAF_CHECK_EQUAL(line("cv:a").latest, "1.2.1");
  CAF_CHECK(line("cv:b").busy);
  CAF_CHECK_EQUAL(line("cv:b").latest, "");
  CAF_CHECK(line("cv:c").busy);
  // From then on it hears of every change: the freed worker takes cv:c
  // while cv:b's version is registered.
  report(worker_a, jobs_a->at(1), true);
  CAF_REQUIRE_EQUAL(seen->size(), 2u);
  auto news_of = [&](const std::string& name) {
    for (auto& x : *seen)
      if (x.line == name)
        return x;
    CAF_FAIL("no news of " << name);
    return job_update{};
  };
  CAF_CHECK_EQUAL(news_of("cv:b").state, job_state::succeeded);
  CAF_CHECK_EQUAL(news_of("cv:b").version, "1.0.1");
  CAF_CHECK_EQUAL(news_of("cv:c").state, job_state::running);
}

CAF_TEST_FIXTURE_SCOPE_END()
