#include "retrain/monitor_config.hpp"

#include "retrain/config_error.hpp"
#include "retrain/ec.hpp"
#include "scalar_text.hpp"

namespace retrain {

namespace {

// Parameters reach the strategies as text: exactly the double, not six
// digits of it (0.287309123 stays 0.287309123).
std::string show(double x) {
  return detail::format_decimal(x);
}

// Slots are 32-bit; far above what one node's memory holds.
constexpr uint64_t max_model_limit = 1'000'000'000;

} // namespace

monitor_config monitor_config::defaults() {
  monitor_config result;
  for (auto& x : retrain::defaults::monitor::thresholds)
    result.watch_threshold(x.kind, x.threshold);
  return result;
}

monitor_config monitor_config::node_defaults() {
  auto result = defaults();
  result.flush_interval = retrain::defaults::monitor::flush_interval;
  return result;
}

void monitor_config::watch_threshold(metric_kind kind, double threshold) {
  kind_watch w;
  w.strategy = "ewma_threshold";
  w.params["threshold"] = show(threshold);
  kinds[static_cast<std::size_t>(kind)] = std::move(w);
}

caf::expected<std::unique_ptr<core::strategy>>
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
  auto result = core::make_strategy(w.strategy, params);
  if (!result)
    return to_error(std::move(result.error()));
  return std::move(*result);
}

core::policy_base monitor_config::policy_base() const {
  core::policy_base result;
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (!kinds[i])
      continue;
    core::strategy_spec spec;
    spec.name = kinds[i]->strategy;
    spec.params = kinds[i]->params;
    result.kinds[i] = std::move(spec);
  }
  result.alpha = alpha;
  result.min_samples = min_samples;
  result.consecutive_breaches = consecutive_breaches;
  result.cooldown = cooldown;
  return result;
}

caf::error monitor_config::validate() const {
  using namespace std::chrono_literals;
  // 0 would never move the average off its first value.
  if (!(alpha > 0.0 && alpha <= 1.0))
    return config_error("retrain.monitor.alpha=" + show(alpha)
                        + " is outside (0, 1]");
  if (min_samples < 1)
    return config_error("retrain.monitor.min-samples must be at least 1");
  if (consecutive_breaches < 1)
    return config_error(
      "retrain.monitor.consecutive-breaches must be at least 1");
  if (cooldown < 0ms)
    return config_error("retrain.monitor.cooldown must not be negative");
  if (snapshot_interval <= 0ms)
    return config_error(
      "retrain.monitor.snapshot-interval must be greater than 0");
  if (flush_interval < 0ms)
    return config_error("retrain.monitor.flush-interval must not be negative");
  if (restart_window <= 0ms)
    return config_error(
      "retrain.monitor.restart-window must be greater than 0");
  if (idle_timeout < 0ms)
    return config_error("retrain.monitor.idle-timeout must not be negative");
  if (max_models == 0 || max_models > max_model_limit)
    return config_error("retrain.monitor.max-models must be in [1, "
                        + std::to_string(max_model_limit) + "]");
  if (expire_after < 0ms)
    return config_error("retrain.monitor.expire-after must not be negative");
  if (history_points > retrain::defaults::monitor::max_history_points)
    return config_error(
      "retrain.history.points must be in [0, "
      + std::to_string(retrain::defaults::monitor::max_history_points) + "]");
  if (history_resolution < 0ms)
    return config_error("retrain.history.resolution must not be negative");
  if (max_flush_delay < flush_interval)
    return config_error("retrain.monitor.max-flush-delay="
                        + std::to_string(max_flush_delay.count())
                        + "ms is shorter than retrain.monitor.flush-interval="
                        + std::to_string(flush_interval.count())
                        + "ms; it must be at least as long");
  if (persist_interval <= 0ms)
    return config_error(
      "retrain.monitor.persist-interval must be greater than 0");
  bool any = false;
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (!kinds[i])
      continue;
    any = true;
    auto kind = static_cast<metric_kind>(i);
    auto s = make_strategy(kind);
    if (!s)
      return config_error("retrain.strategy." + to_string(kind) + ": "
                          + error_text(s.error()));
  }
  if (!any)
    return config_error("no metric kind is watched: set at least one "
                        "retrain.threshold.<kind> or retrain.strategy.<kind>");
  return caf::none;
}

} // namespace retrain
