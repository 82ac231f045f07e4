#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace retrain {

/// One question put to many monitors, by slot, each answering with a
/// message of its own that the owner folds into a `Result`: no response
/// handler per monitor, which is slow in CAF 0.17 and timed out at 100,000
/// models.
///
/// Queries wait in line; a round serves the oldest one, together with every
/// other waiting query over all slots (they get the same answer). Rounds do
/// not overlap: a query that comes during a round gets a later one, which
/// starts after it and so, when the owner flushes what it routed before
/// asking, covers every event routed before the query. A monitor that dies
/// during a round is asked again once restarted (`awaits`), or its answer
/// is filled in (`settle`).
///
/// Not an actor: the owner sends the questions, finds the slot of each
/// answer and delivers results through `Promise`s.
template <class Result, class Promise>
class fan_in {
public:
  /// Queues a query over `slots`, or over every slot when there are none,
  /// answered through `promise`.
  void enqueue(std::optional<std::vector<uint32_t>> slots, Promise promise) {
    waiting_.push_back(query{std::move(slots), std::move(promise)});
  }

  /// Whether queries wait and no round is under way: the owner starts one.
  bool ready() const noexcept {
    return !round_ && !waiting_.empty();
  }

  /// Starts a round for the oldest waiting query and returns the slots to
  /// ask; `slot_count` is how many slots the owner has, for a query over
  /// all of them. The owner then either `await`s a slot's answer or folds
  /// one in at once into `result()`, and calls `finish`.
  std::vector<uint32_t> start(uint32_t slot_count) {
    round_.emplace();
    auto head = std::move(waiting_.front());
    waiting_.pop_front();
    round_->promises.push_back(std::move(head.promise));
    if (head.slots)
      return std::move(*head.slots);
    // Queries over all slots that wait get the same round.
    for (auto i = waiting_.begin(); i != waiting_.end();) {
      if (i->slots) {
        ++i;
        continue;
      }
      round_->promises.push_back(std::move(i->promise));
      i = waiting_.erase(i);
    }
    std::vector<uint32_t> result(slot_count);
    for (uint32_t slot = 0; slot < slot_count; ++slot)
      result[slot] = slot;
    return result;
  }

  /// The result of the round under way.
  Result& result() {
    return round_->result;
  }

  /// Notes that the round under way waits for the answer of `slot`.
  void await(uint32_t slot) {
    auto& awaited = round_->awaited;
    if (slot >= awaited.size())
      awaited.resize(slot + 1);
    if (!awaited[slot]) {
      awaited[slot] = true;
      ++round_->pending;
    }
  }

  /// Whether the round under way waits for the answer of `slot`.
  bool awaits(uint32_t slot) const noexcept {
    return round_ && slot < round_->awaited.size() && round_->awaited[slot];
  }

  /// Takes the answer of `slot`; returns false when the round does not wait
  /// for it (no round, an answer given already, a slot not asked), and then
  /// the owner drops the answer.
  bool settle(uint32_t slot) {
    if (!awaits(slot))
      return false;
    round_->awaited[slot] = false;
    --round_->pending;
    return true;
  }

  /// Ends the round under way once it waits for nothing, calling
  /// `deliver(promise, result)` for each of its queries. Returns whether it
  /// ended; the owner then checks `ready` for the next.
  template <class Deliver>
  bool finish(Deliver&& deliver) {
    if (!round_ || round_->pending > 0)
      return false;
    auto done = std::move(*round_);
    round_.reset();
    for (auto& promise : done.promises)
      deliver(promise, done.result);
    return true;
  }

private:
  struct query {
    std::optional<std::vector<uint32_t>> slots;
    Promise promise;
  };

  struct round {
    Result result{};
    std::vector<Promise> promises;
    /// By slot: whether the answer is still awaited.
    std::vector<bool> awaited;
    std::size_t pending = 0;
  };

  std::deque<query> waiting_;
  std::optional<round> round_;
};

} // namespace retrain
