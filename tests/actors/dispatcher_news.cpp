#define CAF_SUITE dispatcher_news
#include "test_support.hpp"

#include "retrain/dispatcher.hpp"
#include "retrain/job_store.hpp"
#include "retrain/registry.hpp"
#include "retrain/version_store.hpp"

#include "store_support.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

/// What an observer of the dispatcher heard, one line per notice, e.g.
/// `drift cv:a:1.2.0 job 1 merged 0`, `job 1 running attempt 1`,
/// `version cv:a 1.2.1 job 1`.
using news_log = std::vector<std::string>;

news_actor::behavior_type fake_news(std::shared_ptr<news_log> log) {
  return {
    [log](atom::news, retrain_trigger& t, job_record& job) {
      log->push_back("drift " + t.model + " job " + std::to_string(job.id)
                     + " merged " + std::to_string(job.merged));
    },
    [log](atom::news, job_record& job) {
      log->push_back("job " + std::to_string(job.id) + " "
                     + to_string(job.state) + " attempt "
                     + std::to_string(job.attempts));
    },
    [log](atom::news, model_version& v) {
      log->push_back("version " + v.line + " " + v.version + " job "
                     + std::to_string(v.job_id));
    },
  };
}

struct fixture : actor_fixture {
  temp_dir dir{"retrain-dispatcher-news"};
  job_config cfg;
  registry_actor reg;
  dispatcher_self_actor disp;
  std::shared_ptr<news_log> heard = std::make_shared<news_log>();
  news_actor news;
  std::shared_ptr<std::vector<retrain_job>> jobs_a
    = std::make_shared<std::vector<retrain_job>>();
  retrain_worker_actor worker_a;

  fixture() {
    cfg.max_attempts = 2;
    cfg.retry_delay = 10000ms;
    cfg.retry_cap = 600000ms;
    cfg.data_dir = dir.str();
    auto versions = version_store::open(dir.str(),
                                        retrain::test::registry_url(dir.str()));
    CAF_REQUIRE(versions);
    reg = sys.spawn(registry, std::move(*versions));
    news = sys.spawn(fake_news, heard);
    start_dispatcher();
    worker_a = sys.spawn(fake_worker, jobs_a);
  }

  void start_dispatcher() {
    auto jobs = job_store::open(dir.str(),
                                retrain::test::registry_url(dir.str()));
    CAF_REQUIRE(jobs);
    disp = sys.spawn(dispatcher, std::move(*jobs), reg, cfg, 10000ms, news);
    drain();
  }

  void enlist() {
    self->send(disp, atom::enlist::value, worker_a);
    drain();
  }

  /// Sends a trigger with `id` and returns the dispatcher's answer.
  trigger_ack trigger(const std::string& model, const std::string& id) {
    retrain_trigger t;
    t.model = model;
    t.id = id;
    t.reason.strategy = "ewma_threshold";
    t.reason.statistic = 0.8;
    t.reason.threshold = 0.9;
    t.reason.samples = 40;
    return ask<trigger_ack>(disp, t);
  }

  void report(const retrain_job& job, bool success) {
    job_result r;
    r.job_id = job.record.id;
    r.attempt = job.attempt;
    r.success = success;
    r.exit_code = success ? 0 : 1;
    r.error = success ? "" : "exit code 1";
    caf::send_as(worker_a, disp, r);
    drain();
  }

  /// What was heard since the last call.
  news_log take() {
    news_log result;
    result.swap(*heard);
    return result;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(dispatcher_news_tests, fixture)

CAF_TEST(a trigger that becomes a registered version is told step by step) {
  auto ack = trigger("cv:a:1.2.0", "n-1");
  CAF_CHECK_EQUAL(ack.outcome, trigger_outcome::created);
  auto id = std::to_string(ack.job_id);
  CAF_CHECK_EQUAL(take(), news_log({"drift cv:a:1.2.0 job " + id + " merged 0",
                                    "job " + id + " queued attempt 0"}));
  enlist();
  CAF_REQUIRE_EQUAL(jobs_a->size(), 1u);
  CAF_CHECK_EQUAL(take(), news_log({"job " + id + " running attempt 1"}));
  report(jobs_a->at(0), true);
  CAF_CHECK_EQUAL(take(), news_log({"version cv:a 1.2.1 job " + id,
                                    "job " + id + " succeeded attempt 1"}));
}

CAF_TEST(a job that runs out of attempts is told failed once) {
  auto ack = trigger("cv:a:1.2.0", "n-1");
  auto id = std::to_string(ack.job_id);
  enlist();
  report(jobs_a->at(0), false);
  // A retry to come is no transition of its own: the next start says
  // which attempt it is.
  CAF_CHECK_EQUAL(take(), news_log({"drift cv:a:1.2.0 job " + id + " merged 0",
                                    "job " + id + " queued attempt 0",
                                    "job " + id + " running attempt 1"}));
  advance_time(1h);
  drain();
  CAF_REQUIRE_EQUAL(jobs_a->size(), 2u);
  report(jobs_a->at(1), false);
  CAF_CHECK_EQUAL(take(), news_log({"job " + id + " running attempt 2",
                                    "job " + id + " failed attempt 2"}));
  advance_time(1h);
  drain();
  CAF_CHECK_EQUAL(take(), news_log{});
}

CAF_TEST(a trigger sent again is no second drift and a merge is one) {
  auto first = trigger("cv:a:1.2.0", "n-1");
  auto id = std::to_string(first.job_id);
  take();
  // The monitor node lost the ack and sends the same trigger again.
  auto again = trigger("cv:a:1.2.0", "n-1");
  CAF_CHECK_EQUAL(again.outcome, trigger_outcome::repeated);
  CAF_CHECK_EQUAL(again.job_id, first.job_id);
  CAF_CHECK_EQUAL(take(), news_log{});
  // A new episode of the busy line joins its job: a drift, no new job.
  auto merged = trigger("cv:a:1.2.0", "n-2");
  CAF_CHECK_EQUAL(merged.outcome, trigger_outcome::merged);
  CAF_CHECK_EQUAL(take(),
                  news_log({"drift cv:a:1.2.0 job " + id + " merged 1"}));
  // A superseded trigger makes no job and no drift.
  enlist();
  report(jobs_a->at(0), true);
  take();
  auto old = trigger("cv:a:1.2.0", "n-3");
  CAF_CHECK_EQUAL(old.outcome, trigger_outcome::superseded);
  CAF_CHECK_EQUAL(take(), news_log{});
}

CAF_TEST(a job resumed after a restart is not told queued again) {
  auto ack = trigger("cv:a:1.2.0", "n-1");
  auto id = std::to_string(ack.job_id);
  enlist();
  take();
  self->send_exit(disp, caf::exit_reason::kill);
  drain();
  start_dispatcher();
  CAF_CHECK_EQUAL(take(), news_log{});
  // Its next attempt is told, as attempt 2.
  auto worker_b_jobs = std::make_shared<std::vector<retrain_job>>();
  auto worker_b = sys.spawn(fake_worker, worker_b_jobs);
  self->send(disp, atom::enlist::value, worker_b);
  drain();
  CAF_REQUIRE_EQUAL(worker_b_jobs->size(), 1u);
  CAF_CHECK_EQUAL(take(), news_log({"job " + id + " running attempt 2"}));
}

CAF_TEST(without an observer the dispatcher works as before) {
  self->send_exit(disp, caf::exit_reason::kill);
  drain();
  auto jobs = job_store::open(dir.str(),
                              retrain::test::registry_url(dir.str()));
  CAF_REQUIRE(jobs);
  disp = sys.spawn(dispatcher, std::move(*jobs), reg, cfg, 10000ms,
                   news_actor{});
  drain();
  auto ack = trigger("cv:a:1.2.0", "n-1");
  CAF_CHECK_EQUAL(ack.outcome, trigger_outcome::created);
  enlist();
  report(jobs_a->at(0), true);
  auto js = ask<std::vector<job_record>>(disp, atom::jobs::value);
  CAF_REQUIRE_EQUAL(js.size(), 1u);
  CAF_CHECK_EQUAL(js[0].state, job_state::succeeded);
  CAF_CHECK_EQUAL(take(), news_log{});
}

CAF_TEST_FIXTURE_SCOPE_END()
