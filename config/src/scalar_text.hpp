#pragma once

// Numbers and durations as users type them into a config file or onto the
// command line, read the way retrain reads every number (core's strict
// parsers: whole decimal fields, no octal or hex, nothing out of range), and
// text quoted for error messages.

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/config_value.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

namespace retrain::detail {

/// `str` with bytes outside printable ASCII written as `\xNN`, so that
/// input echoed in an error puts no control bytes into logs or terminals.
std::string escape(std::string_view str);

/// `escape(str)` in single quotes.
std::string quote(std::string_view str);

/// The shortest decimal text that `read_decimal` reads back as `x` exactly,
/// e.g. `0.2`, `0.287309123`, `1e-300` (`x` is finite).
std::string format_decimal(double x);

/// Reads a whole number within [0, `max`] (`core::parse_whole`).
caf::expected<uint64_t> read_whole(std::string_view str, uint64_t max);

/// Reads a decimal number (`core::parse_decimal`).
caf::expected<double> read_decimal(std::string_view str);

/// Reads a duration: an optional sign, decimal digits and a unit (`ns`,
/// `us`, `ms`, `s`, `min` or `h`), e.g. `500ms` or `-1s`. Refused with a
/// reason that quotes `str`: anything else, and magnitudes beyond what a
/// `caf::timespan` holds.
caf::expected<caf::timespan> read_duration(std::string_view str);

/// Reads a number or a duration as the INI file holds one: a duration
/// (`read_duration`), an integer (decimal digits, perhaps after a '-', within
/// the range of `int64_t`) or a decimal number (`read_decimal`). Refused with
/// a reason that quotes `str`.
caf::expected<caf::config_value> read_scalar(std::string_view str);

} // namespace retrain::detail
