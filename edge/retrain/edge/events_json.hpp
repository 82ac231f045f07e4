#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "retrain/metric_batch.hpp"

namespace retrain::edge {

/// Why one event of a body was refused before it reached ingest.
struct event_refusal {
  /// 0-based position in the body: the element of the array, or the
  /// non-blank line of NDJSON.
  uint64_t index = 0;
  /// Stable: `invalid_event` (not an object, a field missing or of the
  /// wrong type, a line that is no JSON), `invalid_metric_kind`,
  /// `invalid_value`.
  std::string code;
  /// For people: what exactly is wrong.
  std::string reason;
};

/// The events of a `POST /v1/events` body.
struct parsed_events {
  /// The well-formed events, in body order.
  metric_batch batch;
  /// The body index of each event of `batch`.
  std::vector<uint64_t> index;
  /// The refused events, in body order.
  std::vector<event_refusal> rejects;
  /// Events in the body: `batch` plus `rejects`.
  uint64_t total = 0;
  /// Why the body as a whole is no batch of events (not JSON, an array that
  /// does not parse, ...), or empty. Nothing was taken when it is set.
  std::string malformed;
};

/// Parses a body of events: a JSON array of objects, or NDJSON (one object
/// per line, blank lines skipped). Each object has `model` (string),
/// `kind` (a metric kind name), `value` (number) and optionally
/// `observed_at_ns` (integer in [0, 2^63 - 1], 0 = when received); other
/// members are ignored. An element that is not such an object is refused
/// by its index with a code, never dropped silently. Model ids and value
/// ranges are left to ingest, which checks them anyway.
parsed_events parse_events(std::string_view body);

} // namespace retrain::edge
