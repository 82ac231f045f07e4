#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "retrain/core/expected.hpp"
#include "retrain/core/strategy.hpp"

namespace retrain::core {

/// One update at which a backtested strategy reported a warning or a drift.
struct backtest_row {
  /// 0-based position of the value among the values of the input (blank
  /// lines do not count).
  uint64_t index = 0;
  /// The value as written in the input, without surrounding blanks.
  std::string value;
  /// The number fed to the strategy.
  double number = 0.0;
  /// `warning` or `drift`.
  verdict state = verdict::none;
};

/// Runs `s` offline over `in`, one number per line, feeding every value
/// as it is (as River's own examples do) after `s.check` accepted it. Blank
/// lines are skipped. Returns a row for each update whose verdict is a
/// warning or a drift, or a failure naming the 1-based line of the first
/// value that is not a decimal number (`parse_decimal`: no hexadecimal,
/// `nan`, `inf` or trailing bytes; out of range is refused) or that `s`
/// refuses (`errc::invalid_value`), or a read error of `in`
/// (`errc::storage_failure`).
expected<std::vector<backtest_row>> backtest(strategy& s, std::istream& in);

/// Formats `rows` as the command line prints them: `STATE INDEX VALUE`, one
/// line per row.
std::string to_text(const std::vector<backtest_row>& rows);

} // namespace retrain::core
