#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace retrain::core {

/// What kind of failure a `failure` is. Every value has the `retrain::ec` of
/// the same name: `retrain::to_ec` (messages/retrain/ec.hpp) maps them, and
/// the build proves that mapping total and one to one. Core has only the
/// codes its functions raise; a new one goes at the end, with its `ec`.
enum class errc : uint8_t {
  /// Not a failure: what a default `failure` holds.
  none = 0,
  /// A model id is not `<project>:<name>:<semver>`.
  invalid_model_id,
  /// A model line is not `<project>:<name>`.
  invalid_model_line,
  /// A metric kind is unknown.
  invalid_metric_kind,
  /// A value is malformed or out of range: a metric value for its kind, a
  /// number, a version, a field of an event.
  invalid_value,
  /// A strategy, its parameters or their values are unknown or out of range.
  invalid_config,
  /// Reading the input failed (an I/O error, not a malformed line).
  storage_failure,
};

/// Number of `errc` values.
inline constexpr std::size_t errc_count = 7;

/// Returns the name of `x`, e.g. `invalid_model_id`: the name of its `ec`.
std::string_view to_string(errc x) noexcept;

} // namespace retrain::core
