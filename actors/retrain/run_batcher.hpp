#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "retrain/core/flush_window.hpp"
#include "retrain/metric_run.hpp"

namespace retrain {

/// Holds events per model until they go out as one `metric_run` per model:
/// a run goes out at once when it is full, the others when the flush
/// window is over, or at the end of each batch without one. Longer runs
/// mean fewer messages, which is what lets monitors keep up (a message per
/// event caps at about 2 M events/s). The window is the flush interval
/// while the owner keeps up and grows up to the longest flush delay while
/// it falls behind (`core::flush_window`).
///
/// Not an actor: the supervisor hosts it, owns the timer and sends what it
/// releases. Time is passed in.
class run_batcher {
public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::steady_clock::time_point;

  /// A run this long goes out at once.
  static constexpr std::size_t max_run = 256;

  /// Where the pending run of a model is. The owner keeps one in each
  /// model's entry, so adding an event costs no lookup beyond the one that
  /// found the entry.
  struct position {
    /// The flush window the run belongs to; 0 for none.
    uint64_t window = 0;
    uint32_t index = 0;
  };

  /// What the owner does after adding a batch.
  enum class action {
    /// Nothing: the timer is running.
    none,
    /// Flush now.
    flush,
    /// Start the timer: `timer_fired` after the flush interval.
    start_timer,
  };

  /// Holds events for `flush_interval`, or up to `max_flush_delay` while
  /// the owner is behind (no longer than `flush_interval` if that is
  /// shorter).
  explicit run_batcher(duration flush_interval = duration::zero(),
                       duration max_flush_delay = duration::zero())
    : adaptive_(flush_interval, max_flush_delay) {
    // nop
  }

  /// Adds `ev` to the run of the model in `slot`, whose position is `pos`.
  /// A run that reaches `max_run` goes out through `send(slot, run)` at
  /// once.
  template <class Send>
  void add(uint32_t slot, position& pos, const run_event& ev, Send&& send) {
    if (pos.window != window_) {
      pos.window = window_;
      pos.index = static_cast<uint32_t>(runs_.size());
      runs_.emplace_back(slot, metric_run{});
      runs_.back().second.events.reserve(run_hint_);
    }
    auto& run = runs_[pos.index];
    run.second.events.push_back(ev);
    if (run.second.events.size() >= max_run) {
      send(slot, std::move(run.second));
      run.second = metric_run{};
    }
  }

  /// Asks for a snapshot with the held run of the model whose position is
  /// `pos`: its monitor sends one once it applied the run. Returns false
  /// if that model has no held run, so the owner asks its monitor itself.
  bool ask_snapshot(const position& pos) noexcept {
    if (pos.window != window_)
      return false;
    auto& run = runs_[pos.index].second;
    if (run.events.empty())
      return false;
    run.snapshot = true;
    return true;
  }

  /// Sends the held run of the model in `slot`, whose position is `pos`,
  /// through `send(slot, run)` now, ahead of the others: what must reach
  /// one model before news for it. The window goes on for the others.
  template <class Send>
  void flush_one(uint32_t slot, const position& pos, Send&& send) {
    if (pos.window != window_)
      return;
    auto& run = runs_[pos.index].second;
    if (run.events.empty())
      return;
    send(slot, std::move(run));
    run = metric_run{};
  }

  /// Says what to do after a batch was added at `now`: without a flush
  /// interval flush; else start the timer (for `timer_delay`), unless it
  /// runs; and when the oldest held event is due (the timer waits behind
  /// batches in the mailbox under load) flush.
  action after_batch(time_point now) {
    if (adaptive_.current() == duration::zero() || runs_.empty())
      return action::flush;
    if (!holding_) {
      holding_ = true;
      held_since_ = now;
    }
    if (!timer_running_) {
      timer_running_ = true;
      timer_due_ = held_since_ + adaptive_.current();
      return action::start_timer;
    }
    return now >= held_since_ + adaptive_.current() ? action::flush
                                                    : action::none;
  }

  /// Says what to do when the timer fired at `now`: flush if the held
  /// events are due, start the timer again (for `timer_delay`) if they
  /// came after a flush the timer did not cause, else nothing.
  action timer_fired(time_point now) noexcept {
    timer_running_ = false;
    if (!holding_)
      return action::none;
    if (now >= held_since_ + adaptive_.current())
      return action::flush;
    timer_running_ = true;
    timer_due_ = held_since_ + adaptive_.current();
    return action::start_timer;
  }

  /// How long the timer the owner starts after `start_timer` at `now`
  /// waits.
  duration timer_delay(time_point now) const noexcept {
    return timer_due_ > now ? timer_due_ - now : duration::zero();
  }

  /// The current flush window.
  duration window() const noexcept {
    return adaptive_.current();
  }

  /// Whether no event is held.
  bool empty() const noexcept {
    return runs_.empty();
  }

  /// Sends every held run through `send(slot, run)`, in the order of their
  /// first events, and returns how many events went out. A flush that was
  /// due adapts the window to how late it came, to `input_waiting`
  /// (whether more input waits for the owner), to `drain` (how long the
  /// monitors took to apply an earlier flush of `drained_events` events)
  /// and to what this flush carries: runs sent ahead of it (full ones,
  /// ones before line news) are not part of it (see `core::flush_window`).
  template <class Send>
  std::size_t flush(time_point now, Send&& send, bool input_waiting = false,
                    duration drain = duration::zero(),
                    std::size_t drained_events = 0) {
    if (runs_.empty())
      return 0;
    std::size_t events = 0;
    std::size_t sent = 0;
    for (auto& [slot, run] : runs_) {
      if (run.events.empty())
        continue;
      events += run.events.size();
      ++sent;
      send(slot, std::move(run));
    }
    // A flush whose runs all went ahead carried nothing to learn from.
    if (holding_ && sent > 0)
      adaptive_.flushed(now - held_since_, input_waiting, drain,
                        {events, sent, drained_events});
    // A running timer then finds nothing (or a younger window) to flush.
    holding_ = false;
    // New runs are sized for what the last window held per model.
    run_hint_ = std::max<std::size_t>(1,
                                      std::min(max_run, events / runs_.size()));
    runs_.clear();
    ++window_;
    return events;
  }

private:
  /// How long events are held now.
  core::flush_window adaptive_;
  /// Runs not yet sent, one per model (by slot), in order of first event.
  std::vector<std::pair<uint32_t, metric_run>> runs_;
  /// The current flush window; positions of older ones are stale.
  uint64_t window_ = 1;
  /// Events each new run makes room for.
  std::size_t run_hint_ = 1;
  bool timer_running_ = false;
  /// Whether events are held since `held_since_`, the time of the first
  /// batch after the last flush.
  bool holding_ = false;
  time_point held_since_;
  /// When the running timer fires.
  time_point timer_due_;
};

} // namespace retrain
