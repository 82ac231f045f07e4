#include <sstream>

#include "retrain/ec.hpp"
#include "retrain/job_state.hpp"
#include "retrain/trigger_ack.hpp"
#include "retrain/trigger_reason.hpp"

namespace retrain {

std::string to_string(ec x) {
  switch (x) {
    case ec::none:
      return "none";
    case ec::invalid_model_id:
      return "invalid_model_id";
    case ec::invalid_metric_kind:
      return "invalid_metric_kind";
    case ec::invalid_value:
      return "invalid_value";
    case ec::quarantined:
      return "quarantined";
    case ec::no_such_job:
      return "no_such_job";
    case ec::invalid_model_line:
      return "invalid_model_line";
    case ec::storage_failure:
      return "storage_failure";
    case ec::invalid_config:
      return "invalid_config";
    case ec::unreachable:
      return "unreachable";
    case ec::draining:
      return "draining";
    case ec::too_many_models:
      return "too_many_models";
    case ec::no_such_policy:
      return "no_such_policy";
    case ec::standby:
      return "standby";
    case ec::idempotency_conflict:
      return "idempotency_conflict";
  }
  return "ec(" + std::to_string(static_cast<int>(x)) + ")";
}

std::string to_string(job_state x) {
  switch (x) {
    case job_state::queued:
      return "queued";
    case job_state::running:
      return "running";
    case job_state::succeeded:
      return "succeeded";
    case job_state::failed:
      return "failed";
  }
  return "job_state(" + std::to_string(static_cast<int>(x)) + ")";
}

std::optional<job_state> parse_job_state(std::string_view str) {
  for (auto x : {job_state::queued, job_state::running, job_state::succeeded,
                 job_state::failed})
    if (to_string(x) == str)
      return x;
  return std::nullopt;
}

std::string to_string(trigger_outcome x) {
  switch (x) {
    case trigger_outcome::created:
      return "created";
    case trigger_outcome::merged:
      return "merged";
    case trigger_outcome::repeated:
      return "repeated";
    case trigger_outcome::superseded:
      return "superseded";
  }
  return "trigger_outcome(" + std::to_string(static_cast<int>(x)) + ")";
}

std::string to_string(const trigger_reason& x) {
  std::ostringstream out;
  out << x.strategy << ' ' << name_of(x.kind) << " statistic=" << x.statistic
      << " threshold=" << x.threshold << " samples=" << x.samples;
  return out.str();
}

} // namespace retrain
