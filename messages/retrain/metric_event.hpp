#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "retrain/detail/exact_double.hpp"

#include "retrain/metric_kind.hpp"

namespace retrain {

/// One observation of one metric of one deployed model.
struct metric_event {
  /// `<project>:<name>:<semver>`, e.g. `cv:anomaly_detector:1.2.0`.
  std::string model;
  /// What was measured.
  metric_kind kind = metric_kind::accuracy;
  /// The value; [0, 1] for quality kinds, milliseconds >= 0 for latency.
  double value = 0.0;
  /// Unix time in ns when observed; 0 means "when received".
  int64_t observed_at_ns = 0;
};

/// @relates metric_event
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_event& x) {
  return f(caf::meta::type_name("metric_event"), x.model, x.kind,
           detail::exact(x.value), x.observed_at_ns);
}

} // namespace retrain
