#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "retrain/detail/exact_double.hpp"

#include "retrain/metric_kind.hpp"

namespace retrain {

/// Why a monitor asked for a retrain.
struct trigger_reason {
  /// Strategy that decided, e.g. `ewma_threshold`.
  std::string strategy;
  /// The metric kind it watched.
  metric_kind kind = metric_kind::accuracy;
  /// The statistic at the decision (EWMA, PH sum, ...).
  double statistic = 0.0;
  /// The threshold it crossed.
  double threshold = 0.0;
  /// Values the strategy had seen.
  uint64_t samples = 0;
};

/// Renders `x` for logs and the registry, e.g.
/// `ewma_threshold accuracy statistic=0.87 threshold=0.92 samples=40`.
std::string to_string(const trigger_reason& x);

/// @relates trigger_reason
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trigger_reason& x) {
  return f(caf::meta::type_name("trigger_reason"), x.strategy, x.kind,
           detail::exact(x.statistic), detail::exact(x.threshold), x.samples);
}

} // namespace retrain
