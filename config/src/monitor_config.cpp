#include "retrain/monitor_config.hpp"

#include <sstream>

namespace retrain {

namespace {

std::string show(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

} // namespace

monitor_config monitor_config::defaults() {
  monitor_config result;
  result.watch_threshold(metric_kind::accuracy, 0.92);
  result.watch_threshold(metric_kind::f1_score, 0.90);
  return result;
}

void monitor_config::watch_threshold(metric_kind kind, double threshold) {
  kind_watch w;
  w.strategy = "ewma_threshold";
  w.params["threshold"] = show(threshold);
  kinds[static_cast<std::size_t>(kind)] = std::move(w);
}

core::expected<std::unique_ptr<core::strategy>>
monitor_config::make_strategy(metric_kind kind) const {
  auto& w = *kinds[static_cast<std::size_t>(kind)];
  auto params = w.params;
  if (w.strategy == "ewma_threshold") {
    // The EWMA settings are shared by every kind; the direction follows the
    // kind. Explicit per-kind parameters win.
    params.emplace("alpha", show(alpha));
    params.emplace("min_samples", std::to_string(min_samples));
    params.emplace("consecutive_breaches",
                   std::to_string(consecutive_breaches));
    params.emplace("direction", higher_is_better(kind) ? "below" : "above");
  }
  return core::make_strategy(w.strategy, params);
}

std::optional<core::failure> monitor_config::validate() const {
  using namespace std::chrono_literals;
  if (!(alpha >= 0.0 && alpha <= 1.0))
    return core::failure{"retrain.monitor.alpha=" + show(alpha)
                         + " is outside [0, 1]"};
  if (min_samples < 1)
    return core::failure{"retrain.monitor.min-samples must be at least 1"};
  if (consecutive_breaches < 1)
    return core::failure{
      "retrain.monitor.consecutive-breaches must be at least 1"};
  if (cooldown < 0ms)
    return core::failure{"retrain.monitor.cooldown must not be negative"};
  if (snapshot_interval <= 0ms)
    return core::failure{
      "retrain.monitor.snapshot-interval must be greater than 0"};
  if (flush_interval < 0ms)
    return core::failure{"retrain.monitor.flush-interval must not be negative"};
  if (restart_window <= 0ms)
    return core::failure{
      "retrain.monitor.restart-window must be greater than 0"};
  bool any = false;
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (!kinds[i])
      continue;
    any = true;
    auto kind = static_cast<metric_kind>(i);
    auto s = make_strategy(kind);
    if (!s)
      return core::failure{"retrain.strategy." + to_string(kind) + ": "
                           + s.error().message};
  }
  if (!any)
    return core::failure{"no metric kind is watched: set at least one "
                         "retrain.threshold.<kind> or retrain.strategy.<kind>"};
  return std::nullopt;
}

} // namespace retrain
