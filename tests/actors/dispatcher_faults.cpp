#define CAF_SUITE dispatcher_faults
#include "test_support.hpp"

#include "retrain/dispatcher.hpp"
#include "retrain/job_store.hpp"
#include "retrain/registry.hpp"
#include "retrain/version_store.hpp"

#include "store_support.hpp"

// What the dispatcher promises about decisions: a trigger is acknowledged
// only once its job is stored, a re-sent trigger is the same trigger, and a
// write the database refuses changes nothing (not the job in memory, not
// the workers, not the acks) until it goes through.

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

struct fixture : actor_fixture {
  temp_dir dir{"retrain-dispatcher-faults"};
  std::string db_path;
  registry_actor reg;
  dispatcher_self_actor disp;
  std::shared_ptr<std::vector<retrain_job>> jobs_a
    = std::make_shared<std::vector<retrain_job>>();
  retrain_worker_actor worker_a;

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
    db_path = (*jobs)->path();
    reg = sys.spawn(registry, std::move(*versions));
    disp = sys.spawn(dispatcher, std::move(*jobs), reg, cfg, 10000ms,
                     news_actor{});
    worker_a = sys.spawn(fake_worker, jobs_a);
    drain();
  }

  retrain_trigger make_trigger(const std::string& model, const std::string& id,
                               const std::string& known_latest = "") {
    retrain_trigger t;
    t.model = model;
    t.reason.strategy = "ewma_threshold";
    t.reason.statistic = 0.8;
    t.reason.threshold = 0.9;
    t.id = id;
    t.known_latest = known_latest;
    return t;
  }

  /// Sends a trigger and returns its ack, or the error.
  caf::expected<trigger_ack> send(const retrain_trigger& t) {
    auto res = self->request(disp, caf::infinite, t);
    drain();
    caf::expected<trigger_ack> result{
      caf::make_error(caf::sec::bad_function_call)};
    res.receive([&](trigger_ack& x) { result = std::move(x); },
                [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  trigger_ack ack(const std::string& model, const std::string& id,
                  const std::string& known_latest = "") {
    auto result = send(make_trigger(model, id, known_latest));
    if (!result)
      CAF_FAIL("no ack for " << id << ": " << sys.render(result.error()));
    return *result;
  }

  void enlist(const retrain_worker_actor& w) {
    self->send(disp, atom::enlist::value, w);
    drain();
  }

  void report(const retrain_job& job, bool success) {
    job_result r;
    r.job_id = job.record.id;
    r.attempt = job.attempt;
    r.success = success;
    r.error = success ? "" : "exit code 3";
    caf::send_as(worker_a, disp, r);
    drain();
  }

  std::vector<job_record> jobs() {
    return ask<std::vector<job_record>>(disp, atom::jobs::value);
  }

  coordinator_status status() {
    return ask<coordinator_status>(disp, atom::status::value);
  }

  std::vector<model_version> versions(const std::string& line) {
    return ask<std::vector<model_version>>(disp, atom::versions::value, line);
  }

  /// Makes the database refuse `what` (e.g. `INSERT ON jobs`), as a full
  /// disk would.
  void refuse(const std::string& what) {
    refused = what;
    retrain::test::refuse_writes(db_path, what, "database or disk is full");
  }

  void space_back() {
    retrain::test::allow_writes(db_path, refused);
  }

  /// What `refuse` made the database refuse.
  std::string refused;

  /// Lets the dispatcher's recovery timer fire.
  void wait_recovery() {
    for (int i = 0; i < 5; ++i) {
      advance_time(5s);
      drain();
    }
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(dispatcher_faults_tests, fixture)

CAF_TEST(a trigger is acknowledged with the job it made or joined) {
  auto a = ack("cv:a:1.2.0", "n-1");
  CAF_CHECK_EQUAL(a.trigger_id, "n-1");
  CAF_CHECK_EQUAL(a.outcome, trigger_outcome::created);
  CAF_CHECK_EQUAL(a.state, job_state::queued);
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 1u);
  CAF_CHECK_EQUAL(a.job_id, js[0].id);
  // Another trigger of the line joins the job.
  auto b = ack("cv:a:1.2.0", "n-2");
  CAF_CHECK_EQUAL(b.outcome, trigger_outcome::merged);
  CAF_CHECK_EQUAL(b.job_id, a.job_id);
  // A re-send (its ack was lost) is the same trigger: nothing counts twice.
  auto again = ack("cv:a:1.2.0", "n-1");
  CAF_CHECK_EQUAL(again.outcome, trigger_outcome::repeated);
  CAF_CHECK_EQUAL(again.job_id, a.job_id);
  js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 1u);
  CAF_CHECK_EQUAL(js[0].merged, 1u);
}

CAF_TEST(a re - sent trigger finds its job after the job is over) {
  enlist(worker_a);
  auto a = ack("cv:a:1.2.0", "n-1");
  CAF_REQUIRE_EQUAL(jobs_a->size(), 1u);
  report(jobs_a->at(0), true);
  auto again = ack("cv:a:1.2.0", "n-1");
  CAF_CHECK_EQUAL(again.outcome, trigger_outcome::repeated);
  CAF_CHECK_EQUAL(again.job_id, a.job_id);
  CAF_CHECK_EQUAL(again.state, job_state::succeeded);
  CAF_CHECK_EQUAL(again.latest, "1.2.1");
  CAF_CHECK_EQUAL(jobs().size(), 1u);
  CAF_CHECK_EQUAL(versions("cv:a").size(), 1u);
  // A new trigger of the old model is superseded, with the latest version.
  auto old = ack("cv:a:1.2.0", "n-2");
  CAF_CHECK_EQUAL(old.outcome, trigger_outcome::superseded);
  CAF_CHECK_EQUAL(old.latest, "1.2.1");
}

CAF_TEST(triggers that come together are stored together) {
  // Four triggers in the mailbox at once: one group commit.
  auto r1 = self->request(disp, caf::infinite,
                          make_trigger("cv:a:1.0.0", "n-1"));
  auto r2 = self->request(disp, caf::infinite,
                          make_trigger("cv:a:1.0.0", "n-2"));
  auto r3 = self->request(disp, caf::infinite,
                          make_trigger("cv:a:1.0.0", "n-1"));
  auto r4 = self->request(disp, caf::infinite,
                          make_trigger("cv:b:1.0.0", "n-3"));
  drain();
  std::vector<trigger_ack> acks;
  for (auto* r : {&r1, &r2, &r3, &r4})
    r->receive([&](trigger_ack& x) { acks.push_back(x); },
               [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_REQUIRE_EQUAL(acks.size(), 4u);
  CAF_CHECK_EQUAL(acks[0].outcome, trigger_outcome::created);
  CAF_CHECK_EQUAL(acks[1].outcome, trigger_outcome::merged);
  CAF_CHECK_EQUAL(acks[2].outcome, trigger_outcome::repeated);
  CAF_CHECK_EQUAL(acks[3].outcome, trigger_outcome::created);
  CAF_CHECK_EQUAL(acks[1].job_id, acks[0].job_id);
  CAF_CHECK_EQUAL(acks[2].job_id, acks[0].job_id);
  CAF_CHECK_NOT_EQUAL(acks[3].job_id, acks[0].job_id);
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 2u);
  for (auto& j : js)
    CAF_CHECK_EQUAL(j.merged, j.line == "cv:a" ? 1u : 0u);
}

CAF_TEST(a burst larger than one group commit is acknowledged whole) {
  // One more trigger than a group takes: the rest goes in a second group,
  // with nothing else coming to start it.
  auto n = dispatcher_state::max_group + 1;
  std::vector<decltype(self->request(disp, caf::infinite, retrain_trigger{}))>
    pending;
  for (size_t i = 0; i < n; ++i)
    pending.push_back(
      self->request(disp, caf::infinite,
                    make_trigger("cv:a:1.0.0", "n-" + std::to_string(i))));
  drain();
  require_answers(n);
  size_t created = 0;
  size_t merged = 0;
  for (auto& r : pending)
    r.receive(
      [&](trigger_ack& x) {
        ++(x.outcome == trigger_outcome::created ? created : merged);
      },
      [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(created, 1u);
  CAF_CHECK_EQUAL(merged, n - 1);
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 1u);
  CAF_CHECK_EQUAL(js[0].merged, n - 1);
}

CAF_TEST(a trigger the database refuses is not acknowledged) {
  refuse("INSERT ON jobs");
  auto refused = send(make_trigger("cv:a:1.2.0", "n-1"));
  CAF_REQUIRE(!refused);
  CAF_CHECK(has_code(refused.error(), ec::storage_failure));
  CAF_CHECK(jobs().empty());
  auto st = status();
  CAF_CHECK_EQUAL(st.queued, 0u);
  CAF_CHECK(contains(st.storage, "degraded ("));
  CAF_CHECK(contains(st.storage, "database or disk is full"));
  CAF_CHECK_GREATER_OR_EQUAL(st.storage_errors, 1u);
  space_back();
  // The monitor node sends it again: now it is stored, once.
  auto a = ack("cv:a:1.2.0", "n-1");
  CAF_CHECK_EQUAL(a.outcome, trigger_outcome::created);
  CAF_CHECK_EQUAL(jobs().size(), 1u);
  CAF_CHECK_EQUAL(status().storage, "ok");
}

CAF_TEST(a trigger is acknowledged only with every write of it stored) {
  // The job can be written but not the trigger's id: without the id a
  // re-send would make a second job, so nothing is acknowledged.
  refuse("INSERT ON triggers");
  auto refused = send(make_trigger("cv:a:1.2.0", "n-1"));
  CAF_REQUIRE(!refused);
  CAF_CHECK(has_code(refused.error(), ec::storage_failure));
  CAF_CHECK(jobs().empty());
  space_back();
  CAF_CHECK_EQUAL(ack("cv:a:1.2.0", "n-1").outcome, trigger_outcome::created);
  CAF_CHECK_EQUAL(ack("cv:a:1.2.0", "n-1").outcome, trigger_outcome::repeated);
  // A merge the database refuses is not acknowledged or counted either.
  refuse("UPDATE ON jobs");
  refused = send(make_trigger("cv:a:1.2.0", "n-2"));
  CAF_REQUIRE(!refused);
  CAF_CHECK(has_code(refused.error(), ec::storage_failure));
  space_back();
  CAF_CHECK_EQUAL(jobs()[0].merged, 0u);
  CAF_CHECK_EQUAL(ack("cv:a:1.2.0", "n-2").outcome, trigger_outcome::merged);
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 1u);
  CAF_CHECK_EQUAL(js[0].merged, 1u);
}

CAF_TEST(a job waits for the disk and never runs twice) {
  ack("cv:a:1.2.0", "n-1");
  // Assigning needs a write: refused, the worker gets nothing.
  refuse("UPDATE ON jobs");
  enlist(worker_a);
  CAF_CHECK(jobs_a->empty());
  CAF_CHECK_EQUAL(jobs()[0].state, job_state::queued);
  space_back();
  wait_recovery();
  CAF_REQUIRE_EQUAL(jobs_a->size(), 1u);
  CAF_CHECK_EQUAL(jobs()[0].state, job_state::running);
  // The success's write is refused: the database and status still say
  // running, and the job does not go to a worker again.
  refuse("UPDATE ON jobs");
  report(jobs_a->at(0), true);
  CAF_CHECK_EQUAL(jobs()[0].state, job_state::running);
  CAF_CHECK_EQUAL(status().running, 1u);
  wait_recovery();
  CAF_CHECK_EQUAL(jobs_a->size(), 1u);
  CAF_CHECK_EQUAL(jobs()[0].state, job_state::running);
  space_back();
  wait_recovery();
  auto js = jobs();
  CAF_CHECK_EQUAL(js[0].state, job_state::succeeded);
  CAF_CHECK_EQUAL(js[0].version, "1.2.1");
  CAF_CHECK_EQUAL(js[0].attempts, 1u);
  CAF_CHECK_EQUAL(jobs_a->size(), 1u);
  CAF_CHECK_EQUAL(versions("cv:a").size(), 1u);
  auto st = status();
  CAF_CHECK_EQUAL(st.running, 0u);
  CAF_CHECK_EQUAL(st.succeeded, 1u);
  CAF_CHECK_EQUAL(st.storage, "ok");
}

CAF_TEST(a registration the registry cannot write is asked again) {
  enlist(worker_a);
  ack("cv:a:1.2.0", "n-1");
  CAF_REQUIRE_EQUAL(jobs_a->size(), 1u);
  refuse("INSERT ON versions");
  report(jobs_a->at(0), true);
  CAF_CHECK(versions("cv:a").empty());
  CAF_CHECK_EQUAL(jobs()[0].state, job_state::running);
  CAF_CHECK(contains(status().storage, "degraded"));
  space_back();
  wait_recovery();
  // Registered once, without training again.
  auto js = jobs();
  CAF_CHECK_EQUAL(js[0].state, job_state::succeeded);
  CAF_CHECK_EQUAL(js[0].attempts, 1u);
  CAF_CHECK_EQUAL(jobs_a->size(), 1u);
  auto vs = versions("cv:a");
  CAF_REQUIRE_EQUAL(vs.size(), 1u);
  CAF_CHECK_EQUAL(vs[0].version, "1.2.1");
}

CAF_TEST(a version a monitor node knows is never handed out again) {
  // The registry is empty (its disk was lost); a node knows 1.2.1.
  auto old = ack("cv:a:1.2.0", "n-1", "1.2.1");
  CAF_CHECK_EQUAL(old.outcome, trigger_outcome::superseded);
  CAF_CHECK_EQUAL(old.latest, "1.2.1");
  enlist(worker_a);
  auto a = ack("cv:a:1.2.1", "n-2", "1.2.1");
  CAF_CHECK_EQUAL(a.outcome, trigger_outcome::created);
  CAF_REQUIRE_EQUAL(jobs_a->size(), 1u);
  CAF_CHECK_EQUAL(jobs_a->at(0).record.next_version, "1.2.2");
  report(jobs_a->at(0), true);
  auto vs = versions("cv:a");
  CAF_REQUIRE_EQUAL(vs.size(), 1u);
  CAF_CHECK_EQUAL(vs[0].version, "1.2.2");
  // What a node says it knows when it subscribes counts the same way.
  auto news = sys.spawn(fake_job_news,
                        std::make_shared<std::vector<job_update>>());
  auto lines = ask<std::vector<line_state>>(
    disp, atom::subscribe::value, news,
    std::vector<line_state>{line_state{"nlp:b", false, "3.0.4"}});
  auto b = std::find_if(lines.begin(), lines.end(),
                        [](auto& x) { return x.line == "nlp:b"; });
  CAF_REQUIRE(b != lines.end());
  CAF_CHECK_EQUAL(b->latest, "3.0.4");
  CAF_CHECK_EQUAL(ack("nlp:b:3.0.0", "n-3").outcome,
                  trigger_outcome::superseded);
  // A node that knows less does not lower what another node knows.
  CAF_CHECK_EQUAL(ack("nlp:b:3.0.0", "n-4", "3.0.1").latest, "3.0.4");
  CAF_CHECK_EQUAL(ack("nlp:b:3.0.1", "n-5", "3.0.1").outcome,
                  trigger_outcome::superseded);
}

CAF_TEST(a malformed model id is refused for good) {
  auto refused = send(make_trigger("not a model", "n-1"));
  CAF_REQUIRE(!refused);
  CAF_CHECK(has_code(refused.error(), ec::invalid_model_id));
  CAF_CHECK_EQUAL(status().storage, "ok");
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- a commit that fails ------------------------------------------------------

namespace {

/// Makes the commits of every SQLite connection opened while it lives fail
/// on request, as a disk that fills while the write-ahead log is written
/// would: a commit hook that returns non-zero turns the commit into a
/// rollback. Every statement before the commit goes through.
struct commit_faults {
  static inline bool fail = false;

  static int refuse_commit(void*) {
    return fail ? 1 : 0;
  }

  static int install(sqlite3* db, char**, const sqlite3_api_routines*) {
    sqlite3_commit_hook(db, refuse_commit, nullptr);
    return SQLITE_OK;
  }

  commit_faults() {
    sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(install));
  }

  ~commit_faults() {
    sqlite3_cancel_auto_extension(reinterpret_cast<void (*)(void)>(install));
    fail = false;
  }
};

// The hook is installed before the fixture opens the stores.
struct commit_fixture : commit_faults, fixture {
  /// Makes commits fail, or go through again. On PostgreSQL a deferred
  /// constraint trigger fails the commit: every statement before it goes
  /// through.
  void fail_commits(bool on) {
    if (!retrain::test::is_pg(db_path)) {
      fail = on;
      return;
    }
    if (on)
      raw_exec(db_path, "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger "
                        "LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION "
                        "'database or disk is full'; END$$; CREATE "
                        "CONSTRAINT TRIGGER refuse AFTER INSERT ON triggers "
                        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE "
                        "FUNCTION refuse()");
    else
      raw_exec(db_path, "DROP TRIGGER refuse ON triggers");
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(dispatcher_commit_tests, commit_fixture)

CAF_TEST(a trigger whose commit fails is not acknowledged) {
  CAF_CHECK_EQUAL(ack("cv:a:1.2.0", "n-1").outcome, trigger_outcome::created);
  fail_commits(true);
  auto refused = send(make_trigger("cv:b:1.0.0", "n-2"));
  fail_commits(false);
  CAF_REQUIRE(!refused);
  CAF_CHECK(has_code(refused.error(), ec::storage_failure));
  CAF_CHECK(contains(status().storage, "degraded"));
  auto js = jobs();
  CAF_REQUIRE_EQUAL(js.size(), 1u);
  CAF_CHECK_EQUAL(js[0].line, "cv:a");
  // Sent again, it is stored and acknowledged once.
  CAF_CHECK_EQUAL(ack("cv:b:1.0.0", "n-2").outcome, trigger_outcome::created);
  CAF_CHECK_EQUAL(ack("cv:b:1.0.0", "n-2").outcome, trigger_outcome::repeated);
  CAF_CHECK_EQUAL(jobs().size(), 2u);
  CAF_CHECK_EQUAL(status().storage, "ok");
}

CAF_TEST_FIXTURE_SCOPE_END()
