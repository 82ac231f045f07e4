#pragma once

// The node's reader of INI text. It takes the syntax of CAF 0.17's INI files
// (sections, nested sections `[a.b]`, `key=value`, `;` comments, text in
// double quotes, atoms in single quotes, booleans, numbers, durations, lists
// and `{...}` maps), so every file written for CAF reads the same, but reads
// it strictly where CAF does not: numbers and durations as retrain reads
// every number a user types (`read_scalar`: no octal, hex or binary, no
// inexact decimals, no overflow), no NUL byte (CAF stops reading there), no
// key set twice (CAF keeps the first or the last, depending on the section),
// CRLF line endings as LF. What it reads is a flat list of dotted keys and
// their values; which keys exist and what type they take is for the caller
// to check.

#include <string>
#include <string_view>
#include <vector>

#include <caf/config_value.hpp>
#include <caf/expected.hpp>

namespace retrain::detail {

/// One value of an INI file.
struct ini_entry {
  /// Section and key, dotted: `retrain.monitor.alpha`. Keys before the
  /// first section (or in `[global]`) have no section.
  std::string key;
  /// A list, text, atom, boolean, integer, real or duration; never a map
  /// (a map is read as one entry per key in it).
  caf::config_value value;
  /// The line of the key, from 1.
  int line = 0;
};

/// Reads INI text into its entries, in the order of the text. Errors are
/// `ec::invalid_config`; their text says where (line, column or key) and
/// what is wrong, not which file.
caf::expected<std::vector<ini_entry>> parse_ini(std::string_view text);

} // namespace retrain::detail
