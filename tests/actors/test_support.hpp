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

  /// Sends a request, processes messages (no timers) and returns the answer.
  /// (CAF 0.17.6's own `request<T>` helper does not compile: it calls an
  /// undefined `FAIL` macro.)
  template <class T, class Handle, class... Ts>
  T ask(const Handle& hdl, Ts&&... xs) {
    auto res = self->request(hdl, caf::infinite, std::forward<Ts>(xs)...);
    drain();
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

/// What a fake dispatcher saw, and what it answers a subscription with.
struct dispatcher_log {
  std::vector<retrain_trigger> triggers;
  size_t subscriptions = 0;
  std::vector<line_state> lines;
};

/// A dispatcher stand-in that records triggers and subscriptions.
inline dispatcher_actor::behavior_type
fake_dispatcher(std::shared_ptr<dispatcher_log> log) {
  return {
    [log](retrain_trigger& x) { log->triggers.push_back(std::move(x)); },
    [](atom::enlist, retrain_worker_actor&) {},
    [log](atom::subscribe, job_news_actor&) {
      ++log->subscriptions;
      return log->lines;
    },
    [](job_result&) {},
    [](atom::jobs) { return std::vector<job_info>{}; },
    [](atom::versions, std::string&) { return std::vector<model_version>{}; },
    [](atom::status) { return coordinator_status{}; },
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
