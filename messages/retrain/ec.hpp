#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace retrain {

/// Error codes of the retrain protocol, carried in `caf::error` with the
/// category `retrain`; the context says what exactly went wrong.
enum class ec : uint8_t {
  /// Not an error.
  none = 0,
  /// A model id is not `<project>:<name>:<semver>`.
  invalid_model_id,
  /// A metric kind is unknown.
  invalid_metric_kind,
  /// A metric value is not finite or out of range for its kind.
  invalid_value,
  /// Events for this model are refused after too many monitor crashes.
  quarantined,
  /// No job with this id.
  no_such_job,
  /// A model line is malformed.
  invalid_model_line,
  /// The database refused a read or write.
  storage_failure,
  /// A configuration value is out of range or unknown.
  invalid_config,
  /// A peer did not answer or could not be reached.
  unreachable,
  /// A retrain command failed.
  command_failed,
  /// A message arrived that the receiver cannot handle in its state.
  unexpected_message,
};

/// Returns the name of `x`, e.g. `invalid_model_id`.
std::string to_string(ec x);

} // namespace retrain

CAF_ERROR_CODE_ENUM(retrain::ec, "retrain")
