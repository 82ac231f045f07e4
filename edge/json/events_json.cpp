#include "retrain/edge/events_json.hpp"

#include <cmath>
#include <limits>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include "retrain/core/quoted.hpp"
#include "retrain/metric_kind.hpp"

namespace retrain::edge {

namespace {

namespace json = boost::json;

std::string_view kind_of(const json::value& x) {
  switch (x.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "unknown";
}

// Adds the event `x` at body position `index` to `out`, or its refusal.
void take(const json::value& x, uint64_t index, parsed_events& out) {
  ++out.total;
  auto refuse = [&](const char* code, std::string reason) {
    out.rejects.push_back(event_refusal{index, code, std::move(reason)});
  };
  auto obj = x.if_object();
  if (obj == nullptr)
    return refuse("invalid_event",
                  "an event is an object, found " + std::string{kind_of(x)});
  const json::value* model = nullptr;
  const json::value* kind = nullptr;
  const json::value* value = nullptr;
  const json::value* observed = nullptr;
  // One pass over the members rather than four lookups.
  for (auto& member : *obj) {
    auto key = member.key();
    if (key == "model")
      model = &member.value();
    else if (key == "kind")
      kind = &member.value();
    else if (key == "value")
      value = &member.value();
    else if (key == "observed_at_ns")
      observed = &member.value();
  }
  if (model == nullptr || kind == nullptr || value == nullptr)
    return refuse("invalid_event",
                  std::string{"missing member '"}
                    + (model == nullptr  ? "model"
                       : kind == nullptr ? "kind"
                                         : "value")
                    + "' (an event has model, kind, value and optionally "
                      "observed_at_ns)");
  if (!model->is_string())
    return refuse("invalid_event", "model must be a string, found "
                                     + std::string{kind_of(*model)});
  if (!kind->is_string())
    return refuse("invalid_event", "kind must be a string, found "
                                     + std::string{kind_of(*kind)});
  auto& kind_text = kind->get_string();
  auto parsed_kind = parse_metric_kind({kind_text.data(), kind_text.size()});
  if (!parsed_kind)
    return refuse("invalid_metric_kind",
                  "unknown metric kind "
                    + core::quoted({kind_text.data(), kind_text.size()},
                                   core::echo_limit)
                    + " (known: " + std::string{metric_kind_names()} + ")");
  double number = 0;
  if (value->is_double())
    number = value->get_double();
  else if (value->is_int64())
    number = static_cast<double>(value->get_int64());
  else if (value->is_uint64())
    number = static_cast<double>(value->get_uint64());
  else
    return refuse("invalid_value", "value must be a number, found "
                                     + std::string{kind_of(*value)});
  // Boost.JSON reads a number beyond a double (1e400) as infinity.
  if (!std::isfinite(number))
    return refuse("invalid_value", "value is beyond the range of a double");
  int64_t observed_at_ns = 0;
  if (observed != nullptr && !observed->is_null()) {
    if (observed->is_int64() && observed->get_int64() >= 0)
      observed_at_ns = observed->get_int64();
    else if (observed->is_uint64()
             && observed->get_uint64()
                  <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      observed_at_ns = static_cast<int64_t>(observed->get_uint64());
    else
      return refuse("invalid_value",
                    "observed_at_ns must be a whole number of ns since the "
                    "Unix epoch in [0, 2^63 - 1]");
  }
  auto& model_text = model->get_string();
  out.batch.events.push_back(
    metric_event{std::string{model_text.data(), model_text.size()},
                 *parsed_kind, number, observed_at_ns});
  out.index.push_back(index);
}

std::string describe(const json::error_code& ec, std::size_t at) {
  return ec.message() + " near byte " + std::to_string(at);
}

// A JSON array of events: one document, malformed as a whole if it does
// not parse.
void parse_array(std::string_view body, parsed_events& out) {
  // Everything the document allocates comes from one arena, freed at once.
  json::monotonic_resource arena(body.size() * 2 + 1024);
  // The constructor's resource is the parser's scratch space; the
  // document's comes with reset().
  json::parser p{json::storage_ptr{&arena}};
  p.reset(json::storage_ptr{&arena});
  json::error_code ec;
  // Parses one complete value (an incomplete one is an error) and says
  // where it ended.
  auto n = p.write_some(body.data(), body.size(), ec);
  if (ec)
    return void(out.malformed = "the body is no valid JSON array: "
                                + describe(ec, n));
  if (body.substr(n).find_first_not_of(" \t\r\n") != std::string_view::npos)
    return void(out.malformed = "data after the JSON array at byte "
                                + std::to_string(n));
  auto doc = p.release();
  auto& arr = doc.get_array();
  out.batch.events.reserve(arr.size());
  out.index.reserve(arr.size());
  uint64_t i = 0;
  for (auto& x : arr)
    take(x, i++, out);
}

// NDJSON: one event per line; a line that does not parse is one refusal.
void parse_lines(std::string_view body, parsed_events& out) {
  json::monotonic_resource arena(4096);
  json::parser p{json::storage_ptr{&arena}};
  uint64_t index = 0;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find('\n', pos);
    if (end == std::string_view::npos)
      end = body.size();
    auto line = body.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos)
      continue;
    p.reset(json::storage_ptr{&arena});
    json::error_code ec;
    // The whole line must be one complete value.
    p.write(line.data(), line.size(), ec);
    if (ec) {
      ++out.total;
      out.rejects.push_back(
        event_refusal{index++, "invalid_event",
                      "the line is no JSON object: " + ec.message()});
      continue;
    }
    take(p.release(), index++, out);
  }
}

} // namespace

parsed_events parse_events(std::string_view body) {
  parsed_events out;
  auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    out.malformed = "the body is empty: send a JSON array of events or "
                    "NDJSON (one event object per line)";
  else if (body[first] == '[')
    parse_array(body, out);
  else if (body[first] == '{')
    parse_lines(body, out);
  else
    out.malformed = "the body is no JSON array of events nor NDJSON (it "
                    "starts with neither '[' nor '{')";
  return out;
}

} // namespace retrain::edge
