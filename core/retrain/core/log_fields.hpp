#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace retrain::core {

/// What a log line names, found in its text, for structured (JSON) logs:
/// log calls stay plain text and readable, and a shipper still gets fields
/// to filter on.
struct log_fields {
  /// `<name>#<id>` at the start of the line, e.g. `dispatcher#12`.
  std::string actor;
  /// The number after the first `job `.
  std::optional<uint64_t> job;
  /// The number after the first `attempt `.
  std::optional<uint64_t> attempt;
  /// The first valid model id `<project>:<name>:<semver>`.
  std::string model;
  /// The line of `model`, or else the first `<project>:<name>` that is not
  /// a `HOST:PORT`.
  std::string line;
};

/// Finds the fields of `text`; any of them may be missing.
log_fields find_log_fields(std::string_view text);

} // namespace retrain::core
