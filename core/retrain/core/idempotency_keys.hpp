#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace retrain::core {

/// Whether `key` can name a request: 1 to `max_idempotency_key` visible
/// ASCII characters (what an HTTP header carries unchanged).
inline constexpr std::size_t max_idempotency_key = 128;
bool valid_idempotency_key(std::string_view key) noexcept;

/// What became of requests, by the idempotency key their sender gave them,
/// so that a request sent again with the same key (its answer was lost)
/// gets the first one's answer instead of being applied twice.
///
/// A key is pending from `begin` until `finish`; then its result is kept
/// for `ttl`, and of the finished keys at most `capacity` (the oldest go
/// first). A key whose request failed before anything was taken is
/// forgotten (`forget`), so that sending it again applies it. Each key
/// remembers a fingerprint of its request: the same key with another
/// request is a mistake of the sender, not a repeat.
///
/// Not an actor: the owner keeps the waiting answers, passes time in and
/// calls `expire`.
template <class Result>
class idempotency_keys {
public:
  using time_point = std::chrono::steady_clock::time_point;

  enum class seen {
    /// Not known: now pending; the caller runs the request.
    fresh,
    /// Its first request still runs: wait for its result.
    pending,
    /// Finished: `result` is the answer.
    done,
    /// Known with another fingerprint: refuse.
    mismatch,
  };

  struct lookup {
    seen state;
    /// The result of a `done` key, valid until the next call.
    const Result* result = nullptr;
  };

  idempotency_keys(std::chrono::nanoseconds ttl, std::size_t capacity)
    : ttl_(ttl), capacity_(capacity) {
    // nop
  }

  /// Looks `key` up for a request with `fingerprint`; a fresh key becomes
  /// pending.
  lookup begin(const std::string& key, uint64_t fingerprint) {
    auto [i, added] = entries_.try_emplace(key);
    auto& e = i->second;
    if (added) {
      e.fingerprint = fingerprint;
      return {seen::fresh};
    }
    if (e.fingerprint != fingerprint)
      return {seen::mismatch};
    if (!e.result)
      return {seen::pending};
    return {seen::done, &*e.result};
  }

  /// Records the result of the pending `key`, kept until `now + ttl`.
  void finish(const std::string& key, Result result, time_point now) {
    auto i = entries_.find(key);
    if (i == entries_.end() || i->second.result)
      return;
    i->second.result = std::move(result);
    order_.emplace_back(now + ttl_, key);
    while (order_.size() > capacity_)
      drop_oldest();
  }

  /// Forgets the pending `key`: its request took nothing.
  void forget(const std::string& key) {
    auto i = entries_.find(key);
    if (i != entries_.end() && !i->second.result)
      entries_.erase(i);
  }

  /// Forgets the finished keys kept past their time.
  void expire(time_point now) {
    while (!order_.empty() && order_.front().first <= now)
      drop_oldest();
  }

  /// Keys known, pending ones included.
  std::size_t size() const noexcept {
    return entries_.size();
  }

  /// Finished keys kept.
  std::size_t finished() const noexcept {
    return order_.size();
  }

private:
  struct entry {
    uint64_t fingerprint = 0;
    std::optional<Result> result;
  };

  void drop_oldest() {
    entries_.erase(order_.front().second);
    order_.pop_front();
  }

  std::chrono::nanoseconds ttl_;
  std::size_t capacity_;
  std::unordered_map<std::string, entry> entries_;
  /// Finished keys, oldest first, with the time each expires.
  std::deque<std::pair<time_point, std::string>> order_;
};

} // namespace retrain::core
