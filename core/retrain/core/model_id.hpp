#pragma once

#include <string>
#include <string_view>

#include "retrain/core/expected.hpp"
#include "retrain/core/semver.hpp"

namespace retrain::core {

/// A parsed model id `<project>:<name>:<semver>`, e.g.
/// `cv:anomaly_detector:1.2.0`.
struct model_id {
  std::string project;
  std::string name;
  semver version;

  /// The model line `<project>:<name>`: all versions of one model.
  std::string line() const;

  /// The canonical id string.
  std::string str() const;
};

/// Parses and validates a model id. Project and name are non-empty and use
/// only `[a-z0-9_.-]`; the version is a semver 2.0.0 version. On failure
/// (`errc::invalid_model_id`) the message quotes the id and says which part
/// is wrong and at which column.
expected<model_id> parse_model_id(std::string_view str);

/// Validates a model id as `parse_model_id` does, without allocating
/// unless it is malformed; returns its failure, or no failure.
failure check_model_id(std::string_view str);

/// The line `<project>:<name>` of a valid model id.
std::string_view model_line_of(std::string_view id);

/// Parses and validates a model line `<project>:<name>`; fails with
/// `errc::invalid_model_line`.
expected<std::string> parse_model_line(std::string_view str);

} // namespace retrain::core
