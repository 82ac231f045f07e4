#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "retrain/retrain_trigger.hpp"

namespace retrain {

/// The triggers of a monitor node that the coordinator has not yet
/// acknowledged: at most one per model line, so that its size is bounded by
/// the lines the node watches and nothing is ever dropped to save memory.
/// A later trigger of a line with an entry merges into it (the entry keeps
/// its id, so the dispatcher counts the first delivery it stored and treats
/// every re-send as the same trigger). An entry leaves only when the
/// coordinator acknowledges its id.
///
/// Not an actor: the coordinator link hosts it, beside what it knows of
/// reachability, and decides when to send.
class trigger_outbox {
public:
  /// One line's unacknowledged trigger.
  struct entry {
    retrain_trigger trigger;
    /// Triggers of the line merged into this entry.
    uint64_t merged = 0;
    /// Whether a send of it waits for its answer.
    bool in_flight = false;
    /// When it came, among the entries of this outbox.
    uint64_t seq = 0;
  };

  /// Adds `x` as the entry of `line`, or merges it into the entry the line
  /// has; returns false when it merged. `x` must carry its id.
  bool add(std::string line, retrain_trigger x);

  /// The entry of `line`, or null.
  const entry* find(const std::string& line) const;

  /// Removes the entry of `line` if it holds trigger `id`; returns whether
  /// it did (an answer to an older send of a merged-away id does not).
  bool acknowledge(const std::string& line, const std::string& id);

  /// Removes the entry of `line` whatever it holds (a trigger the
  /// coordinator refuses for good).
  void drop(const std::string& line);

  /// Up to `n` triggers that wait to be sent, oldest first, now marked in
  /// flight.
  std::vector<retrain_trigger> take_ready(std::size_t n);

  /// Marks the entry of `line` as waiting to be sent again.
  void failed(const std::string& line);

  /// Marks every entry as waiting to be sent (a new coordinator link: the
  /// answers to earlier sends will not come).
  void resend_all();

  /// Every held trigger, oldest first (to keep them across a restart).
  std::vector<retrain_trigger> all() const;

  /// Lines with an entry, oldest first.
  std::vector<std::string> lines() const;

  std::size_t size() const noexcept {
    return entries_.size();
  }

  bool empty() const noexcept {
    return entries_.empty();
  }

  /// Entries whose send waits for an answer.
  std::size_t in_flight() const noexcept {
    return in_flight_;
  }

private:
  std::unordered_map<std::string, entry> entries_;
  /// The line of every entry by its `seq`, i.e. in the order they came.
  std::map<uint64_t, std::string> order_;
  /// The `seq` of every entry not in flight: a send takes from its front
  /// without walking the entries that wait for answers (with thousands of
  /// lines in flight, a walk per answer cost more than the events).
  std::set<uint64_t> ready_;
  uint64_t next_seq_ = 0;
  std::size_t in_flight_ = 0;
};

} // namespace retrain
