#define CAF_SUITE csv_event
#include <caf/test/unit_test.hpp>

#include <string>

#include "retrain/core/csv_event.hpp"

using namespace retrain;
using namespace retrain::core;

namespace {

// The error message for `line`, or "ok".
std::string error_of(std::string_view line) {
  auto result = parse_csv_event(line);
  return result ? std::string{"ok"} : result.error().message;
}

} // namespace

CAF_TEST(a line with and without the observation time) {
  auto ev = parse_csv_event("cv:x:1.0.0,accuracy,0.95");
  CAF_REQUIRE(ev);
  CAF_CHECK_EQUAL(ev->model, "cv:x:1.0.0");
  CAF_CHECK(ev->kind == metric_kind::accuracy);
  CAF_CHECK_EQUAL(ev->value, 0.95);
  CAF_CHECK_EQUAL(ev->observed_at_ns, 0);
  ev = parse_csv_event(" nlp:y:2.0.0-rc.1 ,\tlatency_ms , 12.5 ,"
                       " 1700000000000000000 ");
  CAF_REQUIRE(ev);
  CAF_CHECK_EQUAL(ev->model, "nlp:y:2.0.0-rc.1");
  CAF_CHECK(ev->kind == metric_kind::latency_ms);
  CAF_CHECK_EQUAL(ev->value, 12.5);
  CAF_CHECK_EQUAL(ev->observed_at_ns, 1700000000000000000);
  // An empty last field is no time.
  ev = parse_csv_event("cv:x:1.0.0,recall,1,");
  CAF_REQUIRE(ev);
  CAF_CHECK_EQUAL(ev->observed_at_ns, 0);
}

CAF_TEST(values the node judges pass the line parser) {
  // Range and outcome rules depend on the node's strategies: ingest
  // checks them and says why.
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy,1.5"), "ok");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,latency_ms,-3"), "ok");
}

CAF_TEST(refused lines say why) {
  using namespace std::string_literals;
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy"),
                  "expected model,kind,value[,observed_at_ns], found 2 "
                  "fields");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy,0.9,1,2"),
                  "expected model,kind,value[,observed_at_ns], found 5 "
                  "fields");
  CAF_CHECK_EQUAL(error_of(""),
                  "expected model,kind,value[,observed_at_ns], found 1 "
                  "fields");
  CAF_CHECK_EQUAL(error_of(std::string(100000, ',')),
                  "expected model,kind,value[,observed_at_ns], found 100001 "
                  "fields");
  CAF_CHECK_EQUAL(error_of("CV:x:1.0.0,accuracy,0.9"),
                  "model id 'CV:x:1.0.0': project has invalid character 'C' "
                  "at column 1 (allowed: [a-z0-9_.-])");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,throughput,0.5"),
                  "unknown metric kind 'throughput' (known: accuracy, "
                  "precision, recall, f1_score, latency_ms)");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy,abc"),
                  "value 'abc' is not a number");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy,nan"),
                  "value 'nan' is not a finite number");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,latency_ms,-inf"),
                  "value '-inf' is not a finite number");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy,0x1p-1"),
                  "value '0x1p-1' is not a decimal number (hexadecimal is not "
                  "accepted)");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,latency_ms,1e309"),
                  "value '1e309' is out of range");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy,0.9\0junk"s),
                  "value '0.9\\x00junk' is not a number");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy,0.9,soon"),
                  "observed_at_ns 'soon' is not a whole number");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy,0.9,-5"),
                  "observed_at_ns '-5' is not a whole number");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy,0.9,9223372036854775808"),
                  "observed_at_ns '9223372036854775808' is out of range (at "
                  "most 9223372036854775807)");
}

CAF_TEST(echoed fields escape control bytes and stay short) {
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,\x1b]0;pwned\x07,1"),
                  "unknown metric kind '\\x1b]0;pwned\\x07' (known: accuracy, "
                  "precision, recall, f1_score, latency_ms)");
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0,accuracy,\x1b[2J"),
                  "value '\\x1b[2J' is not a number");
  auto long_kind = std::string(1 << 20, 'k');
  CAF_CHECK_EQUAL(error_of("cv:x:1.0.0," + long_kind + ",1"),
                  "unknown metric kind '" + std::string(64, 'k')
                    + "'... (1048576 bytes) (known: accuracy, precision, "
                      "recall, f1_score, latency_ms)");
  auto long_model = std::string(1 << 20, 'm');
  CAF_CHECK_EQUAL(error_of(long_model + ",accuracy,1"),
                  "model id of 1048576 bytes is longer than 512");
}

CAF_TEST(send fields take the value alone) {
  // `retrain-ctl send M accuracy "0.9,123"` once set the time to 123.
  auto ev = parse_event_fields("cv:x:1.0.0", "accuracy", "0.9,123");
  CAF_REQUIRE(!ev);
  CAF_CHECK_EQUAL(ev.error().message, "value '0.9,123' is not a number");
  ev = parse_event_fields("cv:x:1.0.0", "accuracy", "0.9");
  CAF_REQUIRE(ev);
  CAF_CHECK_EQUAL(ev->value, 0.9);
  CAF_CHECK_EQUAL(ev->observed_at_ns, 0);
  // The node checks the model id of a sent event and says why it refuses.
  ev = parse_event_fields("cv:x:1.0", "accuracy", "0.9");
  CAF_REQUIRE(ev);
  CAF_CHECK_EQUAL(ev->model, "cv:x:1.0");
}
