#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/detail/exact_double.hpp"

#include "retrain/core/strategy.hpp"
#include "retrain/metric_kind.hpp"
#include "retrain/model_history.hpp"

namespace retrain::core {

/// @relates strategy_snapshot
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, strategy_snapshot& x) {
  return f(caf::meta::type_name("strategy_snapshot"), x.strategy,
           retrain::detail::exact(x.values));
}

} // namespace retrain::core

namespace retrain {

/// The state of one monitor, which its supervisor keeps to restart it after
/// a crash.
struct monitor_snapshot {
  std::string model;
  /// Events applied so far.
  uint64_t events = 0;
  uint64_t triggers = 0;
  /// Evaluations on the wrong side of a threshold so far.
  uint64_t breaches = 0;
  bool standing_down = false;
  bool line_busy = false;
  /// Whether the monitor ever triggered, and when (the actor clock's time
  /// since its epoch), so a monitor started again keeps its cooldown.
  bool fired = false;
  int64_t fired_at_ns = 0;
  std::vector<metric_kind> kinds;
  std::vector<core::strategy_snapshot> strategies;
  /// The history of each kind: carried only by the snapshot a monitor
  /// sends as it stops (passivation), since the periodic ones would copy
  /// up to `retrain.history.points` points per kind every interval.
  std::vector<kind_history> history;
  /// The triggers the monitor remembers (always carried: a few at most).
  std::vector<trigger_mark> marks;
  /// Per kind of `kinds`, the complete strategy it ran
  /// (`NAME KEY=VALUE ...`): a monitor started under a policy that changed
  /// the detector meanwhile starts that kind fresh.
  std::vector<std::string> specs;
};

/// @relates monitor_snapshot
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, monitor_snapshot& x) {
  return f(caf::meta::type_name("monitor_snapshot"), x.model, x.events,
           x.triggers, x.breaches, x.standing_down, x.line_busy, x.fired,
           x.fired_at_ns, x.kinds, x.strategies, x.history, x.marks, x.specs);
}

} // namespace retrain
