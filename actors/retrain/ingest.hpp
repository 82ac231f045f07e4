#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "retrain/core/idempotency_keys.hpp"
#include "retrain/core/slot_index.hpp"
#include "retrain/messages.hpp"
#include "retrain/monitor_config.hpp"

namespace retrain {

/// State of the ingest actor: the front door of a monitor node.
struct ingest_state {
  static inline const char* name = "ingest";

  supervisor_actor supervisor;
  /// Kinds whose strategy takes per-prediction outcomes (0 or 1 only).
  std::array<bool, metric_kind_count> binary{};
  /// Hashes of the model ids already checked.
  core::hash_set checked_ids;
  std::chrono::milliseconds timeout{10000};
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  /// Events this actor refused, by the name of the reason's code (what the
  /// supervisor refuses it counts itself).
  std::map<std::string, uint64_t> refused;
  /// Whether the node is shutting down: new events are refused.
  bool draining = false;
  /// What became of the batches sent with an idempotency key, for
  /// `key_ttl` after their answer, at most `max_keys` of them.
  static constexpr std::chrono::minutes key_ttl{10};
  static constexpr std::size_t max_keys = 100000;
  core::idempotency_keys<caf::expected<batch_report>> keys{key_ttl, max_keys};
  /// The answers waiting for the first batch of each pending key.
  std::unordered_map<std::string,
                     std::vector<caf::typed_response_promise<batch_report>>>
    waiting;

  /// Checks one event; returns why it is refused (`ec::invalid_model_id`,
  /// `ec::invalid_metric_kind` or `ec::invalid_value`), or no error. Fills
  /// in `observed_at_ns` when it is 0.
  caf::error check(metric_event& ev);

  /// Counts `n` events refused for `reason`.
  void count_refused(const caf::error& reason, uint64_t n = 1);
};

/// Ingest as its node addresses it: what it publishes plus the stop of
/// intake at shutdown, which no peer can send.
using ingest_self_actor = monitor_node_actor::extend<
  /// Stops intake: every later event and batch is refused with
  /// `ec::draining`, so that a producer sends it elsewhere or again later.
  caf::replies_to<atom::drain>::with<uint64_t>>;

/// Validates events and acknowledges batches. Valid events go to the
/// supervisor; every refused one is counted and the first reason of a batch
/// is reported in its `ingest_ack`. A draining node refuses whole batches
/// with `ec::draining`: nothing of them was taken.
ingest_self_actor::behavior_type
ingest(ingest_self_actor::stateful_pointer<ingest_state> self,
       supervisor_actor supervisor, const monitor_config& config,
       std::chrono::milliseconds timeout);

} // namespace retrain
