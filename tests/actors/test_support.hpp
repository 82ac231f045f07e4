#pragma once

// Shared pieces of the actor tests: a config that registers the messages,
// the deterministic fixture, and fakes for the neighbours of an actor.

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/test/dsl.hpp>

#include "retrain/messages.hpp"

#include "temp_dir.hpp"

namespace retrain::test {

/// A config with every retrain message registered.
struct test_config : caf::actor_system_config {
  test_config() {
    register_messages(*this);
  }
};

/// CAF's deterministic fixture with retrain's messages.
struct actor_fixture : test_coordinator_fixture<test_config> {
  /// Processes every pending message without firing any timer, so tests
  /// control time with `advance_time`.
  void drain() {
    consume_messages();
  }

  /// Fails the test unless `n` messages wait for `self`: once `drain`
  /// returned, a request that got no answer never will, and receiving it
  /// would block for ever (a test that hangs is only caught by a timeout).
  void require_answers(size_t n = 1) {
    if (self->mailbox().size() < n)
      CAF_FAIL("no answer: a request is still pending after drain()");
  }

  /// Sends a request, processes messages (no timers) and returns the answer.
  /// (CAF 0.17.6's own `request<T>` helper does not compile: it calls an
  /// undefined `FAIL` macro.)
  template <class T, class Handle, class... Ts>
  T ask(const Handle& hdl, Ts&&... xs) {
    auto res = self->request(hdl, caf::infinite, std::forward<Ts>(xs)...);
    drain();
    require_answers();
    T result;
    res.receive([&](T& x) { result = std::move(x); },
                [&](caf::error& err) { CAF_FAIL(sys.render(err)); });
    return result;
  }
};

/// What a fake monitor parent saw.
struct supervisor_log {
  std::vector<retrain_trigger> triggers;
  std::vector<monitor_snapshot> snapshots;
};

/// A supervisor stand-in that records what monitors send it.
inline monitor_parent_actor::behavior_type
fake_supervisor(std::shared_ptr<supervisor_log> log) {
  return {
    [log](retrain_trigger& x) { log->triggers.push_back(std::move(x)); },
    [log](monitor_snapshot& x) { log->snapshots.push_back(std::move(x)); },
    [](monitor_stats&) {},
    [](model_status&) {},
  };
}

/// A worker stand-in that records the jobs it gets; tests answer with
/// `caf::send_as(worker, dispatcher, job_result{...})`.
inline retrain_worker_actor::behavior_type
fake_worker(std::shared_ptr<std::vector<retrain_job>> jobs) {
  return {
    [jobs](retrain_job& job) { jobs->push_back(std::move(job)); },
  };
}

/// What a fake coordinator link saw.
struct link_log {
  std::vector<retrain_trigger> triggers;
  /// Addresses: a handle here would keep the subscriber alive.
  std::vector<caf::actor_addr> subscribers;
};

/// A coordinator link stand-in for a supervisor: records triggers and
/// subscriptions.
inline coordinator_link_actor::behavior_type
fake_link(std::shared_ptr<link_log> log) {
  return {
    [log](retrain_trigger& x) { log->triggers.push_back(std::move(x)); },
    [](job_update&) {},
    [log](atom::subscribe, line_news_actor& x) {
      log->subscribers.push_back(x.address());
    },
  };
}

/// What a fake coordinator saw, and what it answers a subscription with.
struct coordinator_log {
  std::vector<retrain_trigger> triggers;
  std::vector<retrain_worker_actor> enlisted;
  /// Addresses: a handle here would keep the subscriber alive.
  std::vector<caf::actor_addr> subscribers;
  std::vector<line_state> lines;
};

/// A coordinator stand-in for a link: records triggers, workers and
/// subscriptions.
inline coordinator_actor::behavior_type
fake_coordinator(std::shared_ptr<coordinator_log> log) {
  return {
    [log](retrain_trigger& x) { log->triggers.push_back(std::move(x)); },
    [log](atom::enlist, retrain_worker_actor& x) {
      log->enlisted.push_back(std::move(x));
    },
    [log](atom::subscribe, job_news_actor& x) {
      log->subscribers.push_back(x.address());
      return log->lines;
    },
  };
}

/// Line news as a supervisor would get it.
inline line_news_actor::behavior_type
fake_line_news(std::shared_ptr<std::vector<line_state>> seen) {
  return {
    [seen](line_state& x) { seen->push_back(std::move(x)); },
  };
}

/// Builds an event.
inline metric_event event(std::string model, metric_kind kind, double value) {
  return metric_event{std::move(model), kind, value, 1};
}

/// Builds a batch of one kind for one model.
inline metric_batch batch_of(const std::string& model, metric_kind kind,
                             std::vector<double> values) {
  metric_batch result;
  for (auto x : values)
    result.events.push_back(event(model, kind, x));
  return result;
}

/// A run of `values` of `kind`, as the supervisor sends it to a monitor.
inline metric_run run_of(metric_kind kind, std::vector<double> values) {
  metric_run result;
  for (auto x : values)
    result.events.push_back(run_event{kind, x, 1});
  return result;
}

} // namespace retrain::test
