#include "retrain/edge/render_json.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

#include <boost/json/value.hpp>

namespace retrain::edge {

namespace {

namespace json = boost::json;

// A JSON number, or null for values JSON cannot carry (NaN, infinities).
json::value number(double x) {
  if (!std::isfinite(x))
    return nullptr;
  return x;
}

} // namespace

std::string iso8601_utc(int64_t ns) {
  auto secs = ns / 1'000'000'000;
  auto ms = (ns % 1'000'000'000) / 1'000'000;
  // Before 1970: round towards the past, as the seconds do.
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

std::string iso_time(int64_t ns) {
  return ns > 0 ? iso8601_utc(ns) : std::string{};
}

json::object to_json(const model_status& m) {
  json::array kinds;
  for (auto& k : m.kinds)
    kinds.push_back(json::object{{"kind", to_string(k.kind)},
                                 {"strategy", k.strategy},
                                 {"statistic", number(k.statistic)},
                                 {"threshold", number(k.threshold)},
                                 {"samples", k.samples},
                                 {"state", k.state}});
  json::object result{{"model", m.model},         {"state", m.state},
                      {"events", m.events},       {"triggers", m.triggers},
                      {"restarts", m.restarts},   {"lost", m.lost},
                      {"kinds", std::move(kinds)}};
  result["policy"] = json::object{{"pattern", m.policy},
                                  {"version", m.policy_version}};
  return result;
}

json::object to_json(const job_record& j) {
  return json::object{{"id", j.id},
                      {"model", j.model},
                      {"state", to_string(j.state)},
                      {"attempts", j.attempts},
                      {"version", j.version},
                      {"merged", j.merged},
                      {"error", j.error},
                      {"reason", j.reason},
                      {"created", iso_time(j.created_at_ns)},
                      {"updated", iso_time(j.updated_at_ns)}};
}

json::object to_json(const model_version& v) {
  return json::object{
    {"version", v.version}, {"parent", v.parent},
    {"job_id", v.job_id},   {"created", iso_time(v.created_at_ns)},
    {"reason", v.reason},   {"artifact", v.artifact}};
}

json::object to_json(const model_history& h) {
  auto ms = [](int64_t ns) {
    // Floor, so a point's time never moves into the next bucket.
    return ns >= 0 ? ns / 1'000'000 : -((-ns + 999'999) / 1'000'000);
  };
  json::array kinds;
  for (auto& k : h.kinds) {
    json::array points;
    points.reserve(k.points.size());
    for (auto& p : k.points)
      points.push_back(json::object{{"t", ms(p.time_ns)},
                                    {"min", number(p.min)},
                                    {"max", number(p.max)},
                                    {"last", number(p.last)},
                                    {"statistic", number(p.statistic)},
                                    {"threshold", number(p.threshold)},
                                    {"samples", p.samples},
                                    {"count", p.count},
                                    {"state", core::to_string(p.state)}});
    kinds.push_back(json::object{{"kind", to_string(k.kind)},
                                 {"strategy", k.strategy},
                                 {"points", std::move(points)}});
  }
  json::array triggers;
  for (auto& t : h.triggers)
    triggers.push_back(json::object{{"t", ms(t.time_ns)},
                                    {"time", iso_time(t.time_ns)},
                                    {"kind", to_string(t.kind)},
                                    {"samples", t.samples},
                                    {"statistic", number(t.statistic)},
                                    {"threshold", number(t.threshold)}});
  return json::object{{"model", h.model},
                      {"resolution_ms", h.resolution_ns / 1'000'000},
                      {"capacity", h.capacity},
                      {"kinds", std::move(kinds)},
                      {"triggers", std::move(triggers)}};
}

json::object to_json(const policy_record& x) {
  return json::object{
    {"pattern", x.pattern}, {"version", x.version},
    {"epoch", x.epoch},     {"removed", x.removed},
    {"policy", x.text},     {"by", x.by},
    {"reason", x.reason},   {"created", iso_time(x.created_at_ns)}};
}

json::object to_json(const core::policy_explanation& x) {
  json::array matched;
  for (auto& m : x.matched)
    matched.push_back(json::string{m});
  json::array settings;
  for (auto& s : x.settings)
    settings.push_back(
      json::object{{"key", s.key}, {"value", s.value}, {"source", s.source}});
  return json::object{{"line", x.line},
                      {"pattern", x.pattern},
                      {"version", x.version},
                      {"matched", std::move(matched)},
                      {"settings", std::move(settings)}};
}

} // namespace retrain::edge
