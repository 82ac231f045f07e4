#pragma once

#include <cstdint>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "retrain/ingest_ack.hpp"

namespace retrain {

/// Why one event of a batch was refused.
struct event_reject {
  /// 0-based position in the batch.
  uint64_t index = 0;
  /// The code (`ec::invalid_model_id`, `invalid_metric_kind`,
  /// `invalid_value`, `quarantined`, `too_many_models`) and, as the
  /// context, the reason.
  caf::error reason;
};

/// @relates event_reject
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_reject& x) {
  return f(caf::meta::type_name("event_reject"), x.index, x.reason);
}

/// The answer to `(atom::explain, metric_batch)`: the usual acknowledgement
/// plus the reason for every refused event, whether ingest refused it or
/// the supervisor (a quarantined model).
struct batch_report {
  ingest_ack ack;
  std::vector<event_reject> rejects;
};

/// @relates batch_report
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_report& x) {
  return f(caf::meta::type_name("batch_report"), x.ack, x.rejects);
}

} // namespace retrain
