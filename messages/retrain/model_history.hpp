#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/detail/exact_double.hpp"

#include "retrain/core/history_ring.hpp"
#include "retrain/metric_kind.hpp"

namespace retrain::core {

/// @relates history_point
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_point& x) {
  return f(caf::meta::type_name("history_point"), x.time_ns,
           retrain::detail::exact(x.min), retrain::detail::exact(x.max),
           retrain::detail::exact(x.last), retrain::detail::exact(x.statistic),
           retrain::detail::exact(x.threshold), x.samples, x.count, x.state);
}

} // namespace retrain::core

namespace retrain {

/// The history of one metric kind of one model, oldest point first.
struct kind_history {
  metric_kind kind = metric_kind::accuracy;
  /// The strategy that judged the values.
  std::string strategy;
  std::vector<core::history_point> points;
};

/// @relates kind_history
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kind_history& x) {
  return f(caf::meta::type_name("kind_history"), x.kind, x.strategy, x.points);
}

/// A retrain trigger a monitor sent, as its history keeps it.
struct trigger_mark {
  /// Event time of the value that fired, ns since the Unix epoch.
  int64_t time_ns = 0;
  metric_kind kind = metric_kind::accuracy;
  /// The strategy's sample count at the trigger (the `samples=` of its
  /// reason).
  uint64_t samples = 0;
  double statistic = 0.0;
  double threshold = 0.0;
};

/// @relates trigger_mark
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trigger_mark& x) {
  return f(caf::meta::type_name("trigger_mark"), x.time_ns, x.kind, x.samples,
           detail::exact(x.statistic), detail::exact(x.threshold));
}

/// What a model's monitor remembers of its metrics over time
/// (`retrain.history.points` per kind at `retrain.history.resolution`)
/// and of its triggers.
struct model_history {
  std::string model;
  /// Width of a point's bucket, and the most points kept per kind.
  int64_t resolution_ns = 0;
  uint64_t capacity = 0;
  std::vector<kind_history> kinds;
  /// Oldest first, at most `trigger_marks_kept`.
  std::vector<trigger_mark> triggers;

  /// Triggers a monitor remembers, newest kept.
  static constexpr std::size_t trigger_marks_kept = 100;
};

/// @relates model_history
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_history& x) {
  return f(caf::meta::type_name("model_history"), x.model, x.resolution_ns,
           x.capacity, x.kinds, x.triggers);
}

} // namespace retrain
