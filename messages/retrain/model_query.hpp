#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "retrain/model_status.hpp"

namespace retrain {

/// Which models a status request covers and which of their rows it wants:
/// `retrain-ctl status` and `GET /v1/models`. The summary comes from
/// counts the supervisor keeps, so it costs the same at any model count;
/// only the rows asked for are asked of their monitors.
struct model_query {
  /// Empty for every model, else a model id or a model line
  /// (`<project>:<name>`).
  std::string which;
  /// Empty for any state, else one of `model_status::state`'s values.
  std::string state;
  /// Rows to skip, in model id order.
  uint64_t offset = 0;
  /// Rows at most; 0 for the summary alone.
  uint64_t limit = 0;
};

/// @relates model_query
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_query& x) {
  return f(caf::meta::type_name("model_query"), x.which, x.state, x.offset,
           x.limit);
}

/// The answer to a `model_query`.
struct model_page {
  /// Models the query covers (`which`), in any state.
  uint64_t models = 0;
  /// Those models by state (`watching`, `job-active`, `standing-down`,
  /// `passivated`, `quarantined`); states with none are left out.
  std::map<std::string, uint64_t> states;
  /// Models that match the query (`which` and `state`).
  uint64_t total = 0;
  /// The query's offset and limit, as applied.
  uint64_t offset = 0;
  uint64_t limit = 0;
  /// The matching rows from `offset` on, at most `limit`, by model id.
  std::vector<model_status> rows;
  /// How long the supervisor holds events now, in ns (see
  /// `monitor_stats::flush_window_ns`).
  int64_t flush_window_ns = 0;
};

/// @relates model_page
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_page& x) {
  return f(caf::meta::type_name("model_page"), x.models, x.states, x.total,
           x.offset, x.limit, x.rows, x.flush_window_ns);
}

} // namespace retrain
