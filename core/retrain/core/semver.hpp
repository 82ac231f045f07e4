#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "retrain/core/expected.hpp"

namespace retrain::core {

/// A version as defined by semver.org 2.0.0.
struct semver {
  uint64_t major = 0;
  uint64_t minor = 0;
  uint64_t patch = 0;
  /// Dot-separated pre-release identifiers without the leading '-', or empty.
  std::string pre_release;
  /// Dot-separated build metadata without the leading '+', or empty.
  std::string build;
};

/// Parses `str` strictly per semver 2.0.0 (no leading 'v', no leading zeros
/// in numeric identifiers, no empty identifiers), with a patch below
/// 2^64 - 1 so that every version has a `next_version`. On failure
/// (`errc::invalid_value`) the message names the offending part and its
/// 1-based column within `str`.
expected<semver> parse_semver(std::string_view str);

/// Same as `parse_semver(str)`, with columns in errors shifted by `offset`
/// (for a version that is part of a longer text).
expected<semver> parse_semver(std::string_view str, std::size_t offset);

/// Renders `x` in canonical form.
std::string to_string(const semver& x);

/// Compares by semver precedence: negative, zero or positive. Build metadata
/// does not take part.
int compare(const semver& x, const semver& y) noexcept;

/// The version a retrain of `x` produces: patch + 1 with pre-release and
/// build metadata dropped (`1.2.0` -> `1.2.1`, `1.2.0-rc.1` -> `1.2.1`).
semver next_version(const semver& x);

/// The version a retrain starts from: the line's latest registered version,
/// or the triggering model's version when the line is new or that model was
/// deployed at a newer version than any registered (`latest` 1.0.1 and
/// trigger 2.0.0 give 2.0.0, so the retrain registers 2.0.1).
semver retrain_base(const std::optional<semver>& latest, const semver& trigger);

/// Keeps in `highest` the higher of what it holds for `line` and
/// `version`; an empty or malformed `version` changes nothing. Returns
/// whether it raised the line (or added it).
bool raise_version(std::unordered_map<std::string, semver>& highest,
                   const std::string& line, std::string_view version);

inline bool operator<(const semver& x, const semver& y) noexcept {
  return compare(x, y) < 0;
}

inline bool operator==(const semver& x, const semver& y) noexcept {
  return compare(x, y) == 0 && x.build == y.build;
}

} // namespace retrain::core
