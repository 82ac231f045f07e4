#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "retrain/trigger_reason.hpp"

namespace retrain {

/// A monitor's decision that a model must be retrained. Sent once per
/// episode, never per event.
struct retrain_trigger {
  /// The full model id that drifted.
  std::string model;
  trigger_reason reason;
  /// Unix time in ns of the decision.
  int64_t triggered_at_ns = 0;
};

/// @relates retrain_trigger
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retrain_trigger& x) {
  return f(caf::meta::type_name("retrain_trigger"), x.model, x.reason,
           x.triggered_at_ns);
}

} // namespace retrain
