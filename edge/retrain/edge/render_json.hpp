#pragma once

#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "retrain/job_record.hpp"
#include "retrain/model_history.hpp"
#include "retrain/model_status.hpp"
#include "retrain/model_version.hpp"
#include "retrain/policy_explanation.hpp"
#include "retrain/policy_record.hpp"

namespace retrain::edge {

/// `ns` (Unix time) as ISO 8601 UTC with milliseconds
/// (`2026-11-28T09:30:00.125Z`); times before 1970 round to the past.
std::string iso8601_utc(int64_t ns);

/// `iso8601_utc(ns)`, or empty for 0 or less (a time not set).
std::string iso_time(int64_t ns);

/// One model as `retrain-ctl status --json` and `GET /v1/models` show it.
boost::json::object to_json(const model_status& x);

/// One job as `retrain-ctl jobs --json` and `GET /v1/jobs` show it.
boost::json::object to_json(const job_record& x);

/// One version as `retrain-ctl versions --json` and
/// `GET /v1/lines/{line}/versions` show it.
boost::json::object to_json(const model_version& x);

/// A model's history as `GET /v1/models/{model}/history` shows it: times
/// `t` in ms since the Unix epoch, a point's `state` the most severe
/// verdict within it.
boost::json::object to_json(const model_history& x);

/// One version of a policy as `retrain-ctl policy ... --json` and
/// `/v1/policies` show it.
boost::json::object to_json(const policy_record& x);

/// Which policy applies to a line and why, as `retrain-ctl policy explain
/// --json` and `GET /v1/policies/explain` show it.
boost::json::object to_json(const core::policy_explanation& x);

/// Each element of [`first`, `last`) rendered with `to_json`.
template <class Iterator>
boost::json::array to_json_array(Iterator first, Iterator last) {
  boost::json::array result;
  result.reserve(static_cast<std::size_t>(last - first));
  for (; first != last; ++first)
    result.push_back(to_json(*first));
  return result;
}

/// Each element of `xs` rendered with `to_json`.
template <class T>
boost::json::array to_json_array(const std::vector<T>& xs) {
  return to_json_array(xs.begin(), xs.end());
}

} // namespace retrain::edge
