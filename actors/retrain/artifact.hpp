#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace retrain {

/// Reads the artifact a retrain command names on its last stdout line: the
/// string field `artifact` of a JSON object, e.g.
/// `{"artifact": "s3://models/cv/det/1.3.0"}`. Fails (`ec::invalid_value`),
/// saying why, when the line is empty, is not a JSON object, or has no
/// non-empty string `artifact`; that is not a failed job, only one without
/// an artifact.
caf::expected<std::string> parse_artifact(std::string_view last_line);

} // namespace retrain
