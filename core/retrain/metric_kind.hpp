#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "retrain/core/expected.hpp"

namespace retrain {

/// The online metrics a monitor watches. Higher is better for the first four,
/// lower is better for `latency_ms`. Part of the wire contract: values are
/// stable, new kinds are only ever appended.
enum class metric_kind : uint8_t {
  accuracy,
  precision,
  recall,
  f1_score,
  latency_ms,
};

/// Number of metric kinds.
inline constexpr std::size_t metric_kind_count = 5;

/// Returns the name of `x` as used in config keys, CSV files and the CLI
/// (`accuracy`, ..., `latency_ms`).
std::string to_string(metric_kind x);

/// Same as `to_string`, without allocating.
std::string_view name_of(metric_kind x) noexcept;

/// Parses a metric kind from its name.
std::optional<metric_kind> parse_metric_kind(std::string_view str) noexcept;

/// Returns whether `x` names a known metric kind (a peer may send any byte).
bool is_valid(metric_kind x) noexcept;

/// Returns whether a larger value of `x` means a better model.
bool higher_is_better(metric_kind x) noexcept;

/// Checks that `value` is a valid observation of `x`: finite, within [0, 1]
/// for the quality kinds and non-negative for latency. Returns what is wrong
/// (`invalid_metric_kind` when `x` is no kind, else `invalid_value`), or no
/// failure.
core::failure check_value(metric_kind x, double value);

/// Checks that `value` is a per-prediction outcome, what a strategy that
/// watches errors (`strategy::binary()`) takes for `x`: 0 or 1, where 1 is
/// the better outcome for quality kinds (a correct prediction) and the worse
/// one for latency (too slow). Returns what is wrong (`invalid_value`), or no
/// failure.
core::failure check_outcome(metric_kind x, double value);

/// The error indicator of the outcome `value` of `x` (1 = the prediction was
/// wrong or too slow), which binary strategies are fed.
inline double error_indicator(metric_kind x, double value) noexcept {
  return higher_is_better(x) ? 1.0 - value : value;
}

/// Names of all kinds, comma-separated, for error messages.
std::string_view metric_kind_names() noexcept;

} // namespace retrain
