#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/detail/exact_double.hpp"

#include "retrain/metric_kind.hpp"

namespace retrain {

/// One watched metric kind of one model.
struct kind_status {
  metric_kind kind = metric_kind::accuracy;
  std::string strategy;
  /// The strategy's statistic (the EWMA for `ewma_threshold`).
  double statistic = 0.0;
  double threshold = 0.0;
  uint64_t samples = 0;
  /// `none`, `warning` or `drift` after the last update.
  std::string state;
};

/// @relates kind_status
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kind_status& x) {
  return f(caf::meta::type_name("kind_status"), x.kind, x.strategy,
           detail::exact(x.statistic), detail::exact(x.threshold), x.samples,
           x.state);
}

/// One monitored model, as `retrain-ctl status` shows it.
struct model_status {
  std::string model;
  /// `watching`, `job-active`, `standing-down`, `restarting`, `quarantined`
  /// or `passivated` (stopped while idle, kept as its snapshot).
  std::string state;
  uint64_t events = 0;
  uint64_t triggers = 0;
  uint32_t restarts = 0;
  /// Events lost in monitor crashes (at-most-once delivery).
  uint64_t lost = 0;
  std::vector<kind_status> kinds;
  /// The policy it runs: its pattern and version (`*` and 0: the node
  /// configuration).
  std::string policy = "*";
  uint64_t policy_version = 0;
};

/// @relates model_status
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_status& x) {
  return f(caf::meta::type_name("model_status"), x.model, x.state, x.events,
           x.triggers, x.restarts, x.lost, x.kinds, x.policy, x.policy_version);
}

} // namespace retrain
