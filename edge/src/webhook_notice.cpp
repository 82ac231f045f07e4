#include "retrain/edge/webhook_notice.hpp"

#include <cmath>
#include <cstdio>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "retrain/job_state.hpp"
#include "retrain/metric_kind.hpp"

namespace retrain::edge {

namespace json = boost::json;

namespace {

// A JSON number, or null for what JSON cannot carry (NaN, infinities).
json::value number(double x) {
  if (!std::isfinite(x))
    return nullptr;
  return x;
}

// What every job event and the drift say about the job.
void add_job(json::object& fields, const job_record& job) {
  fields["model"] = job.model;
  fields["line"] = job.line;
  fields["job_id"] = job.id;
  fields["base_version"] = job.base_version;
  fields["next_version"] = job.next_version;
}

const char* job_event(job_state state) {
  switch (state) {
    case job_state::queued:
      return "job.queued";
    case job_state::running:
      return "job.started";
    case job_state::succeeded:
      return "job.succeeded";
    case job_state::failed:
      return "job.failed";
  }
  return "job.unknown";
}

} // namespace

webhook_notice drift_notice(const retrain_trigger& trigger,
                            const job_record& job) {
  webhook_notice result;
  result.event = "drift";
  result.time_ns = job.updated_at_ns;
  auto& f = result.fields;
  add_job(f, job);
  // The trigger names the model that drifted; a merged job keeps the model
  // of the trigger that made it.
  f["model"] = trigger.model;
  // Every merge counts: a job that counts none was made by this trigger.
  f["outcome"] = job.merged == 0 ? "created" : "merged";
  f["merged"] = job.merged;
  if (!trigger.id.empty())
    f["trigger_id"] = trigger.id;
  if (trigger.triggered_at_ns > 0)
    f["triggered_at"] = iso8601_utc(trigger.triggered_at_ns);
  auto& r = trigger.reason;
  f["reason"] = json::object{{"strategy", r.strategy},
                             {"kind", to_string(r.kind)},
                             {"statistic", number(r.statistic)},
                             {"threshold", number(r.threshold)},
                             {"samples", r.samples}};
  return result;
}

webhook_notice job_notice(const job_record& job) {
  webhook_notice result;
  result.event = job_event(job.state);
  result.time_ns = job.updated_at_ns;
  auto& f = result.fields;
  add_job(f, job);
  f["attempt"] = job.attempts;
  f["merged"] = job.merged;
  // Why the last attempt failed: for job.failed, and for the start of a
  // retry.
  if (!job.error.empty())
    f["error"] = job.error;
  if (job.state == job_state::succeeded)
    f["version"] = job.version;
  return result;
}

webhook_notice version_notice(const model_version& v) {
  webhook_notice result;
  result.event = "version.registered";
  result.time_ns = v.created_at_ns;
  auto& f = result.fields;
  f["model"] = v.line + ":" + v.version;
  f["line"] = v.line;
  f["job_id"] = v.job_id;
  f["version"] = v.version;
  f["parent"] = v.parent;
  f["artifact"] = v.artifact;
  return result;
}

std::string webhook_body(const webhook_notice& notice, std::string_view id) {
  json::object body;
  body["schema"] = webhook_schema;
  body["event"] = notice.event;
  body["id"] = id;
  body["time"] = iso8601_utc(notice.time_ns);
  for (auto& [key, value] : notice.fields)
    body[key] = value;
  return json::serialize(body);
}

std::string delivery_id(uint64_t hi, uint64_t lo) {
  // RFC 9562: version 4 in the high nibble of byte 6, variant 10 in the
  // top bits of byte 8.
  hi = (hi & ~uint64_t{0xF000}) | uint64_t{0x4000};
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), md,
       &len);
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  result.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    result += digits[md[i] >> 4];
    result += digits[md[i] & 0xF];
  }
  return result;
}

std::string redact_url(std::string_view url) {
  auto scheme_end = url.find("://");
  auto host_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  auto rest = url.substr(host_start);
  auto cut = rest.find_first_of("?#");
  if (cut != std::string_view::npos)
    rest = rest.substr(0, cut);
  // User info ends at the last '@' before the path.
  auto path = rest.find('/');
  auto at = rest.substr(0, path).rfind('@');
  if (at != std::string_view::npos)
    rest = rest.substr(at + 1);
  return std::string{url.substr(0, host_start)} + std::string{rest};
}

} // namespace retrain::edge
