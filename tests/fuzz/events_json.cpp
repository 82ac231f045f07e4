// Fuzz target: the body of `POST /v1/events` (a JSON array of events or
// NDJSON), parsed by edge::parse_events, the one parser of the public edge
// that anyone who reaches the HTTP port feeds.
//
// Checked: a malformed body takes nothing and says why; otherwise every
// element is accounted for once, as an event or as a refusal, in body
// order; events have a valid kind and a finite value; refusals have a
// stable code and a printable reason.

#include <cmath>
#include <string>

#include "fuzz_check.hpp"
#include "retrain/edge/events_json.hpp"

using namespace retrain;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto body = fuzz::as_text(data, size);
  auto parsed = edge::parse_events(body);
  if (!parsed.malformed.empty()) {
    RETRAIN_FUZZ_CHECK(parsed.batch.events.empty());
    RETRAIN_FUZZ_CHECK(parsed.rejects.empty());
    RETRAIN_FUZZ_CHECK(fuzz::printable(parsed.malformed));
    return 0;
  }
  auto& events = parsed.batch.events;
  RETRAIN_FUZZ_CHECK(parsed.index.size() == events.size());
  RETRAIN_FUZZ_CHECK(parsed.total == events.size() + parsed.rejects.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    RETRAIN_FUZZ_CHECK(parsed.index[i] < parsed.total);
    RETRAIN_FUZZ_CHECK(i == 0 || parsed.index[i - 1] < parsed.index[i]);
    RETRAIN_FUZZ_CHECK(is_valid(events[i].kind));
    RETRAIN_FUZZ_CHECK(std::isfinite(events[i].value));
    RETRAIN_FUZZ_CHECK(events[i].observed_at_ns >= 0);
  }
  for (std::size_t i = 0; i < parsed.rejects.size(); ++i) {
    auto& r = parsed.rejects[i];
    RETRAIN_FUZZ_CHECK(r.index < parsed.total);
    RETRAIN_FUZZ_CHECK(i == 0 || parsed.rejects[i - 1].index < r.index);
    RETRAIN_FUZZ_CHECK(r.code == "invalid_event"
                       || r.code == "invalid_metric_kind"
                       || r.code == "invalid_value");
    RETRAIN_FUZZ_CHECK(!r.reason.empty() && fuzz::printable(r.reason));
  }
  return 0;
}
