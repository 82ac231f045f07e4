#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "retrain/core/backoff.hpp"

namespace retrain::edge {

/// One webhook request to send: the same for every receiver and every
/// attempt.
struct delivery {
  /// `X-Retrain-Delivery`: unique per event, repeated by retries.
  std::string id;
  /// `X-Retrain-Event`.
  std::string event;
  /// The JSON body.
  std::string body;
};

/// The webhook deliveries waiting, per receiver, with their attempts and
/// retry times. Pure: time comes in as a parameter.
///
/// Each receiver gets the events in order: only its first delivery is
/// tried, and a failed one is retried after `backoff` (attempt 1 = first
/// retry) before the next goes, until `max_attempts` attempts, then given
/// up. Receivers take turns, so one that fails does not hold up the
/// others. At most `capacity` deliveries wait over all receivers: a
/// delivery beyond that is dropped, never waited for.
class delivery_queue {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  /// What became of an attempt.
  enum class outcome {
    /// Delivered; the next of its receiver may go at once.
    delivered,
    /// Failed; tried again after `retry_in`.
    retry,
    /// Failed for the last time; dropped.
    given_up,
  };

  /// The result of `done`.
  struct verdict {
    outcome what = outcome::delivered;
    /// The attempt that was made (1 = the first).
    uint32_t attempt = 0;
    /// The wait before the next attempt (`retry` only).
    std::chrono::nanoseconds retry_in{0};
  };

  delivery_queue(size_t receivers, size_t capacity, uint32_t max_attempts,
                 core::backoff backoff);

  /// Queues `d` for every receiver that it fits for; returns how many
  /// receivers it was dropped for (the queue was full).
  size_t push(const delivery& d);

  /// Deliveries waiting over all receivers.
  size_t size() const noexcept {
    return size_;
  }

  /// A receiver whose first delivery may go at `now`, taking turns; none
  /// when every first delivery waits for its retry time (or none waits).
  std::optional<size_t> due(time_point now);

  /// The first delivery of `receiver`, which `due` named.
  const delivery& front(size_t receiver) const;

  /// Records the result of an attempt of the first delivery of
  /// `receiver` at `now`; `unit` (in [0, 1)) places the retry within the
  /// backoff's jitter.
  verdict done(size_t receiver, bool ok, time_point now, double unit);

  /// When the earliest waiting first delivery may go, if one waits for
  /// its retry time.
  std::optional<time_point> next_retry() const;

private:
  struct entry {
    delivery what;
    uint32_t attempts = 0;
  };
  struct receiver_queue {
    std::deque<entry> entries;
    /// When the first entry may be tried (its retry time).
    time_point not_before{};
  };

  std::vector<receiver_queue> receivers_;
  size_t capacity_;
  uint32_t max_attempts_;
  core::backoff backoff_;
  size_t size_ = 0;
  /// The receiver whose turn is next.
  size_t turn_ = 0;
};

} // namespace retrain::edge
