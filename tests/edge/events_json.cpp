#define CAF_SUITE events_json
#include <caf/test/unit_test.hpp>

#include <string>

#include "retrain/edge/events_json.hpp"

using namespace retrain;
using namespace retrain::edge;

namespace {

// "index:code" of each refusal, in order.
std::vector<std::string> refusals(const parsed_events& x) {
  std::vector<std::string> result;
  for (auto& r : x.rejects)
    result.push_back(std::to_string(r.index) + ":" + r.code);
  return result;
}

using strings = std::vector<std::string>;

} // namespace

CAF_TEST(a JSON array of valid events) {
  auto x = parse_events(
    R"([{"model":"cv:a:1.0.0","kind":"accuracy","value":0.9},)"
    R"( {"kind":"latency_ms","value":12,"model":"nlp:b:2.0.0",)"
    R"(  "observed_at_ns":1700000000000000000, "extra": [1, 2]}])");
  CAF_CHECK_EQUAL(x.malformed, "");
  CAF_CHECK_EQUAL(x.total, 2u);
  CAF_CHECK(x.rejects.empty());
  CAF_REQUIRE_EQUAL(x.batch.events.size(), 2u);
  auto& a = x.batch.events[0];
  CAF_CHECK_EQUAL(a.model, "cv:a:1.0.0");
  CAF_CHECK(a.kind == metric_kind::accuracy);
  CAF_CHECK_EQUAL(a.value, 0.9);
  CAF_CHECK_EQUAL(a.observed_at_ns, 0);
  auto& b = x.batch.events[1];
  CAF_CHECK_EQUAL(b.model, "nlp:b:2.0.0");
  CAF_CHECK(b.kind == metric_kind::latency_ms);
  CAF_CHECK_EQUAL(b.value, 12.0);
  CAF_CHECK_EQUAL(b.observed_at_ns, 1700000000000000000);
  CAF_CHECK_EQUAL(x.index, (std::vector<uint64_t>{0, 1}));
}

CAF_TEST(an empty array is no event and no error) {
  auto x = parse_events(" [ ] \n");
  CAF_CHECK_EQUAL(x.malformed, "");
  CAF_CHECK_EQUAL(x.total, 0u);
}

CAF_TEST(each malformed element is refused by its index with a code) {
  auto x = parse_events(R"([
    {"model":"cv:a:1.0.0","kind":"accuracy","value":0.9},
    5,
    {"kind":"accuracy","value":0.9},
    {"model":"cv:a:1.0.0","value":0.9},
    {"model":"cv:a:1.0.0","kind":"accuracy"},
    {"model":7,"kind":"accuracy","value":0.9},
    {"model":"cv:a:1.0.0","kind":"speed","value":0.9},
    {"model":"cv:a:1.0.0","kind":["accuracy"],"value":0.9},
    {"model":"cv:a:1.0.0","kind":"accuracy","value":"NaN"},
    {"model":"cv:a:1.0.0","kind":"accuracy","value":null},
    {"model":"cv:a:1.0.0","kind":"accuracy","value":0.5,"observed_at_ns":-1},
    {"model":"cv:a:1.0.0","kind":"accuracy","value":0.5,"observed_at_ns":1.5},
    {"model":"cv:a:1.0.0","kind":"accuracy","value":0.5,
     "observed_at_ns":9223372036854775808},
    {"model":"cv:a:1.0.0","kind":"accuracy","value":0.5,
     "observed_at_ns":9223372036854775807},
    "an event"
  ])");
  CAF_CHECK_EQUAL(x.malformed, "");
  CAF_CHECK_EQUAL(x.total, 15u);
  CAF_CHECK_EQUAL(
    refusals(x),
    (strings{"1:invalid_event", "2:invalid_event", "3:invalid_event",
             "4:invalid_event", "5:invalid_event", "6:invalid_metric_kind",
             "7:invalid_event", "8:invalid_value", "9:invalid_value",
             "10:invalid_value", "11:invalid_value", "12:invalid_value",
             "14:invalid_event"}));
  CAF_CHECK_EQUAL(x.index, (std::vector<uint64_t>{0, 13}));
  // Reasons say what is wrong.
  CAF_CHECK_NOT_EQUAL(x.rejects[1].reason.find("'model'"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(x.rejects[5].reason.find("'speed'"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(x.rejects[7].reason.find("a string"), std::string::npos);
}

CAF_TEST(an unknown kind is echoed escaped and cut short) {
  // A control byte (DEL) in the kind, as JSON may carry it raw: the reason
  // goes to logs and terminals, so it is escaped.
  auto x = parse_events("[{\"model\":\"cv:a:1.0.0\",\"kind\":\"f1_sc\x7fre\","
                        "\"value\":0.9}]");
  CAF_REQUIRE_EQUAL(x.rejects.size(), 1u);
  CAF_CHECK_EQUAL(x.rejects[0].code, "invalid_metric_kind");
  CAF_CHECK_NOT_EQUAL(x.rejects[0].reason.find("'f1_sc\\x7fre'"),
                      std::string::npos);
  auto long_kind = std::string(1000, 'k');
  x = parse_events(R"([{"model":"cv:a:1.0.0","kind":")" + long_kind
                   + R"(","value":0.9}])");
  CAF_REQUIRE_EQUAL(x.rejects.size(), 1u);
  CAF_CHECK_NOT_EQUAL(x.rejects[0].reason.find("... (1000 bytes)"),
                      std::string::npos);
  CAF_CHECK_LESS(x.rejects[0].reason.size(), 200u);
}

CAF_TEST(a body that is not JSON at all is malformed as a whole) {
  CAF_CHECK_NOT_EQUAL(parse_events("").malformed, "");
  CAF_CHECK_NOT_EQUAL(parse_events(" \n ").malformed, "");
  CAF_CHECK_NOT_EQUAL(parse_events("model,kind,value\n").malformed, "");
  CAF_CHECK_NOT_EQUAL(parse_events("42").malformed, "");
  CAF_CHECK_NOT_EQUAL(parse_events("[{\"model\":").malformed, "");
  CAF_CHECK_NOT_EQUAL(parse_events("[1, 2,]").malformed, "");
  CAF_CHECK_NOT_EQUAL(parse_events("[] []").malformed, "");
  // Nothing is taken from a malformed body.
  auto x = parse_events(
    R"([{"model":"cv:a:1.0.0","kind":"accuracy","value":0.9}, oops])");
  CAF_CHECK_NOT_EQUAL(x.malformed, "");
  CAF_CHECK(x.batch.events.empty());
}

CAF_TEST(NDJSON with blank lines and a broken line) {
  auto x = parse_events("{\"model\":\"cv:a:1.0.0\",\"kind\":\"recall\","
                        "\"value\":1}\n"
                        "\n"
                        "   \r\n"
                        "{\"model\":\"cv:a:1.0.0\",\"kind\":\"recall\"\n"
                        "[1]\n"
                        "{\"model\":\"cv:b:1.0.0\",\"kind\":\"f1_score\","
                        "\"value\":0.25}\r\n"
                        "{\"model\":\"cv:c:1.0.0\",\"kind\":\"precision\","
                        "\"value\":0} trailing\n"
                        "{\"model\":\"cv:d:1.0.0\",\"kind\":\"precision\","
                        "\"value\":0.5}");
  CAF_CHECK_EQUAL(x.malformed, "");
  CAF_CHECK_EQUAL(x.total, 6u);
  CAF_CHECK_EQUAL(refusals(x), (strings{"1:invalid_event", "2:invalid_event",
                                        "4:invalid_event"}));
  CAF_CHECK_EQUAL(x.index, (std::vector<uint64_t>{0, 3, 5}));
  CAF_REQUIRE_EQUAL(x.batch.events.size(), 3u);
  CAF_CHECK_EQUAL(x.batch.events[1].model, "cv:b:1.0.0");
  CAF_CHECK_EQUAL(x.batch.events[1].value, 0.25);
  CAF_CHECK_EQUAL(x.batch.events[2].model, "cv:d:1.0.0");
}

CAF_TEST(huge numbers are numbers whose range ingest checks) {
  auto x = parse_events(
    R"([{"model":"cv:a:1.0.0","kind":"latency_ms","value":1e308},)"
    R"( {"model":"cv:a:1.0.0","kind":"latency_ms",)"
    R"(  "value":123456789012345678901234567890},)"
    R"( {"model":"cv:a:1.0.0","kind":"latency_ms","value":-0.0}])");
  CAF_CHECK_EQUAL(x.malformed, "");
  CAF_REQUIRE_EQUAL(x.batch.events.size(), 3u);
  CAF_CHECK_EQUAL(x.batch.events[0].value, 1e308);
  CAF_CHECK_GREATER(x.batch.events[1].value, 1e29);
  // Beyond a double: refused, not taken as infinity.
  auto y = parse_events(
    R"([{"model":"cv:a:1.0.0","kind":"latency_ms","value":1e400},)"
    R"( {"model":"cv:a:1.0.0","kind":"latency_ms","value":-1e400}])");
  CAF_CHECK_EQUAL(y.malformed, "");
  CAF_CHECK_EQUAL(refusals(y), (strings{"0:invalid_value", "1:invalid_value"}));
}

CAF_TEST(text that is not UTF - 8 is refused) {
  std::string bad_model = "[{\"model\":\"cv:\xff\xfe:1.0.0\",\"kind\":"
                          "\"accuracy\",\"value\":0.9}]";
  CAF_CHECK_NOT_EQUAL(parse_events(bad_model).malformed, "");
  auto x = parse_events("{\"model\":\"cv:a:1.0.0\",\"kind\":\"accuracy\","
                        "\"value\":0.9}\n"
                        "{\"model\":\"\xc3\x28\",\"kind\":\"accuracy\","
                        "\"value\":0.9}\n");
  CAF_CHECK_EQUAL(x.malformed, "");
  CAF_CHECK_EQUAL(refusals(x), (strings{"1:invalid_event"}));
  CAF_CHECK_EQUAL(x.batch.events.size(), 1u);
}
