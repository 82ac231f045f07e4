#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "retrain/core/expected.hpp"
#include "retrain/metric_kind.hpp"

namespace retrain::core {

/// One metric event as a user writes it: a line of a CSV file that
/// `retrain-ctl replay` sends, or the arguments of `retrain-ctl send`.
struct csv_event {
  /// The model id, `<project>:<name>:<semver>`.
  std::string model;
  metric_kind kind = metric_kind::accuracy;
  double value = 0.0;
  /// Unix time in ns; 0 when the input gives none.
  int64_t observed_at_ns = 0;
};

/// Parses the fields of one event. `value` must be a decimal number and
/// `observed_at_ns`, unless empty, a whole number of at most 2^63 - 1
/// (both as `parse_decimal` and `parse_whole` take them); `kind` must name
/// a metric kind. The model id is taken as it is: a node checks it and
/// says why it refuses one. Reasons quote what they refuse, control bytes
/// escaped and long fields cut short; the code is `invalid_metric_kind` for
/// the kind, `invalid_value` for the numbers.
expected<csv_event> parse_event_fields(std::string_view model,
                                       std::string_view kind,
                                       std::string_view value,
                                       std::string_view observed_at_ns = {});

/// Parses one CSV line `model,kind,value[,observed_at_ns]` (no line end;
/// blanks and tabs around a field are ignored, an empty last field is no
/// time). The model id must be valid (`check_model_id`), the other fields
/// as `parse_event_fields` takes them. Returns the event or why the line
/// is refused (`invalid_model_id` for the id, `invalid_value` for a wrong
/// number of fields); allocates only the model id and a reason.
expected<csv_event> parse_csv_event(std::string_view line);

} // namespace retrain::core
