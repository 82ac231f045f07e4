#define CAF_SUITE coordinator_link
#include "test_support.hpp"

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

  fixture() {
    coordinator_location where;
    where.local = coordinator;
    link = sys.spawn(coordinator_link, where, 10000ms,
                     std::vector<retrain_worker_actor>{worker});
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

CAF_TEST_FIXTURE_SCOPE_END()
