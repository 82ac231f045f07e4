#define CAF_SUITE adaptive_flush
#include "test_support.hpp"

#include <algorithm>
#include <memory>

#include "retrain/latency_probe.hpp"
#include "retrain/supervisor.hpp"

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

using supervisor_impl
  = caf::stateful_actor<supervisor_state, supervisor_self_actor::base>;

constexpr int models = 20;

// The simulated clock of the running test, for the latency probe: events
// are stamped with it and their wait is measured on it.
caf::actor_clock* test_clock = nullptr;

int64_t test_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           test_clock->now().time_since_epoch())
    .count();
}

struct fixture : actor_fixture {
  supervisor_actor sup;
  std::unique_ptr<latency_probe> probe;

  fixture() {
    test_clock = &sched.clock();
    monitor_config cfg = monitor_config::defaults();
    cfg.flush_interval = 2ms;
    cfg.max_flush_delay = 10ms;
    sup = sys.spawn(supervisor, cfg, coordinator_link_actor{});
    drain();
    restart_probe();
  }

  ~fixture() {
    latency_probe::install(nullptr);
    test_clock = nullptr;
  }

  /// A fresh probe: waits are measured from here on.
  void restart_probe() {
    latency_probe::install(nullptr);
    probe = std::make_unique<latency_probe>(&test_now_ns);
    latency_probe::install(probe.get());
  }

  supervisor_state& state() {
    return deref<supervisor_impl>(sup).state;
  }

  /// The window the supervisor holds events for now, in ms.
  double window_ms() {
    return std::chrono::duration<double, std::milli>(state().batcher.window())
      .count();
  }

  /// Sends one event per model, stamped now.
  void send_batch() {
    metric_batch batch;
    for (int m = 0; m < models; ++m) {
      auto ev = event("cv:m" + std::to_string(m) + ":1.0.0",
                      metric_kind::accuracy, 0.95);
      ev.observed_at_ns = test_now_ns();
      batch.events.push_back(std::move(ev));
    }
    self->send(sup, std::move(batch));
  }

  /// Sends `n` batches, each taken at once and flushed when its window is
  /// over, with every monitor applying its run at once: a node keeping up.
  void keep_up(int n) {
    for (int i = 0; i < n; ++i) {
      send_batch();
      drain();
      advance_time(state().batcher.window());
      drain();
    }
  }

  /// Events the monitors applied.
  uint64_t applied() {
    return ask<monitor_stats>(sup, atom::stats::value).events;
  }

  static int64_t ms(int64_t ns) {
    return ns / 1'000'000;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(adaptive_flush_tests, fixture)

CAF_TEST(at low load events wait the flush interval and no longer) {
  // Each batch is taken at once and the timer fires on time.
  for (int i = 0; i < 50; ++i) {
    send_batch();
    drain();
    advance_time(2ms);
    drain();
    CAF_CHECK_EQUAL(window_ms(), 2.0);
  }
  CAF_CHECK_EQUAL(applied(), 50u * models);
  CAF_CHECK_EQUAL(probe->max_ns(), 2'000'000);
  CAF_CHECK_EQUAL(ask<monitor_stats>(sup, atom::stats::value).flush_window_ns,
                  2'000'000);
}

CAF_TEST(the adaptive window never exceeds max flush delay) {
  // The supervisor falls behind: batches wait in its mailbox for a step of
  // 6 ms before it takes them, and its timer waits behind them. The window
  // grows from 2 ms, but never past max-flush-delay (10 ms).
  constexpr auto step = 6ms;
  double widest = 0;
  for (int i = 0; i < 60; ++i) {
    send_batch();
    send_batch();
    advance_time(step); // timers due meanwhile queue behind the batches
    drain();
    widest = std::max(widest, window_ms());
    CAF_CHECK_LESS_OR_EQUAL(window_ms(), 10.0);
  }
  CAF_CHECK_EQUAL(widest, 10.0);
  CAF_CHECK_EQUAL(ask<monitor_stats>(sup, atom::stats::value).flush_window_ns,
                  static_cast<int64_t>(window_ms() * 1e6));
  // What the latency probe saw: an event waits at most one step in the
  // mailbox before the supervisor takes it, then the window, then at most
  // one more step for the timer queued behind a batch. So no event waited
  // longer than max-flush-delay plus twice the step (the granularity of
  // this test's clock), 22 ms. A window unbounded by max-flush-delay grows
  // to 16 ms here, and its events wait up to 28 ms.
  CAF_MESSAGE("longest wait under load: " << ms(probe->max_ns()) << " ms");
  CAF_CHECK_LESS_OR_EQUAL(probe->max_ns(), 22'000'000);
  CAF_CHECK_GREATER(probe->max_ns(), 10'000'000);
  // Every event reached its monitor.
  advance_time(10ms);
  drain();
  CAF_CHECK_EQUAL(applied(), 120u * models);
  // Keeping up again, the window shrinks back to the flush interval, and
  // so does the wait.
  keep_up(10);
  CAF_CHECK_EQUAL(window_ms(), 2.0);
  restart_probe();
  for (int i = 0; i < 10; ++i) {
    send_batch();
    drain();
    advance_time(2ms);
    drain();
  }
  CAF_CHECK_EQUAL(probe->max_ns(), 2'000'000);
  CAF_CHECK_EQUAL(applied(), 140u * models);
}

CAF_TEST(monitors a flush behind widen the window though no input waits) {
  // Only the supervisor runs: its monitors take none of the runs it sends,
  // as on a node whose cores cannot keep up, and a producer that waits for
  // each acknowledgement leaves its mailbox empty at every flush. The ping
  // behind each flush stays unanswered, and the window grows, up to
  // max-flush-delay.
  auto job
    = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(sup));
  auto run_supervisor = [&] {
    sched.run_jobs_filtered([&](caf::resumable* x) { return x == job; });
  };
  double widest = 0;
  for (int i = 0; i < 40; ++i) {
    send_batch();
    run_supervisor();
    advance_time(state().batcher.window());
    run_supervisor();
    widest = std::max(widest, window_ms());
    CAF_CHECK_LESS_OR_EQUAL(window_ms(), 10.0);
  }
  CAF_CHECK_EQUAL(widest, 10.0);
  // The monitors catch up: every event is applied, and with flushes that
  // drain at once the window shrinks back to the flush interval.
  drain();
  CAF_CHECK_EQUAL(applied(), 40u * models);
  keep_up(10);
  CAF_CHECK_EQUAL(window_ms(), 2.0);
  CAF_CHECK_EQUAL(applied(), 50u * models);
}

CAF_TEST_FIXTURE_SCOPE_END()
