#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/actor_system.hpp>

#include "retrain/core/backoff.hpp"
#include "retrain/edge_config.hpp"
#include "retrain/messages.hpp"

namespace retrain::edge {

/// Totals of the webhook sender, read by `/metrics` without a message.
/// Deliveries count per receiver URL: one event to two URLs is two.
struct webhook_counters {
  /// Deliveries taken into the queue.
  std::atomic<uint64_t> queued{0};
  /// Deliveries a receiver answered with 2xx.
  std::atomic<uint64_t> delivered{0};
  /// Failed attempts that are tried again later.
  std::atomic<uint64_t> retried{0};
  /// Deliveries given up after `retrain.webhook-max-attempts` attempts.
  std::atomic<uint64_t> failed{0};
  /// Deliveries not queued because `retrain.webhook-queue` were waiting.
  std::atomic<uint64_t> dropped{0};
};

/// How long one webhook request may take to connect.
inline constexpr std::chrono::milliseconds webhook_connect_timeout
  = std::chrono::seconds{2};

/// How long one webhook request may take in all: a receiver that hangs
/// holds the queue up for at most this long per attempt.
inline constexpr std::chrono::milliseconds webhook_request_timeout
  = std::chrono::seconds{5};

/// The retry schedule of a webhook delivery: 0.5 s doubling per attempt,
/// at most 30 s, each +/- 20%.
core::backoff webhook_backoff();

/// Spawns the webhook sender of a coordinator node: it POSTs each notice
/// of the dispatcher as JSON to every URL of `config.webhooks` (signed with
/// `config.webhook_secret` when set), retries with `webhook_backoff`, and
/// counts into `counters`. Detached: libcurl blocks its thread for up to
/// `webhook_request_timeout` per request.
news_actor spawn_webhook(caf::actor_system& sys, const edge_config& config,
                         std::shared_ptr<webhook_counters> counters);

} // namespace retrain::edge
