#define CAF_SUITE webhook
#include <caf/test/unit_test.hpp>

#include <set>

#include <boost/json/parse.hpp>

#include "retrain/edge/webhook.hpp"
#include "retrain/edge/webhook_notice.hpp"

using namespace retrain;
using namespace retrain::edge;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// 2026-11-28T09:30:00.125Z
constexpr int64_t t0 = 1795858200125000000;

job_record job_in(job_state state) {
  job_record j;
  j.id = 42;
  j.model = "cv:anomaly_detector:1.2.0";
  j.line = "cv:anomaly_detector";
  j.base_version = "1.2.0";
  j.next_version = "1.2.1";
  j.state = state;
  j.attempts = state == job_state::queued ? 0 : 1;
  j.reason = "ewma_threshold accuracy statistic=0.8 threshold=0.92 samples=40";
  j.created_at_ns = t0;
  j.updated_at_ns = t0;
  return j;
}

retrain_trigger drift_trigger() {
  retrain_trigger t;
  t.model = "cv:anomaly_detector:1.2.0";
  t.reason.strategy = "ewma_threshold";
  t.reason.kind = metric_kind::accuracy;
  t.reason.statistic = 0.8;
  t.reason.threshold = 0.92;
  t.reason.samples = 40;
  t.triggered_at_ns = t0 - 5'000'000;
  t.id = "a1b2-7";
  return t;
}

json::object body_of(const webhook_notice& n) {
  auto v = json::parse(webhook_body(n, "the-id"));
  return v.as_object();
}

std::set<std::string> keys_of(const json::object& obj) {
  std::set<std::string> result;
  for (auto& kv : obj)
    result.emplace(kv.key());
  return result;
}

} // namespace

CAF_TEST(a drift names the model and its job and the reason) {
  auto body = body_of(drift_notice(drift_trigger(), job_in(job_state::queued)));
  CAF_CHECK_EQUAL(body.at("schema").as_int64(), 1);
  CAF_CHECK_EQUAL(body.at("event").as_string(), "drift");
  CAF_CHECK_EQUAL(body.at("id").as_string(), "the-id");
  CAF_CHECK_EQUAL(body.at("time").as_string(), "2026-11-28T09:30:00.125Z");
  CAF_CHECK_EQUAL(body.at("triggered_at").as_string(),
                  "2026-11-28T09:30:00.120Z");
  CAF_CHECK_EQUAL(body.at("model").as_string(), "cv:anomaly_detector:1.2.0");
  CAF_CHECK_EQUAL(body.at("line").as_string(), "cv:anomaly_detector");
  CAF_CHECK_EQUAL(body.at("job_id").to_number<uint64_t>(), 42u);
  CAF_CHECK_EQUAL(body.at("next_version").as_string(), "1.2.1");
  CAF_CHECK_EQUAL(body.at("outcome").as_string(), "created");
  CAF_CHECK_EQUAL(body.at("trigger_id").as_string(), "a1b2-7");
  auto& reason = body.at("reason").as_object();
  CAF_CHECK_EQUAL(reason.at("strategy").as_string(), "ewma_threshold");
  CAF_CHECK_EQUAL(reason.at("kind").as_string(), "accuracy");
  CAF_CHECK_EQUAL(reason.at("statistic").as_double(), 0.8);
  CAF_CHECK_EQUAL(reason.at("threshold").as_double(), 0.92);
  CAF_CHECK_EQUAL(reason.at("samples").to_number<uint64_t>(), 40u);
}

CAF_TEST(a drift merged into the job of a busy line says so) {
  auto job = job_in(job_state::running);
  job.merged = 3;
  auto trigger = drift_trigger();
  trigger.model = "cv:anomaly_detector:1.2.0-rc.2";
  trigger.reason.statistic = std::numeric_limits<double>::infinity();
  auto body = body_of(drift_notice(trigger, job));
  CAF_CHECK_EQUAL(body.at("outcome").as_string(), "merged");
  CAF_CHECK_EQUAL(body.at("merged").to_number<uint64_t>(), 3u);
  // The model that drifted, not the one that made the job.
  CAF_CHECK_EQUAL(body.at("model").as_string(),
                  "cv:anomaly_detector:1.2.0-rc.2");
  // JSON has no infinity.
  CAF_CHECK(body.at("reason").as_object().at("statistic").is_null());
}

CAF_TEST(job events are named by the state and carry what it has) {
  auto queued = body_of(job_notice(job_in(job_state::queued)));
  CAF_CHECK_EQUAL(queued.at("event").as_string(), "job.queued");
  CAF_CHECK_EQUAL(keys_of(queued),
                  (std::set<std::string>{
                    "schema", "event", "id", "time", "model", "line", "job_id",
                    "base_version", "next_version", "attempt", "merged"}));
  auto running = job_in(job_state::running);
  running.attempts = 2;
  running.error = "exit code 3";
  auto started = body_of(job_notice(running));
  CAF_CHECK_EQUAL(started.at("event").as_string(), "job.started");
  CAF_CHECK_EQUAL(started.at("attempt").to_number<uint64_t>(), 2u);
  CAF_CHECK_EQUAL(started.at("error").as_string(), "exit code 3");
  auto done = job_in(job_state::succeeded);
  done.version = "1.2.1";
  auto succeeded = body_of(job_notice(done));
  CAF_CHECK_EQUAL(succeeded.at("event").as_string(), "job.succeeded");
  CAF_CHECK_EQUAL(succeeded.at("version").as_string(), "1.2.1");
  CAF_CHECK(!succeeded.contains("error"));
  auto lost = job_in(job_state::failed);
  lost.attempts = 3;
  lost.error = "timed out after 1h";
  auto failed = body_of(job_notice(lost));
  CAF_CHECK_EQUAL(failed.at("event").as_string(), "job.failed");
  CAF_CHECK_EQUAL(failed.at("attempt").to_number<uint64_t>(), 3u);
  CAF_CHECK_EQUAL(failed.at("error").as_string(), "timed out after 1h");
  CAF_CHECK(!failed.contains("version"));
}

CAF_TEST(a registered version names the new model id and its parent) {
  model_version v;
  v.line = "cv:anomaly_detector";
  v.version = "1.2.1";
  v.parent = "1.2.0";
  v.job_id = 42;
  v.created_at_ns = t0;
  v.artifact = "s3://models/\"quoted\"\n";
  auto body = body_of(version_notice(v));
  CAF_CHECK_EQUAL(body.at("event").as_string(), "version.registered");
  CAF_CHECK_EQUAL(body.at("model").as_string(), "cv:anomaly_detector:1.2.1");
  CAF_CHECK_EQUAL(body.at("version").as_string(), "1.2.1");
  CAF_CHECK_EQUAL(body.at("parent").as_string(), "1.2.0");
  CAF_CHECK_EQUAL(body.at("job_id").to_number<uint64_t>(), 42u);
  // Escaped on the way out, the same text on the way in.
  CAF_CHECK_EQUAL(body.at("artifact").as_string(), "s3://models/\"quoted\"\n");
}

CAF_TEST(the body starts with schema event id and time) {
  model_version v;
  v.line = "a:b";
  v.version = "1.0.1";
  v.parent = "1.0.0";
  v.job_id = 7;
  v.created_at_ns = 0;
  CAF_CHECK_EQUAL(webhook_body(version_notice(v), "x"),
                  R"({"schema":1,"event":"version.registered","id":"x",)"
                  R"("time":"1970-01-01T00:00:00.000Z","model":"a:b:1.0.1",)"
                  R"("line":"a:b","job_id":7,"version":"1.0.1",)"
                  R"("parent":"1.0.0","artifact":""})");
}

CAF_TEST(times are ISO 8601 in UTC with milliseconds) {
  CAF_CHECK_EQUAL(iso8601_utc(0), "1970-01-01T00:00:00.000Z");
  CAF_CHECK_EQUAL(iso8601_utc(t0), "2026-11-28T09:30:00.125Z");
  CAF_CHECK_EQUAL(iso8601_utc(999'999), "1970-01-01T00:00:00.000Z");
  CAF_CHECK_EQUAL(iso8601_utc(-1'000'000), "1969-12-31T23:59:59.999Z");
}

CAF_TEST(delivery ids look like version 4 UUIDs) {
  CAF_CHECK_EQUAL(delivery_id(0, 0), "00000000-0000-4000-8000-000000000000");
  CAF_CHECK_EQUAL(delivery_id(~uint64_t{0}, ~uint64_t{0}),
                  "ffffffff-ffff-4fff-bfff-ffffffffffff");
  CAF_CHECK_EQUAL(delivery_id(0x0123456789abcdefull, 0xfedcba9876543210ull),
                  "01234567-89ab-4def-bedc-ba9876543210");
}

CAF_TEST(signatures are HMAC - SHA256 in hex as GitHub computes them) {
  // RFC 4231, test case 2.
  CAF_CHECK_EQUAL(
    hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // GitHub's documented example of X-Hub-Signature-256.
  CAF_CHECK_EQUAL(
    hmac_sha256_hex("It's a Secret to Everybody", "Hello, World!"),
    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  CAF_CHECK_NOT_EQUAL(hmac_sha256_hex("a", "body"),
                      hmac_sha256_hex("b", "body"));
}

CAF_TEST(logged URLs keep no credentials) {
  CAF_CHECK_EQUAL(
    redact_url("https://user:pw@hooks.example.com:8443/x?token=s"),
    "https://hooks.example.com:8443/x");
  CAF_CHECK_EQUAL(redact_url("http://127.0.0.1:9000/retrain#frag"),
                  "http://127.0.0.1:9000/retrain");
  CAF_CHECK_EQUAL(redact_url("http://a@b/c@d"), "http://b/c@d");
}

CAF_TEST(retries wait half a second doubling up to 30 s with jitter) {
  auto b = webhook_backoff();
  CAF_CHECK_EQUAL(b.nominal(1), std::chrono::nanoseconds{500ms});
  CAF_CHECK_EQUAL(b.nominal(2), std::chrono::nanoseconds{1s});
  CAF_CHECK_EQUAL(b.nominal(3), std::chrono::nanoseconds{2s});
  CAF_CHECK_EQUAL(b.nominal(7), std::chrono::nanoseconds{30s});
  CAF_CHECK_EQUAL(b.nominal(20), std::chrono::nanoseconds{30s});
  CAF_CHECK_EQUAL(b.delay(1, 0.0), std::chrono::nanoseconds{400ms});
  CAF_CHECK_EQUAL(b.delay(1, 1.0), std::chrono::nanoseconds{600ms});
}
