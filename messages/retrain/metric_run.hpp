#pragma once

#include <cstdint>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/detail/exact_double.hpp"
#include "retrain/metric_kind.hpp"

namespace retrain {

/// One event of a run: a `metric_event` without the model id, which its
/// monitor knows.
struct run_event {
  metric_kind kind = metric_kind::accuracy;
  double value = 0.0;
  int64_t observed_at_ns = 0;
};

/// @relates run_event
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_event& x) {
  return f(caf::meta::type_name("run_event"), x.kind, detail::exact(x.value),
           x.observed_at_ns);
}

/// Events of one model, in arrival order, as the supervisor hands them to
/// that model's monitor: no strings, one allocation per run.
struct metric_run {
  std::vector<run_event> events;
  /// The monitor sends its snapshot once it applied these events: the
  /// snapshot sweep asked for one while the run was held.
  bool snapshot = false;
};

/// @relates metric_run
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, metric_run& x) {
  return f(caf::meta::type_name("metric_run"), x.events, x.snapshot);
}

} // namespace retrain
