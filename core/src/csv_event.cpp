#include "retrain/core/csv_event.hpp"

#include <array>
#include <limits>

#include "retrain/core/model_id.hpp"
#include "retrain/core/number.hpp"

#include "retrain/core/quoted.hpp"

namespace retrain::core {

namespace {

std::string_view trim(std::string_view str) {
  auto first = str.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  auto last = str.find_last_not_of(" \t");
  return str.substr(first, last - first + 1);
}

} // namespace

expected<csv_event>
parse_event_fields(std::string_view model, std::string_view kind,
                   std::string_view value, std::string_view observed_at_ns) {
  csv_event result;
  auto parsed_kind = parse_metric_kind(kind);
  if (!parsed_kind)
    return fail(errc::invalid_metric_kind,
                "unknown metric kind " + quoted(kind, echo_limit)
                  + " (known: " + std::string{metric_kind_names()} + ")");
  result.kind = *parsed_kind;
  auto parsed_value = parse_decimal(value);
  if (!parsed_value)
    return fail(parsed_value.error().code,
                "value " + parsed_value.error().message);
  result.value = *parsed_value;
  if (!observed_at_ns.empty()) {
    auto ns = parse_whole(observed_at_ns, std::numeric_limits<int64_t>::max());
    if (!ns)
      return fail(ns.error().code, "observed_at_ns " + ns.error().message);
    result.observed_at_ns = static_cast<int64_t>(*ns);
  }
  result.model = std::string{model};
  return result;
}

expected<csv_event> parse_csv_event(std::string_view line) {
  // Counted before anything is split, so that a line of a million commas
  // costs no more than any other.
  std::size_t fields = 1;
  for (auto c : line)
    fields += c == ',' ? 1 : 0;
  if (fields < 3 || fields > 4)
    return fail(errc::invalid_value,
                "expected model,kind,value[,observed_at_ns], found "
                  + std::to_string(fields) + " fields");
  std::array<std::string_view, 4> field;
  std::size_t start = 0;
  for (std::size_t i = 0; i < fields; ++i) {
    auto comma = line.find(',', start);
    auto end = comma == std::string_view::npos ? line.size() : comma;
    field[i] = trim(line.substr(start, end - start));
    start = end + 1;
  }
  if (auto err = check_model_id(field[0]))
    return err;
  return parse_event_fields(field[0], field[1], field[2], field[3]);
}

} // namespace retrain::core
