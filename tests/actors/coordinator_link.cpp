#define CAF_SUITE coordinator_link
#include "test_support.hpp"

#include <algorithm>
#include <fstream>
#include <limits>

#include "retrain/coordinator_link.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

retrain_trigger trigger_of(std::string model) {
  retrain_trigger result;
  result.model = std::move(model);
  return result;
}

// A link to a coordinator in this process, as in role `all`. Tests reach
// another coordinator by telling the link so on its internal handle, as
// the middleman's answer does.
struct fixture : actor_fixture {
  std::shared_ptr<coordinator_log> seen = std::make_shared<coordinator_log>();
  coordinator_actor coordinator = sys.spawn(fake_coordinator, seen);
  std::shared_ptr<std::vector<retrain_job>> jobs
    = std::make_shared<std::vector<retrain_job>>();
  retrain_worker_actor worker = sys.spawn(fake_worker, jobs);
  std::shared_ptr<std::vector<line_state>> news
    = std::make_shared<std::vector<line_state>>();
  line_news_actor subscriber = sys.spawn(fake_line_news, news);
  coordinator_link_self_actor link;
  temp_dir dir{"retrain-link"};
  std::string spill_file = outbox_file(dir.str());

  fixture() {
    coordinator_location where;
    where.local = coordinator;
    link = sys.spawn(coordinator_link, where, 10000ms,
                     std::vector<retrain_worker_actor>{worker}, spill_file, -1,
                     "0.1.0 (git test)");
    drain();
  }

  void subscribe() {
    self->send(link, atom::subscribe::value, subscriber);
    drain();
  }

  // Kills `x` and lets the link notice.
  void lose(const coordinator_actor& x) {
    caf::anon_send_exit(x, caf::exit_reason::kill);
    drain();
  }

  // Spawns another coordinator and hands it to the link.
  std::shared_ptr<coordinator_log>
  reach_another(std::vector<line_state> lines = {}) {
    auto log = std::make_shared<coordinator_log>();
    log->lines = std::move(lines);
    coordinator = sys.spawn(fake_coordinator, log);
    self->send(link, atom::linkup::value, coordinator);
    drain();
    return log;
  }

  ~fixture() {
    // A link with unanswered triggers re-sends them forever, and the base
    // fixture fires every timer when it ends: stop it first.
    caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
    drain();
    seen->unanswered.clear();
    seen->unanswered_reports.clear();
  }

  coordinator_link_state& state() {
    return deref<caf::stateful_actor<coordinator_link_state,
                                     coordinator_link_self_actor::base>>(link)
      .state;
  }

  line_state news_of(const std::string& line) {
    for (auto i = news->rbegin(); i != news->rend(); ++i)
      if (i->line == line)
        return *i;
    CAF_FAIL("no news of " << line);
    return {};
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(coordinator_link_tests, fixture)

CAF_TEST(a reached coordinator gets the workers and the triggers) {
  CAF_REQUIRE_EQUAL(seen->enlisted.size(), 1u);
  CAF_CHECK_EQUAL(seen->enlisted[0], worker);
  // No subscriber yet: the link does not subscribe for nobody.
  CAF_CHECK(seen->subscribers.empty());
  self->send(link, trigger_of("cv:a:1.0.0"));
  drain();
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen->triggers[0].model, "cv:a:1.0.0");
}

CAF_TEST(job news reaches the subscriber as line news) {
  seen->lines = {line_state{"cv:a", true, ""},
                 line_state{"cv:b", false, "2.0.1"}};
  subscribe();
  CAF_REQUIRE_EQUAL(seen->subscribers.size(), 1u);
  CAF_CHECK_EQUAL(seen->subscribers[0], link.address());
  CAF_CHECK_EQUAL(news->size(), 2u);
  CAF_CHECK(news_of("cv:a").busy);
  CAF_CHECK_EQUAL(news_of("cv:b").latest, "2.0.1");
  self->send(link, job_update{1, "cv:a", job_state::succeeded, "1.0.1"});
  drain();
  CAF_CHECK(!news_of("cv:a").busy);
  CAF_CHECK_EQUAL(news_of("cv:a").latest, "1.0.1");
  self->send(link, job_update{2, "cv:c", job_state::queued, ""});
  drain();
  CAF_CHECK(news_of("cv:c").busy);
}

CAF_TEST(the link tells every coordinator it reaches the version of its node) {
  CAF_CHECK_EQUAL(seen->hellos, std::vector<std::string>{"0.1.0 (git test)"});
  lose(coordinator);
  auto seen2 = reach_another();
  CAF_CHECK_EQUAL(seen2->hellos, std::vector<std::string>{"0.1.0 (git test)"});
}

CAF_TEST(
  a coordinator that stepped down is dropped and no one else can say so) {
  // Only the coordinator followed now may send the link elsewhere.
  self->send(link, atom::standby::value, uint64_t{3});
  drain();
  CAF_CHECK(state().coordinator);
  caf::send_as(coordinator, link, atom::standby::value, uint64_t{3});
  drain();
  CAF_CHECK(!state().coordinator);
  // Triggers wait for the active coordinator.
  self->send(link, trigger_of("cv:a:1.0.0"));
  drain();
  CAF_CHECK(seen->triggers.empty());
  auto seen2 = reach_another();
  CAF_REQUIRE_EQUAL(seen2->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen2->triggers[0].model, "cv:a:1.0.0");
}

CAF_TEST(a coordinator of this process that is a standby is asked again) {
  // Role `all` on a shared PostgreSQL registry: its coordinator steps down
  // (or starts) while another one holds the lease. Triggers wait; the link
  // asks it again after a backoff and follows it once it is active.
  seen->standby = true;
  caf::send_as(coordinator, link, atom::standby::value, uint64_t{1});
  drain();
  CAF_CHECK(!state().coordinator);
  self->send(link, trigger_of("cv:a:1.0.0"));
  drain();
  auto probes = seen->probes;
  advance_time(10s);
  drain();
  CAF_CHECK_GREATER(seen->probes, probes);
  CAF_CHECK(!state().coordinator);
  CAF_CHECK(seen->triggers.empty());
  CAF_CHECK_EQUAL(state().outbox.size(), 1u);
  seen->standby = false;
  advance_time(10s);
  drain();
  CAF_REQUIRE(state().coordinator);
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen->triggers[0].model, "cv:a:1.0.0");
}

CAF_TEST(triggers are held while the coordinator is lost) {
  lose(coordinator);
  self->send(link, trigger_of("cv:a:1.0.0"));
  self->send(link, trigger_of("cv:b:1.0.0"));
  drain();
  CAF_CHECK(seen->triggers.empty());
  auto state
    = &deref<caf::stateful_actor<coordinator_link_state,
                                 coordinator_link_self_actor::base>>(link)
         .state;
  CAF_CHECK_EQUAL(state->outbox.size(), 2u);
  // Back: the held triggers go first, oldest first, then new ones.
  auto seen2 = reach_another();
  self->send(link, trigger_of("cv:c:1.0.0"));
  drain();
  CAF_REQUIRE_EQUAL(seen2->triggers.size(), 3u);
  CAF_CHECK_EQUAL(seen2->triggers[0].model, "cv:a:1.0.0");
  CAF_CHECK_EQUAL(seen2->triggers[1].model, "cv:b:1.0.0");
  CAF_CHECK_EQUAL(seen2->triggers[2].model, "cv:c:1.0.0");
  CAF_CHECK(state->outbox.empty());
  // The workers enlist again.
  CAF_CHECK_EQUAL(seen2->enlisted.size(), 1u);
}

CAF_TEST(a returning coordinator resyncs the state of every line) {
  subscribe();
  // Both lines get a job; then the coordinator is lost.
  self->send(link, job_update{1, "cv:a", job_state::running, ""});
  self->send(link, job_update{2, "cv:b", job_state::running, ""});
  drain();
  CAF_CHECK(news_of("cv:a").busy);
  CAF_CHECK(news_of("cv:b").busy);
  lose(coordinator);
  // Meanwhile cv:a's job failed and cv:b's registered 2.0.1; cv:c got a
  // job.
  auto seen2 = reach_another(
    {line_state{"cv:b", false, "2.0.1"}, line_state{"cv:c", true, ""}});
  CAF_CHECK_EQUAL(seen2->subscribers.size(), 1u);
  CAF_CHECK(!news_of("cv:a").busy);
  CAF_CHECK(!news_of("cv:b").busy);
  CAF_CHECK_EQUAL(news_of("cv:b").latest, "2.0.1");
  CAF_CHECK(news_of("cv:c").busy);
  // A later loss resyncs from what the new coordinator said.
  news->clear();
  lose(coordinator);
  reach_another();
  CAF_CHECK_EQUAL(news->size(), 1u);
  CAF_CHECK(!news_of("cv:c").busy);
}

CAF_TEST(a trigger stays in the outbox until the coordinator acknowledges it) {
  subscribe();
  seen->answer = coordinator_log::refuse;
  self->send(link, trigger_of("cv:a:1.0.0"));
  drain();
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  auto id = seen->triggers[0].id;
  CAF_CHECK(!id.empty());
  CAF_CHECK_EQUAL(state().outbox.size(), 1u);
  // The line stays busy: a trigger waits behind it.
  CAF_CHECK(state().busy("cv:a"));
  // Sent again with backoff, with the same id, until it is taken.
  seen->answer = coordinator_log::ack;
  advance_time(10s);
  drain();
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 2u);
  CAF_CHECK_EQUAL(seen->triggers[1].id, id);
  CAF_CHECK(state().outbox.empty());
  // Acknowledged with a queued job: busy until the job's news.
  CAF_CHECK(state().busy("cv:a"));
  self->send(link, job_update{1, "cv:a", job_state::succeeded, "1.0.1"});
  drain();
  CAF_CHECK(!news_of("cv:a").busy);
  CAF_CHECK_EQUAL(news_of("cv:a").latest, "1.0.1");
}

CAF_TEST(triggers of one line merge while they wait) {
  seen->answer = coordinator_log::hold;
  self->send(link, trigger_of("cv:a:1.0.0"));
  self->send(link, trigger_of("cv:a:2.0.0"));
  self->send(link, trigger_of("cv:b:1.0.0"));
  drain();
  // One send per line: the second of cv:a joined the first.
  CAF_CHECK_EQUAL(seen->triggers.size(), 2u);
  CAF_CHECK_EQUAL(state().outbox.size(), 2u);
  CAF_CHECK_EQUAL(state().outbox.find("cv:a")->merged, 1u);
}

CAF_TEST(a lost coordinator gets every unacknowledged trigger again) {
  seen->answer = coordinator_log::hold;
  self->send(link, trigger_of("cv:a:1.0.0"));
  drain();
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  auto id = seen->triggers[0].id;
  // The coordinator dies before it answered (killed right after the burst).
  lose(coordinator);
  CAF_CHECK_EQUAL(state().outbox.size(), 1u);
  auto seen2 = reach_another();
  CAF_REQUIRE_EQUAL(seen2->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen2->triggers[0].id, id);
  CAF_CHECK(state().outbox.empty());
}

CAF_TEST(a result whose answer the dropped link took is reported again) {
  seen->hold_reports = true;
  job_result result;
  result.job_id = 7;
  result.attempt = 1;
  self->send(link, result);
  drain();
  CAF_REQUIRE_EQUAL(seen->results.size(), 1u);
  // The coordinator dies before it answered (a stopped node learns late).
  lose(coordinator);
  auto seen2 = reach_another();
  CAF_REQUIRE_EQUAL(seen2->results.size(), 1u);
  CAF_CHECK_EQUAL(seen2->results[0].job_id, 7u);
  CAF_CHECK_EQUAL(seen2->results[0].attempt, 1u);
  CAF_CHECK(state().reporting.empty());
  CAF_CHECK(state().results.empty());
}

CAF_TEST(the link says whether the coordinator is linked and what it holds) {
  link_status_actor status = link;
  auto st = ask<link_status>(status, atom::status::value);
  CAF_CHECK(st.connected);
  CAF_CHECK_EQUAL(st.held_triggers, 0u);
  CAF_CHECK_EQUAL(st.held_reports, 0u);
  lose(coordinator);
  self->send(link, trigger_of("cv:a:1.0.0"));
  self->send(link, trigger_of("cv:b:1.0.0"));
  job_result result;
  result.job_id = 7;
  self->send(link, result);
  drain();
  st = ask<link_status>(status, atom::status::value);
  CAF_CHECK(!st.connected);
  CAF_CHECK_EQUAL(st.held_triggers, 2u);
  CAF_CHECK_EQUAL(st.held_reports, 1u);
  reach_another();
  st = ask<link_status>(status, atom::status::value);
  CAF_CHECK(st.connected);
  CAF_CHECK_EQUAL(st.held_triggers, 0u);
  CAF_CHECK_EQUAL(st.held_reports, 0u);
}

CAF_TEST(a resync releases a line only the node still thought busy) {
  subscribe();
  self->send(link, trigger_of("cv:a:1.0.0"));
  drain();
  CAF_CHECK(state().outbox.empty());
  CAF_CHECK(state().busy("cv:a")); // acknowledged: its job is queued
  // cv:b's trigger is not acknowledged when the coordinator goes.
  seen->answer = coordinator_log::hold;
  self->send(link, trigger_of("cv:b:1.0.0"));
  drain();
  lose(coordinator);
  // The new coordinator lost its database: it knows no job. cv:a is
  // released; cv:b is not (its trigger goes again) and the node says what
  // it knows.
  auto seen2 = reach_another();
  CAF_CHECK(!news_of("cv:a").busy);
  CAF_CHECK(state().busy("cv:b"));
  CAF_REQUIRE_EQUAL(seen2->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen2->triggers[0].model, "cv:b:1.0.0");
  auto known = seen2->known;
  auto b = std::find_if(known.begin(), known.end(),
                        [](auto& x) { return x.line == "cv:b"; });
  CAF_REQUIRE(b != known.end());
  CAF_CHECK(b->busy);
}

CAF_TEST(a trigger carries the latest version the node knows) {
  subscribe();
  self->send(link, job_update{1, "cv:a", job_state::succeeded, "1.2.1"});
  self->send(link, job_update{2, "cv:a", job_state::succeeded, "1.0.9"});
  drain();
  self->send(link, trigger_of("cv:a:1.2.1"));
  drain();
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen->triggers[0].known_latest, "1.2.1");
  // It also tells a coordinator it subscribes with.
  lose(coordinator);
  auto seen2 = reach_another();
  auto known = seen2->known;
  auto a = std::find_if(known.begin(), known.end(),
                        [](auto& x) { return x.line == "cv:a"; });
  CAF_REQUIRE(a != known.end());
  CAF_CHECK_EQUAL(a->latest, "1.2.1");
}

CAF_TEST(a stopping node keeps what it could not deliver for the next start) {
  seen->answer = coordinator_log::hold;
  self->send(link, trigger_of("cv:a:1.0.0"));
  self->send(link, trigger_of("cv:b:1.0.0"));
  drain();
  auto kept = ask<uint64_t>(link, atom::spill::value);
  CAF_CHECK_EQUAL(kept, 2u);
  std::vector<std::string> ids;
  for (auto& t : seen->triggers)
    ids.push_back(t.id);
  // The next start: a new link delivers them first, with their ids.
  caf::anon_send_exit(link, caf::exit_reason::user_shutdown);
  auto log2 = std::make_shared<coordinator_log>();
  coordinator_location where;
  where.local = sys.spawn(fake_coordinator, log2);
  auto link2 = sys.spawn(coordinator_link, where, 10000ms,
                         std::vector<retrain_worker_actor>{}, spill_file, -1,
                         "0.1.0 (git test)");
  drain();
  CAF_REQUIRE_EQUAL(log2->triggers.size(), 2u);
  CAF_CHECK_EQUAL(log2->triggers[0].id, ids[0]);
  CAF_CHECK_EQUAL(log2->triggers[1].id, ids[1]);
  CAF_CHECK(!std::ifstream{spill_file});
  // Draining an empty outbox answers at once.
  CAF_CHECK_EQUAL(ask<uint64_t>(link2, atom::drain::value), 0u);
  caf::anon_send_exit(link2, caf::exit_reason::user_shutdown);
}

CAF_TEST(a drain ends when the last trigger is acknowledged) {
  seen->answer = coordinator_log::hold;
  self->send(link, trigger_of("cv:a:1.0.0"));
  drain();
  auto waiting = self->request(link, caf::infinite, atom::drain::value);
  drain();
  // cv:a waits for its answer: so does the drain, also after another
  // trigger was acknowledged.
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  seen->answer = coordinator_log::ack;
  self->send(link, trigger_of("cv:b:1.0.0"));
  drain();
  CAF_CHECK_EQUAL(state().outbox.size(), 1u);
  CAF_CHECK_EQUAL(self->mailbox().size(), 0u);
  // A coordinator that takes it: the drain is over.
  lose(coordinator);
  reach_another();
  require_answers();
  uint64_t left = 99;
  waiting.receive([&](uint64_t n) { left = n; },
                  [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
  CAF_CHECK_EQUAL(left, 0u);
}

CAF_TEST(a superseded trigger releases its line) {
  subscribe();
  seen->answer = coordinator_log::supersede;
  seen->latest = "1.0.1";
  self->send(link, trigger_of("cv:a:1.0.0"));
  drain();
  CAF_CHECK(state().outbox.empty());
  CAF_CHECK(!state().busy("cv:a"));
  CAF_CHECK(!news_of("cv:a").busy);
  CAF_CHECK_EQUAL(news_of("cv:a").latest, "1.0.1");
}

CAF_TEST(a new link sends again what was in flight on the old one) {
  seen->answer = coordinator_log::hold;
  self->send(link, trigger_of("cv:a:1.0.0"));
  drain();
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  CAF_CHECK_EQUAL(state().outbox.in_flight(), 1u);
  // A link to a remote coordinator reconnects without marking its sends
  // failed first: the answer to the one in flight went with the old link.
  auto seen2 = reach_another();
  CAF_REQUIRE_EQUAL(seen2->triggers.size(), 1u);
  CAF_CHECK_EQUAL(seen2->triggers[0].id, seen->triggers[0].id);
  CAF_CHECK(state().outbox.empty());
}

CAF_TEST(a trigger the coordinator refuses for good is dropped) {
  subscribe();
  // Only a peer of another build sends what the coordinator cannot read:
  // sending it again would not help.
  seen->answer = coordinator_log::invalid;
  self->send(link, trigger_of("cv:a:1.0.0"));
  drain();
  CAF_REQUIRE_EQUAL(seen->triggers.size(), 1u);
  CAF_CHECK(state().outbox.empty());
  CAF_CHECK(!state().busy("cv:a"));
  CAF_CHECK(!news_of("cv:a").busy);
  seen->answer = coordinator_log::ack;
  advance_time(10s);
  drain();
  CAF_CHECK_EQUAL(seen->triggers.size(), 1u);
}

CAF_TEST(a result the coordinator did not take is reported again later) {
  // The link stays up, but the report fails (a timeout, say).
  seen->refuse_reports = true;
  job_result result;
  result.job_id = 7;
  result.attempt = 2;
  self->send(link, result);
  drain();
  CAF_REQUIRE_EQUAL(seen->results.size(), 1u);
  CAF_CHECK_EQUAL(state().results.size(), 1u);
  // Sent again with the triggers' backoff.
  seen->refuse_reports = false;
  advance_time(10s);
  drain();
  CAF_REQUIRE_EQUAL(seen->results.size(), 2u);
  CAF_CHECK_EQUAL(seen->results[1].job_id, 7u);
  CAF_CHECK_EQUAL(seen->results[1].attempt, 2u);
  CAF_CHECK(state().results.empty());
  CAF_CHECK(state().reporting.empty());
}

CAF_TEST(
  a monitor node holds its shards while the coordinator renews its lease) {
  using lease = std::pair<int64_t, uint64_t>;
  auto leases = std::make_shared<std::vector<lease>>();
  auto router = sys.spawn([leases](caf::event_based_actor*) -> caf::behavior {
    return {
      [](shard_table&) {},
      [leases](atom::lease, int64_t sent_ns, uint64_t version) {
        leases->emplace_back(sent_ns, version);
      },
    };
  });
  self->send(link, atom::subscribe::value,
             caf::actor_cast<shard_news_actor>(router));
  self->send(link, shard_member{"a:1", "a", 2});
  drain();
  // The coordinator runs in this process: held for ever.
  CAF_REQUIRE(!leases->empty());
  CAF_CHECK_EQUAL(leases->back().first, std::numeric_limits<int64_t>::max());
  // One elsewhere: renewed at connect, after the join, with its map
  // version and the time the renewal was sent, then every quarter term.
  state().where.local = nullptr;
  auto log = std::make_shared<coordinator_log>();
  log->map_version = 7;
  coordinator = sys.spawn(fake_coordinator, log);
  auto sent = sched.clock().now().time_since_epoch();
  auto before = leases->size();
  self->send(link, atom::linkup::value, coordinator);
  drain();
  CAF_CHECK_EQUAL(log->renewals, 1u);
  CAF_REQUIRE_EQUAL(leases->size(), before + 1);
  CAF_CHECK_EQUAL(
    leases->back().first,
    std::chrono::duration_cast<std::chrono::nanoseconds>(sent).count());
  CAF_CHECK_EQUAL(leases->back().second, 7u);
  advance_time(state().lease_timing.renew_interval());
  drain();
  CAF_CHECK_EQUAL(log->renewals, 2u);
  CAF_CHECK_EQUAL(leases->size(), before + 2);
  // The link drops: the lease goes at once, before any timeout.
  lose(coordinator);
  CAF_REQUIRE_EQUAL(leases->size(), before + 3);
  CAF_CHECK_LESS(leases->back().first, 0);
  anon_send_exit(router, caf::exit_reason::user_shutdown);
  drain();
}

CAF_TEST_FIXTURE_SCOPE_END()
