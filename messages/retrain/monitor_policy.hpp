#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/metric_kind.hpp"

namespace retrain {

/// What one monitor runs after a policy change: the supervisor sends it to
/// the running monitors whose line's policy changed.
struct monitor_policy {
  /// The winning pattern (`*` with version 0: the node configuration).
  std::string pattern = "*";
  uint64_t version = 0;
  /// The watched kinds, and per kind its complete strategy
  /// (`NAME KEY=VALUE ...`), by position.
  std::vector<metric_kind> kinds;
  std::vector<std::string> specs;
  /// The cooldown after a trigger, in ms.
  int64_t cooldown_ms = 0;
};

/// @relates monitor_policy
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, monitor_policy& x) {
  return f(caf::meta::type_name("monitor_policy"), x.pattern, x.version,
           x.kinds, x.specs, x.cooldown_ms);
}

} // namespace retrain
