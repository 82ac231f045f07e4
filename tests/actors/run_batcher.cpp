#define CAF_SUITE run_batcher
#include <caf/test/unit_test.hpp>

#include <map>
#include <utility>
#include <vector>

#include "retrain/run_batcher.hpp"

using namespace retrain;
using namespace std::chrono_literals;

namespace {

using action = run_batcher::action;

struct fixture {
  run_batcher batcher;
  /// One position per model, as the supervisor keeps them in its entries.
  std::map<uint32_t, run_batcher::position> positions;
  /// What went out, in order: the model's slot and the run's values.
  std::vector<std::pair<uint32_t, std::vector<double>>> sent;
  /// By run sent: whether it asked for a snapshot.
  std::vector<bool> asked;
  run_batcher::time_point t0{};

  explicit fixture(run_batcher::duration interval = 0ms) : batcher(interval) {
    // nop
  }

  auto sender() {
    return [this](uint32_t slot, metric_run&& run) {
      std::vector<double> values;
      for (auto& ev : run.events)
        values.push_back(ev.value);
      sent.emplace_back(slot, std::move(values));
      asked.push_back(run.snapshot);
    };
  }

  void add(uint32_t slot, double value) {
    batcher.add(slot, positions[slot],
                run_event{metric_kind::accuracy, value, 1}, sender());
  }

  void flush(run_batcher::time_point now) {
    batcher.flush(now, sender());
  }
};

} // namespace

CAF_TEST(runs go out in the order of their first event) {
  fixture f;
  f.add(7, 0.1);
  f.add(3, 0.2);
  f.add(7, 0.3);
  f.add(5, 0.4);
  f.add(3, 0.5);
  CAF_CHECK(f.sent.empty());
  CAF_CHECK(!f.batcher.empty());
  f.flush(f.t0);
  CAF_REQUIRE_EQUAL(f.sent.size(), 3u);
  CAF_CHECK_EQUAL(f.sent[0].first, 7u);
  CAF_CHECK_EQUAL(f.sent[0].second, (std::vector<double>{0.1, 0.3}));
  CAF_CHECK_EQUAL(f.sent[1].first, 3u);
  CAF_CHECK_EQUAL(f.sent[1].second, (std::vector<double>{0.2, 0.5}));
  CAF_CHECK_EQUAL(f.sent[2].first, 5u);
  CAF_CHECK_EQUAL(f.sent[2].second, (std::vector<double>{0.4}));
  CAF_CHECK(f.batcher.empty());
  // Nothing is held twice.
  f.flush(f.t0);
  CAF_CHECK_EQUAL(f.sent.size(), 3u);
}

CAF_TEST(a snapshot is asked with a held run and only once) {
  fixture f;
  f.add(1, 0.1);
  f.add(2, 0.2);
  CAF_CHECK(f.batcher.ask_snapshot(f.positions[1]));
  // Nothing held for model 3: its owner asks it directly.
  CAF_CHECK(!f.batcher.ask_snapshot(f.positions[3]));
  f.flush(f.t0);
  CAF_CHECK_EQUAL(f.asked, (std::vector<bool>{true, false}));
  // The run is gone, and the question with it.
  CAF_CHECK(!f.batcher.ask_snapshot(f.positions[1]));
  // A run sent ahead (full, or before line news) takes the question along;
  // what follows in the window does not ask again.
  f.add(5, 0.5);
  CAF_CHECK(f.batcher.ask_snapshot(f.positions[5]));
  for (size_t i = 1; i < run_batcher::max_run; ++i)
    f.add(5, 0.5);
  f.add(5, 0.6);
  f.add(6, 0.6);
  CAF_CHECK(f.batcher.ask_snapshot(f.positions[6]));
  f.batcher.flush_one(6, f.positions[6], f.sender());
  f.add(6, 0.7);
  f.flush(f.t0);
  CAF_REQUIRE_EQUAL(f.sent.size(), 6u);
  CAF_CHECK_EQUAL(f.sent[2].first, 5u);
  CAF_CHECK_EQUAL(f.sent[2].second.size(), run_batcher::max_run);
  CAF_CHECK_EQUAL(f.sent[3].first, 6u);
  CAF_CHECK_EQUAL(f.sent[4].second, (std::vector<double>{0.6}));
  CAF_CHECK_EQUAL(f.sent[5].second, (std::vector<double>{0.7}));
  CAF_CHECK_EQUAL(f.asked,
                  (std::vector<bool>{true, false, true, true, false, false}));
}

CAF_TEST(a model starts a new run after a flush) {
  fixture f;
  f.add(1, 0.1);
  f.flush(f.t0);
  f.add(2, 0.2);
  f.add(1, 0.3);
  f.flush(f.t0);
  CAF_REQUIRE_EQUAL(f.sent.size(), 3u);
  CAF_CHECK_EQUAL(f.sent[1].first, 2u);
  CAF_CHECK_EQUAL(f.sent[2].first, 1u);
  CAF_CHECK_EQUAL(f.sent[2].second, (std::vector<double>{0.3}));
}

CAF_TEST(a full run goes out at once and the model keeps its place) {
  fixture f;
  f.add(4, -1.0);
  for (size_t i = 0; i < run_batcher::max_run; ++i)
    f.add(9, static_cast<double>(i));
  CAF_REQUIRE_EQUAL(f.sent.size(), 1u);
  CAF_CHECK_EQUAL(f.sent[0].first, 9u);
  CAF_CHECK_EQUAL(f.sent[0].second.size(), run_batcher::max_run);
  CAF_CHECK_EQUAL(f.sent[0].second.back(),
                  static_cast<double>(run_batcher::max_run - 1));
  f.add(9, 1000.0);
  f.flush(f.t0);
  // Model 4 came first; model 9's rest follows in the same window.
  CAF_REQUIRE_EQUAL(f.sent.size(), 3u);
  CAF_CHECK_EQUAL(f.sent[1].first, 4u);
  CAF_CHECK_EQUAL(f.sent[2].first, 9u);
  CAF_CHECK_EQUAL(f.sent[2].second, (std::vector<double>{1000.0}));
}

CAF_TEST(an emptied full run is not sent again) {
  fixture f;
  for (size_t i = 0; i < run_batcher::max_run; ++i)
    f.add(9, 0.5);
  f.flush(f.t0);
  CAF_CHECK_EQUAL(f.sent.size(), 1u);
}

CAF_TEST(new runs make room for what the last window held per model) {
  fixture f;
  for (int i = 0; i < 10; ++i) {
    f.add(1, 0.1);
    f.add(2, 0.2);
  }
  f.flush(f.t0);
  bool checked = false;
  f.add(3, 0.3);
  f.batcher.flush(f.t0, [&](uint32_t, metric_run&& run) {
    CAF_CHECK_GREATER_OR_EQUAL(run.events.capacity(), 10u);
    checked = true;
  });
  CAF_CHECK(checked);
}

CAF_TEST(without a flush interval every batch flushes) {
  fixture f;
  f.add(1, 0.1);
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0), action::flush);
  f.flush(f.t0);
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0), action::flush);
}

CAF_TEST(with a flush interval events wait for the timer or their due time) {
  fixture f{2ms};
  // Nothing held: nothing to wait for.
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0), action::flush);
  f.add(1, 0.1);
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0), action::start_timer);
  CAF_CHECK_EQUAL(f.batcher.timer_delay(f.t0).count(),
                  run_batcher::duration{2ms}.count());
  f.add(1, 0.2);
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0 + 1ms), action::none);
  // The timer waits behind batches: the oldest event is due, flush now.
  f.add(2, 0.3);
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0 + 2ms), action::flush);
  f.flush(f.t0 + 2ms);
  // The timer still runs; the new window starts with the next batch.
  f.add(2, 0.4);
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0 + 3ms), action::none);
  // The timer of the old window finds these events not yet due: it waits
  // for the rest of their window instead of sending them early.
  CAF_CHECK_EQUAL(f.batcher.timer_fired(f.t0 + 3500us), action::start_timer);
  CAF_CHECK_EQUAL(f.batcher.timer_delay(f.t0 + 3500us).count(),
                  run_batcher::duration{1500us}.count());
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0 + 4ms), action::none);
  CAF_CHECK_EQUAL(f.batcher.timer_fired(f.t0 + 5ms), action::flush);
  f.flush(f.t0 + 5ms);
  // Once it fired with nothing held, the next batch starts it again.
  CAF_CHECK_EQUAL(f.batcher.timer_fired(f.t0 + 6ms), action::none);
  f.add(2, 0.5);
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0 + 7ms), action::start_timer);
}

CAF_TEST(late flushes widen the window up to the longest flush delay) {
  run_batcher batcher{2ms, 10ms};
  run_batcher::position pos;
  auto t = run_batcher::time_point{};
  auto send = [](uint32_t, metric_run&&) {};
  std::vector<int64_t> windows;
  // Every flush comes a full window late, with input waiting (the timer
  // waited behind batches): the window doubles each time and stops at
  // 10 ms.
  for (int i = 0; i < 5; ++i) {
    batcher.add(1, pos, run_event{metric_kind::accuracy, 0.5, 1}, send);
    CAF_CHECK_EQUAL(batcher.after_batch(t), action::start_timer);
    t += 2 * batcher.window();
    CAF_CHECK_EQUAL(batcher.timer_fired(t), action::flush);
    batcher.flush(t, send, true);
    windows.push_back(
      std::chrono::duration_cast<std::chrono::milliseconds>(batcher.window())
        .count());
  }
  CAF_CHECK_EQUAL(windows, (std::vector<int64_t>{4, 8, 10, 10, 10}));
  // On time again: it halves back to the flush interval.
  windows.clear();
  for (int i = 0; i < 4; ++i) {
    batcher.add(1, pos, run_event{metric_kind::accuracy, 0.5, 1}, send);
    CAF_CHECK_EQUAL(batcher.after_batch(t), action::start_timer);
    t += batcher.window();
    CAF_CHECK_EQUAL(batcher.timer_fired(t), action::flush);
    batcher.flush(t, send, true);
    windows.push_back(
      std::chrono::duration_cast<std::chrono::microseconds>(batcher.window())
        .count());
  }
  CAF_CHECK_EQUAL(windows, (std::vector<int64_t>{5000, 2500, 2000, 2000}));
}

CAF_TEST(the run of one model goes out ahead and the others keep their window) {
  fixture f{2ms};
  f.add(1, 0.1);
  f.add(2, 0.2);
  f.add(1, 0.3);
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0), action::start_timer);
  f.batcher.flush_one(1, f.positions[1], f.sender());
  CAF_REQUIRE_EQUAL(f.sent.size(), 1u);
  CAF_CHECK_EQUAL(f.sent[0].first, 1u);
  CAF_CHECK_EQUAL(f.sent[0].second, (std::vector<double>{0.1, 0.3}));
  // Nothing more of model 1 is held, and model 2's event still is.
  f.batcher.flush_one(1, f.positions[1], f.sender());
  CAF_CHECK_EQUAL(f.sent.size(), 1u);
  CAF_CHECK(!f.batcher.empty());
  // A later event of model 1 joins the same window, in its old place.
  f.add(1, 0.4);
  CAF_CHECK_EQUAL(f.batcher.after_batch(f.t0 + 1ms), action::none);
  CAF_CHECK_EQUAL(f.batcher.timer_fired(f.t0 + 2ms), action::flush);
  CAF_CHECK_EQUAL(f.batcher.flush(f.t0 + 2ms, f.sender()), 2u);
  CAF_REQUIRE_EQUAL(f.sent.size(), 3u);
  CAF_CHECK_EQUAL(f.sent[1].first, 1u);
  CAF_CHECK_EQUAL(f.sent[1].second, (std::vector<double>{0.4}));
  CAF_CHECK_EQUAL(f.sent[2].first, 2u);
  CAF_CHECK_EQUAL(f.sent[2].second, (std::vector<double>{0.2}));
  CAF_CHECK(f.batcher.empty());
  // A model with nothing held, or held in an older window, sends nothing.
  f.batcher.flush_one(2, f.positions[2], f.sender());
  f.batcher.flush_one(7, f.positions[7], f.sender());
  CAF_CHECK_EQUAL(f.sent.size(), 3u);
}

CAF_TEST(the window learns what each flush carried) {
  // Monitors busy for a whole window with input waiting: runs of one event
  // each (mostly messages) widen the window, runs of four do not. Runs
  // already sent ahead (a full run, a run sent before line news) are not
  // part of the flush.
  auto run_case = [](std::size_t per_model, uint32_t ahead) {
    run_batcher batcher{2ms, 250ms};
    std::map<uint32_t, run_batcher::position> pos;
    auto t = run_batcher::time_point{};
    auto send = [](uint32_t, metric_run&&) {};
    for (uint32_t slot = 0; slot < 10; ++slot)
      for (std::size_t i = 0; i < per_model; ++i)
        batcher.add(slot, pos[slot], run_event{metric_kind::accuracy, 0.5, 1},
                    send);
    for (uint32_t slot = 0; slot < ahead; ++slot)
      batcher.flush_one(slot, pos[slot], send);
    batcher.after_batch(t);
    t += batcher.window();
    auto sent = batcher.flush(t, send, true, batcher.window(), 10 * per_model);
    return std::make_pair(sent, batcher.window());
  };
  auto [one_sent, one_window] = run_case(1, 0);
  CAF_CHECK_EQUAL(one_sent, 10u);
  CAF_CHECK_EQUAL(one_window.count(), run_batcher::duration{4ms}.count());
  auto [four_sent, four_window] = run_case(4, 0);
  CAF_CHECK_EQUAL(four_sent, 40u);
  CAF_CHECK_EQUAL(four_window.count(), run_batcher::duration{2ms}.count());
  // Half the models sent ahead: 20 events left in 5 runs, four a run; the
  // drain of 40 events is not scaled down. Long runs: the window holds.
  auto [ahead_sent, ahead_window] = run_case(4, 5);
  CAF_CHECK_EQUAL(ahead_sent, 20u);
  CAF_CHECK_EQUAL(ahead_window.count(), run_batcher::duration{2ms}.count());
  // Runs of two, half sent ahead: 10 events in 5 runs, short, widens.
  auto [short_sent, short_window] = run_case(2, 5);
  CAF_CHECK_EQUAL(short_sent, 10u);
  CAF_CHECK_EQUAL(short_window.count(), run_batcher::duration{4ms}.count());
}

CAF_TEST(a flush whose runs all went ahead learns nothing) {
  // Late, with input waiting: a flush that sent something would widen the
  // window. This one sends nothing.
  run_batcher batcher{2ms, 250ms};
  run_batcher::position pos;
  auto send = [](uint32_t, metric_run&&) {};
  batcher.add(1, pos, run_event{metric_kind::accuracy, 0.5, 1}, send);
  auto t = run_batcher::time_point{};
  CAF_CHECK_EQUAL(batcher.after_batch(t), action::start_timer);
  batcher.flush_one(1, pos, send);
  t += 2 * batcher.window();
  CAF_CHECK_EQUAL(batcher.timer_fired(t), action::flush);
  CAF_CHECK_EQUAL(batcher.flush(t, send, true), 0u);
  CAF_CHECK_EQUAL(batcher.window().count(), run_batcher::duration{2ms}.count());
  // The same with the event still held widens it.
  batcher.add(1, pos, run_event{metric_kind::accuracy, 0.5, 1}, send);
  CAF_CHECK_EQUAL(batcher.after_batch(t), action::start_timer);
  t += 2 * batcher.window();
  CAF_CHECK_EQUAL(batcher.timer_fired(t), action::flush);
  CAF_CHECK_EQUAL(batcher.flush(t, send, true), 1u);
  CAF_CHECK_EQUAL(batcher.window().count(), run_batcher::duration{4ms}.count());
}
