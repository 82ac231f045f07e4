#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "retrain/core/expected.hpp"

namespace retrain::core {

/// Parses a decimal number a user typed: the whole of `str` must be an
/// optional sign, digits with an optional fraction (`1`, `1.`, `.5`, `0.25`)
/// and an optional exponent (`1e-3`, `2.5E+4`), with nothing around it (no
/// blanks: callers trim where their format allows them). Refused
/// (`errc::invalid_value`) with a reason that quotes `str` (control bytes
/// escaped): anything else after the
/// number (a NUL byte, a second value, a unit), hexadecimal (`0x1p-1`),
/// `nan` and `inf` texts, and magnitudes too large for a double (`1e309`:
/// out of range). Magnitudes too small for one (`1e-400`) become 0, as
/// rounding does. Independent of the C locale.
expected<double> parse_decimal(std::string_view str);

/// Parses a whole number a user typed: the whole of `str` must be decimal
/// digits, no sign, no blanks. Refused (`errc::invalid_value`) with a reason
/// that quotes `str` when it is anything else or greater than `max` (out of
/// range).
expected<uint64_t>
parse_whole(std::string_view str,
            uint64_t max = std::numeric_limits<uint64_t>::max());

} // namespace retrain::core
