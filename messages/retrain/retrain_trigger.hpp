#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "retrain/trigger_reason.hpp"

namespace retrain {

/// A monitor's decision that a model must be retrained. Sent once per
/// episode, never per event, and re-sent until the dispatcher acknowledges
/// it (`trigger_ack`).
struct retrain_trigger {
  /// The full model id that drifted.
  std::string model;
  trigger_reason reason;
  /// Unix time in ns of the decision.
  int64_t triggered_at_ns = 0;
  /// Unique for the life of the cluster (`<origin>-<sequence>`: the monitor
  /// node's random incarnation and a counter): a re-send carries the same
  /// id, and the dispatcher answers it with the job the first one made.
  std::string id;
  /// The latest registered version of the line the monitor node knows, or
  /// empty: a coordinator that lost its database never hands out a version
  /// below it again.
  std::string known_latest;
};

/// @relates retrain_trigger
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retrain_trigger& x) {
  return f(caf::meta::type_name("retrain_trigger"), x.model, x.reason,
           x.triggered_at_ns, x.id, x.known_latest);
}

} // namespace retrain
