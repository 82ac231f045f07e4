#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/typed_event_based_actor.hpp>

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

  /// Checks one event; returns why it is refused (`ec::invalid_model_id`,
  /// `ec::invalid_metric_kind` or `ec::invalid_value`), or no error. Fills
  /// in `observed_at_ns` when it is 0.
  caf::error check(metric_event& ev);
};

/// Validates events and acknowledges batches. Valid events go to the
/// supervisor; every refused one is counted and the first reason of a batch
/// is reported in its `ingest_ack`.
monitor_node_actor::behavior_type
ingest(monitor_node_actor::stateful_pointer<ingest_state> self,
       supervisor_actor supervisor, const monitor_config& config,
       std::chrono::milliseconds timeout);

} // namespace retrain
