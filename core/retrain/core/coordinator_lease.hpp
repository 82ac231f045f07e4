#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace retrain::core {

/// The timings of the lease that makes one of several coordinators on a
/// shared database the active one, all derived from the lease timeout
/// (`retrain.registry.lease-timeout`). The holder renews every fifth of
/// it, and stops acting on its own once three fifths passed since the last
/// renewal that went through was sent; a standby takes over only once the
/// lease is older than the whole timeout in database time. So an old
/// holder stops before a new one may start, with two fifths to spare for
/// the time a renewal takes to reach the database.
struct lease_timing {
  using duration = std::chrono::milliseconds;
  using time_point = std::chrono::steady_clock::time_point;

  /// Age (in database time) after which a lease may be taken over.
  duration timeout{5000};

  /// How often the holder renews the lease.
  duration renew_interval() const noexcept {
    return timeout / 5;
  }

  /// How long the holder acts after sending its last renewal that went
  /// through; always shorter than `timeout`.
  duration self_fence() const noexcept {
    return timeout * 3 / 5;
  }

  /// How often a standby looks at the lease: a tenth of the timeout, at
  /// most 250 ms (a holder whose session ended is replaced at the next
  /// look, without waiting for the timeout).
  duration poll_interval() const noexcept {
    return std::min(timeout / 10, duration{250});
  }

  /// When the holder must stop acting, given when it sent its last
  /// renewal that went through.
  time_point stop_at(time_point renewal_sent) const noexcept {
    return renewal_sent + self_fence();
  }
};

/// The lease row as a standby reads it.
struct lease_view {
  /// Who holds it; empty when nobody does (new, or released).
  std::string holder;
  /// Raised by every takeover; 0 before the first.
  int64_t epoch = 0;
  /// Database time since the last renewal, in microseconds.
  int64_t age_us = 0;
  /// Whether the session the holder renews on still exists.
  bool holder_session_alive = true;
};

/// What a standby may do with the lease.
enum class lease_verdict {
  /// Nobody holds it: take it.
  free,
  /// Held and renewed in time by a live session: wait.
  held,
  /// Not renewed within the timeout (a stopped or cut-off holder): take
  /// it over.
  expired,
  /// The holder's session ended (its process died): take it over at
  /// once.
  holder_gone,
};

/// Returns `free`, `held`, `expired` or `holder_gone`.
std::string to_string(lease_verdict x);

/// Judges `x` with the lease timeout `timeout`.
lease_verdict judge(const lease_view& x, std::chrono::milliseconds timeout);

/// Whether a standby may take a lease judged `x`.
inline bool may_take(lease_verdict x) noexcept {
  return x != lease_verdict::held;
}

} // namespace retrain::core
