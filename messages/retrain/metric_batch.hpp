#pragma once

#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/metric_event.hpp"

namespace retrain {

/// Many events in one message; acknowledged with an `ingest_ack`.
struct metric_batch {
  std::vector<metric_event> events;
};

/// @relates metric_batch
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_batch& x) {
  return f(caf::meta::type_name("metric_batch"), x.events);
}

} // namespace retrain
