#pragma once

#include <chrono>
#include <cstddef>

namespace retrain::core {

/// What a flush carried, and the events of the flush whose drain is
/// reported; zeros (unknown) leave the drain as it is and never count runs
/// as short.
struct flush_load {
  std::size_t events = 0;
  std::size_t runs = 0;
  std::size_t drained_events = 0;
};

/// How long the supervisor holds events before it sends each monitor its
/// run: `min` (the flush interval) while it keeps up, longer while it falls
/// behind, at most `max`. Longer runs mean fewer messages per event, which
/// is what a node short of CPU needs; short ones keep the wait of an event
/// low when there is CPU to spare.
///
/// The owner reports each flush that was due: how long its oldest event
/// waited, whether input was waiting for the owner at that moment (its
/// mailbox held more), how long the monitors took to apply an earlier
/// flush (the drain: from its send until its last monitor answered, or
/// until now if it has not yet), and the load: the events and runs of this
/// flush and the events of the flush the drain belongs to.
///
/// The drain of a smaller flush is scaled up to this one's events (the
/// monitors will need about that long for it); a larger one's is taken as
/// it is. So a short flush after a long drain (the producer got no core
/// while the monitors worked) neither shrinks the window nor hides that
/// the monitors are behind.
///
/// Behind means input waiting and the flush at least half a window late
/// (the timer waited behind batches, or for a core), or a drain of at
/// least four windows (the monitors fell flushes behind; a producer
/// that waits for acknowledgements leaves little input waiting, and then
/// this is all that shows), or input waiting, a drain of at least one
/// window and runs under `short_run` events on average: the monitors are
/// busy all the time, mostly with messages, and longer runs carry more
/// events per message. Behind, the window doubles. Keeping up means a
/// drain under half a window and either no input waiting or the flush
/// less than a quarter window late: the window halves. In between it
/// stays, so the window does not flap around one load; and a late timer
/// on an idle node (the machine is busy elsewhere) is no reason to hold
/// events longer. Time is passed in.
class flush_window {
public:
  using duration = std::chrono::nanoseconds;

  /// How the window changed at a flush.
  enum class change {
    none,
    grew,
    shrank,
  };

  /// A window of `min` that may grow up to `max` (`max` >= `min`). With
  /// `min` zero events are never held and the window never grows.
  flush_window(duration min, duration max) noexcept
    : min_(min), max_(max < min ? min : max), current_(min) {
    // nop
  }

  /// The current window.
  duration current() const noexcept {
    return current_;
  }

  /// The window it falls back to when the owner keeps up.
  duration min() const noexcept {
    return min_;
  }

  /// The longest window.
  duration max() const noexcept {
    return max_;
  }

  /// Runs shorter than this on average (events per run) make a flush
  /// mostly messages: see the class comment.
  static constexpr std::size_t short_run = 4;

  /// Records a flush whose oldest event waited `waited`, with `input_waiting`
  /// if more input waited for the owner then, `drain`, how long the
  /// monitors took to apply an earlier flush, and `carried`, the load. A
  /// flush before the window was over (forced by a status round, a history
  /// query, an idle scan or a handoff) says nothing about the load and
  /// changes nothing.
  change flushed(duration waited, bool input_waiting,
                 duration drain = duration::zero(),
                 flush_load carried = {}) noexcept {
    if (min_ == duration::zero() || waited < current_)
      return change::none;
    if (carried.drained_events > 0 && carried.events > carried.drained_events)
      drain = duration{static_cast<duration::rep>(
        static_cast<double>(drain.count()) * carried.events
        / carried.drained_events)};
    auto late = waited - current_;
    auto short_runs = carried.runs > 0
                      && carried.events < short_run * carried.runs;
    auto behind = (input_waiting && late >= current_ / 2)
                  || drain >= 4 * current_
                  || (input_waiting && short_runs && drain >= current_);
    if (behind && current_ < max_) {
      current_ = current_ > max_ / 2 ? max_ : current_ * 2;
      return change::grew;
    }
    auto keeping_up = drain < current_ / 2
                      && (!input_waiting || late < current_ / 4);
    if (keeping_up && current_ > min_) {
      current_ = current_ / 2 < min_ ? min_ : current_ / 2;
      return change::shrank;
    }
    return change::none;
  }

private:
  duration min_;
  duration max_;
  duration current_;
};

} // namespace retrain::core
