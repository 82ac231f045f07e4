#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace retrain::core {

/// What a batch came to once every event of it is settled: the combined
/// answer of all owners, in the terms of an `ingest_ack`.
struct fanout_result {
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  /// `event N: reason` for the rejected event with the lowest index
  /// (0-based N), or empty.
  std::string first_error;
};

/// One batch of events that a client sends straight to the owners of their
/// shards: which events wait, which are on their way to which owner, and
/// what the owners made of them, until each event is accepted or rejected.
///
/// ```
///  waiting --split--> in flight --settle--> accepted | rejected
///     ^                  |
///     +--- returned -----+  (the owner does not own it, or did not answer)
/// ```
/// Every `split` is one attempt for each waiting event; an event that is
/// still not accepted after `max_attempts` is rejected with the last reason
/// it failed for, so nothing is dropped without an answer.
class batch_fanout {
public:
  /// Events given to one owner, by their indexes in the batch (ascending).
  using part = std::vector<uint64_t>;

  /// A batch of `events` events, each waiting; at most `max_attempts` (at
  /// least 1) sends of each.
  batch_fanout(uint64_t events, uint32_t max_attempts);

  /// Refuses event `index` before it is sent (e.g. an invalid value), with
  /// `reason`. Ignored unless the event is waiting.
  void reject(uint64_t index, std::string reason);

  /// Splits the waiting events by owner: `owner_of[i]` is the owner of
  /// event `i` (an index into the caller's owners), negative when the event
  /// has no reachable owner, in which case `why` is why. Counts one attempt
  /// for each waiting event. Returns the parts by owner, now in flight; an
  /// event without an owner stays waiting, or is rejected once its attempts
  /// are used up.
  std::map<int32_t, part> split(const std::vector<int32_t>& owner_of,
                                const std::string& why);

  /// Takes an owner's answer for `sent` (a part `split` returned): the
  /// events at positions `returned` of `sent` are not the owner's (they
  /// wait again, for `why_returned`), those at the positions of `rejects`
  /// are refused with their reasons, every other one is accepted. Events
  /// no longer in flight (an answer that came twice) are left as they are.
  void settle(const part& sent, const std::vector<uint64_t>& returned,
              const std::vector<std::pair<uint64_t, std::string>>& rejects,
              const std::string& why_returned);

  /// The owner of `sent` did not answer (unreachable, lost, too slow):
  /// every event of it that is still in flight waits again, for `why`.
  void lost(const part& sent, const std::string& why);

  /// Events waiting for a (new) owner.
  uint64_t waiting() const noexcept {
    return waiting_;
  }

  /// Events sent and not answered yet.
  uint64_t in_flight() const noexcept {
    return in_flight_;
  }

  /// Whether every event is accepted or rejected.
  bool done() const noexcept {
    return waiting_ == 0 && in_flight_ == 0;
  }

  /// The combined answer so far (final once `done()`).
  fanout_result result() const;

  /// The number of events.
  uint64_t size() const noexcept {
    return static_cast<uint64_t>(state_.size());
  }

private:
  enum class event_state : uint8_t { waiting, in_flight, accepted, rejected };

  // Moves an in-flight event back to waiting, or rejects it when it has no
  // attempt left.
  void back_to_waiting(uint64_t index, const std::string& why);

  void mark_rejected(uint64_t index, std::string reason);

  std::vector<event_state> state_;
  std::vector<uint32_t> attempts_;
  uint32_t max_attempts_;
  uint64_t waiting_ = 0;
  uint64_t in_flight_ = 0;
  uint64_t accepted_ = 0;
  uint64_t rejected_ = 0;
  /// The rejected event with the lowest index and its reason.
  uint64_t first_rejected_ = 0;
  std::string first_reason_;
};

} // namespace retrain::core
