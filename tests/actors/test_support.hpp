#pragma once

// Shared pieces of the actor tests: a config that registers the messages,
// the deterministic fixture, and fakes for the neighbours of an actor.

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
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

/// A worker stand-in that records the jobs it gets and enlists itself when
/// its node reaches a coordinator; tests answer with
/// `caf::send_as(worker, dispatcher, job_result{...})`.
inline retrain_worker_actor::behavior_type
fake_worker(retrain_worker_actor::pointer self,
            std::shared_ptr<std::vector<retrain_job>> jobs) {
  return {
    [jobs](retrain_job& job) { jobs->push_back(std::move(job)); },
    [self](atom::linkup, worker_home_actor& home) {
      self->send(home, atom::enlist::value);
    },
  };
}

/// What a fake coordinator link saw.
struct link_log {
  std::vector<retrain_trigger> triggers;
  /// Addresses: a handle here would keep the subscriber alive.
  std::vector<caf::actor_addr> subscribers;
  /// Snapshot shipments it took, what it answers `atom::restore` with
  /// (the items of the shards asked for), and the shard lists asked.
  std::vector<snapshot_shipment> shipments;
  snapshot_shipment stored;
  std::vector<std::vector<uint32_t>> restores;
  /// Shards whose restore fails, as a coordinator that cannot read them.
  std::set<uint32_t> unreadable;
};

/// A coordinator link stand-in for a supervisor: records triggers and
/// subscriptions.
inline coordinator_link_actor::behavior_type
fake_link(std::shared_ptr<link_log> log) {
  return {
    [log](retrain_trigger& x) { log->triggers.push_back(std::move(x)); },
    [](job_update&) {},
    [](job_result&) {},
    [](atom::enlist) {},
    [log](atom::subscribe, line_news_actor& x) {
      log->subscribers.push_back(x.address());
    },
    [](policy_set&) {},
    [](atom::standby, uint64_t) {},
    [](shard_table&) {},
    [](shard_member&) {},
    [](atom::subscribe, shard_news_actor&) {},
    [log](snapshot_shipment& x) {
      auto n = static_cast<uint64_t>(x.items.size());
      log->shipments.push_back(std::move(x));
      return n;
    },
    [log](atom::restore,
          std::vector<uint32_t>& shards) -> caf::result<snapshot_shipment> {
      log->restores.push_back(shards);
      for (auto s : shards)
        if (log->unreadable.count(s) > 0)
          return caf::make_error(caf::sec::runtime_error,
                                 "cannot read the snapshots of shard "
                                   + std::to_string(s));
      snapshot_shipment result;
      for (auto& x : log->stored.items)
        if (std::find(shards.begin(), shards.end(), x.shard) != shards.end())
          result.items.push_back(x);
      return result;
    },
    [](atom::leave, std::string&) { return uint64_t{0}; },
  };
}

/// What a fake coordinator saw, and what it answers a subscription with.
struct coordinator_log {
  /// How the fake answers triggers.
  enum answer_mode {
    /// With a created job (id = number of triggers seen), or a repeat.
    ack,
    /// With a storage failure.
    refuse,
    /// Not at all (yet): the promise waits in `unanswered`.
    hold,
    /// As superseded by `latest`.
    supersede,
    /// With an error a re-send cannot fix (a model id it cannot read).
    invalid,
  };
  answer_mode answer = ack;
  std::vector<retrain_trigger> triggers;
  std::vector<caf::typed_response_promise<trigger_ack>> unanswered;
  std::vector<retrain_worker_actor> enlisted;
  std::vector<job_result> results;
  /// The versions links said hello with, in order.
  std::vector<std::string> hellos;
  /// Whether reported results stay unanswered (in `unanswered_reports`).
  bool hold_reports = false;
  /// Whether reported results are refused (as a timeout would).
  bool refuse_reports = false;
  std::vector<caf::typed_response_promise<uint64_t>> unanswered_reports;
  /// Addresses: a handle here would keep the subscriber alive.
  std::vector<caf::actor_addr> subscribers;
  /// What the last subscriber said it knows.
  std::vector<line_state> known;
  std::vector<line_state> lines;
  /// The latest version `supersede` names.
  std::string latest;
  /// Lease renewals of monitor nodes answered, with this map version.
  uint64_t renewals = 0;
  uint64_t map_version = 0;
  /// Whether `atom::standby` is answered with `ec::standby` (a coordinator
  /// of a failover group without the lease) rather than an epoch.
  bool standby = false;
  /// How often `atom::standby` was asked.
  uint64_t probes = 0;
};

/// A coordinator stand-in for a link: records triggers, workers and
/// subscriptions, and answers triggers as `log->answer` says.
inline coordinator_actor::behavior_type
fake_coordinator(coordinator_actor::pointer self,
                 std::shared_ptr<coordinator_log> log) {
  return {
    [=](retrain_trigger& x) -> caf::result<trigger_ack> {
      log->triggers.push_back(x);
      switch (log->answer) {
        case coordinator_log::refuse:
          return caf::make_error(ec::storage_failure, "disk full");
        case coordinator_log::invalid:
          return caf::make_error(ec::invalid_model_id, "not a model id");
        case coordinator_log::supersede:
          return trigger_ack{x.id, trigger_outcome::superseded, 0,
                             job_state::queued, log->latest};
        case coordinator_log::hold: {
          auto rp = self->make_response_promise<trigger_ack>();
          log->unanswered.push_back(rp);
          return rp;
        }
        default:
          break;
      }
      // The job of the first trigger with this id.
      uint64_t job = 0;
      for (auto& t : log->triggers)
        if (t.id == x.id) {
          job = static_cast<uint64_t>(&t - log->triggers.data()) + 1;
          break;
        }
      auto outcome = job == log->triggers.size() ? trigger_outcome::created
                                                 : trigger_outcome::repeated;
      return trigger_ack{x.id, outcome, job, job_state::queued, ""};
    },
    [log](atom::hello, std::string& version) {
      log->hellos.push_back(std::move(version));
    },
    [log](atom::enlist, retrain_worker_actor& x) {
      log->enlisted.push_back(std::move(x));
    },
    [=](atom::enlist) {
      log->enlisted.push_back(
        caf::actor_cast<retrain_worker_actor>(self->current_sender()));
    },
    [log](job_result& x) { log->results.push_back(std::move(x)); },
    [=](atom::report, job_result& x) -> caf::result<uint64_t> {
      log->results.push_back(x);
      if (log->refuse_reports)
        return caf::make_error(caf::sec::request_timeout);
      if (log->hold_reports) {
        auto rp = self->make_response_promise<uint64_t>();
        log->unanswered_reports.push_back(rp);
        return rp;
      }
      return x.job_id;
    },
    [log](atom::subscribe, job_news_actor& x, std::vector<line_state>& known) {
      log->subscribers.push_back(x.address());
      log->known = std::move(known);
      return log->lines;
    },
    [log](atom::standby) -> caf::result<uint64_t> {
      ++log->probes;
      if (log->standby)
        return caf::make_error(ec::standby, "the lease is held elsewhere");
      return uint64_t{0};
    },
    [](shard_member&) {},
    [log](atom::lease) {
      ++log->renewals;
      return log->map_version;
    },
    [](snapshot_shipment& x) { return uint64_t{x.items.size()}; },
    [](atom::restore, std::vector<uint32_t>&) { return snapshot_shipment{}; },
    [](atom::leave, std::string&) { return uint64_t{0}; },
  };
}

/// Job news as a coordinator link would get it.
inline job_news_actor::behavior_type
fake_job_news(std::shared_ptr<std::vector<job_update>> seen) {
  return {
    [seen](job_update& x) { seen->push_back(std::move(x)); },
    [](policy_set&) {},
    [](shard_table&) {},
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
