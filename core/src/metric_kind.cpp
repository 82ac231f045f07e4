#include "retrain/metric_kind.hpp"

#include <array>
#include <cmath>
#include <sstream>

namespace retrain {

namespace {

constexpr std::array<std::string_view, metric_kind_count> names = {
  "accuracy", "precision", "recall", "f1_score", "latency_ms",
};

} // namespace

std::string_view name_of(metric_kind x) noexcept {
  auto i = static_cast<std::size_t>(x);
  return i < names.size() ? names[i] : std::string_view{"<invalid>"};
}

std::string to_string(metric_kind x) {
  return std::string{name_of(x)};
}

std::optional<metric_kind> parse_metric_kind(std::string_view str) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == str)
      return static_cast<metric_kind>(i);
  return std::nullopt;
}

bool is_valid(metric_kind x) noexcept {
  return static_cast<std::size_t>(x) < metric_kind_count;
}

bool higher_is_better(metric_kind x) noexcept {
  return x != metric_kind::latency_ms;
}

core::failure check_outcome(metric_kind x, double value) {
  if (value == 0.0 || value == 1.0)
    return {};
  return core::fail(core::errc::invalid_value,
                    std::string{name_of(x)}
                      + " is watched by a per-prediction strategy: value must "
                        "be 0 or 1 "
                      + (higher_is_better(x) ? "(1 = correct)"
                                             : "(1 = too slow)"));
}

core::failure check_value(metric_kind x, double value) {
  using core::errc;
  if (!is_valid(x))
    return core::fail(errc::invalid_metric_kind,
                      "unknown metric kind "
                        + std::to_string(static_cast<int>(x))
                        + " (known: " + std::string{metric_kind_names()} + ")");
  auto show = [&] {
    std::ostringstream out;
    out << value;
    return out.str();
  };
  auto refuse = [&](const char* what) {
    return core::fail(errc::invalid_value,
                      std::string{name_of(x)} + " value " + show() + what);
  };
  if (!std::isfinite(value))
    return refuse(" is not finite");
  if (higher_is_better(x)) {
    if (value < 0.0 || value > 1.0)
      return refuse(" is outside [0, 1]");
  } else if (value < 0.0) {
    return refuse(" is negative");
  }
  return {};
}

std::string_view metric_kind_names() noexcept {
  return "accuracy, precision, recall, f1_score, latency_ms";
}

} // namespace retrain
