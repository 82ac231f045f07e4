#include "retrain/edge/http_api.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <spdlog/spdlog.h>

#include "retrain/config_error.hpp"
#include "retrain/core/idempotency_keys.hpp"
#include "retrain/core/model_id.hpp"
#include "retrain/core/number.hpp"
#include "retrain/core/policy.hpp"
#include "retrain/core/quoted.hpp"
#include "retrain/edge/dashboard_assets.hpp"
#include "retrain/edge/events_json.hpp"
#include "retrain/edge/render_json.hpp"

namespace retrain::edge {

namespace {

namespace json = boost::json;

/// `limit` when a list request names none, and the most it may name.
constexpr uint64_t default_limit = 100;
constexpr uint64_t max_limit = 10'000;

/// What `Retry-After` tells a producer that got 503.
constexpr int retry_saturated_s = 1;
constexpr int retry_draining_s = 5;
constexpr int retry_unavailable_s = 2;

http_response json_response(const json::value& body, int status = 200) {
  http_response res;
  res.status = status;
  res.body = json::serialize(body);
  return res;
}

http_response not_served(std::string_view what, std::string_view role) {
  return error_response(404, "not_served_here",
                        std::string{what} + " is served by nodes with role "
                          + std::string{role}
                          + "; ask the HTTP port of such a node");
}

// The stable code of an error from an actor: the `ec` name for ours.
std::string code_of(const caf::error& err) {
  if (err.category() == caf::atom("retrain"))
    return to_string(static_cast<ec>(err.code()));
  return "error";
}

// The answer to a request an actor did not answer.
http_response unavailable(caf::actor_system& sys, const caf::error& err) {
  if (err == ec::draining)
    return error_response(503, "draining", error_text(err), retry_draining_s);
  auto what = err == caf::sec::request_timeout
                ? std::string{"the node did not answer within "
                              "retrain.request-timeout"}
                : "the node cannot answer now: " + sys.render(err);
  return error_response(503, "unavailable", what, retry_unavailable_s);
}

// Asks `handle` and waits for the answer on this (non-CAF) thread; the
// answer, or the error response to send instead.
template <class T, class Handle, class... Ts>
std::optional<T> ask(caf::actor_system& sys, std::chrono::milliseconds timeout,
                     const Handle& handle, http_response& failed, Ts&&... xs) {
  std::optional<T> result;
  caf::scoped_actor self{sys};
  self->request(handle, timeout, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) {
               if (err == ec::invalid_model_line || err == ec::invalid_model_id)
                 failed = error_response(400, code_of(err), error_text(err));
               else
                 failed = unavailable(sys, err);
             });
  return result;
}

/// A page of a list: `offset` and `limit` from the query.
struct page {
  uint64_t offset = 0;
  uint64_t limit = default_limit;
};

// Reads `offset` and `limit`; the 400 answer instead when they are bad.
std::optional<page> read_page(const http_request& req, http_response& bad) {
  page result;
  if (auto limit = req.param("limit")) {
    auto n = core::parse_whole(*limit, max_limit);
    if (!n || *n == 0) {
      bad = error_response(400, "invalid_parameter",
                           "limit must be a whole number in [1, "
                             + std::to_string(max_limit) + "]");
      return std::nullopt;
    }
    result.limit = *n;
  }
  if (auto offset = req.param("offset")) {
    auto n = core::parse_whole(*offset);
    if (!n) {
      bad = error_response(400, "invalid_parameter",
                           "offset must be a whole number >= 0");
      return std::nullopt;
    }
    result.offset = *n;
  }
  return result;
}

// `{"total": N, "offset": O, "limit": L, NAME: [the page of xs]}`.
template <class T>
http_response
page_of(const std::vector<T>& xs, const page& p, std::string_view name) {
  auto first = std::min<uint64_t>(p.offset, xs.size());
  auto last = std::min<uint64_t>(first + p.limit, xs.size());
  json::object doc{
    {"total", xs.size()}, {"offset", p.offset}, {"limit", p.limit}};
  doc[name] = to_json_array(xs.begin() + static_cast<std::ptrdiff_t>(first),
                            xs.begin() + static_cast<std::ptrdiff_t>(last));
  return json_response(doc);
}

bool is_model_state(std::string_view x) {
  return x == "watching" || x == "job-active" || x == "standing-down"
         || x == "quarantined" || x == "passivated";
}

// The part of `path` between `prefix` (which it starts with) and
// `suffix`; nothing when it does not end with `suffix` or nothing is
// between.
std::optional<std::string_view> between(std::string_view path,
                                        std::string_view prefix,
                                        std::string_view suffix) {
  if (path.size() <= prefix.size() + suffix.size()
      || path.substr(path.size() - suffix.size()) != suffix)
    return std::nullopt;
  return path.substr(prefix.size(),
                     path.size() - prefix.size() - suffix.size());
}

// Sorts `xs` by `key` (`model`, `state`, `-events`, `-triggers`; `-` is
// descending), the model id breaking ties; false for another key.
bool sort_models(std::vector<model_status>& xs, std::string_view key) {
  auto by = [&](auto less) {
    std::sort(xs.begin(), xs.end(), [&](auto& x, auto& y) {
      if (less(x, y))
        return true;
      if (less(y, x))
        return false;
      return x.model < y.model;
    });
  };
  if (key == "model")
    std::sort(xs.begin(), xs.end(),
              [](auto& x, auto& y) { return x.model < y.model; });
  else if (key == "state")
    by([](auto& x, auto& y) { return x.state < y.state; });
  else if (key == "-events")
    by([](auto& x, auto& y) { return x.events > y.events; });
  else if (key == "-triggers")
    by([](auto& x, auto& y) { return x.triggers > y.triggers; });
  else
    return false;
  return true;
}

// Whether a file can be created in `dir` (a monitor node's storage).
std::string probe_dir(const std::string& dir) {
  auto path = dir + "/.readyz-probe";
  auto fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                   0600);
  if (fd < 0)
    return "cannot create a file in " + dir + ": " + std::strerror(errno);
  auto ok = ::write(fd, "ok\n", 3) == 3;
  auto err = errno;
  ::close(fd);
  ::unlink(path.c_str());
  if (!ok)
    return "cannot write to " + dir + ": " + std::strerror(err);
  return "";
}

} // namespace

uint32_t http_api::default_max_in_flight() {
  return std::max(4u, 2 * std::thread::hardware_concurrency());
}

http_api::http_api(caf::actor_system& sys, const node_settings& cfg,
                   api_handles handles)
  : sys_(sys),
    timeout_(cfg.request_timeout),
    data_dir_(cfg.data_dir),
    handles_(std::move(handles)),
    max_in_flight_(default_max_in_flight()) {
  // nop
}

http_api::~http_api() {
  // Requests being served use this object: they finish first.
  server_.stop();
}

void http_api::add_routes(http_server& server) {
  auto bind = [this](http_response (http_api::*fn)(const http_request&)) {
    return [this, fn](const http_request& req) { return (this->*fn)(req); };
  };
  server.add("POST", "/v1/events", bind(&http_api::post_events));
  server.add("GET", "/v1/models", bind(&http_api::get_models));
  server.add("GET", "/v1/models/", bind(&http_api::get_models));
  server.add("GET", "/v1/jobs", bind(&http_api::get_jobs));
  server.add("GET", "/v1/lines/", bind(&http_api::get_versions));
  server.add("GET", "/healthz", bind(&http_api::get_healthz));
  server.add("GET", "/v1/policies", bind(&http_api::get_policies));
  server.add("GET", "/v1/policies/", bind(&http_api::get_policies));
  server.add("PUT", "/v1/policies/", bind(&http_api::put_policy));
  server.add("DELETE", "/v1/policies/", bind(&http_api::delete_policy));
  server.add("GET", "/readyz", bind(&http_api::get_readyz));
  server.add("GET", "/v1/events/stream", bind(&http_api::get_stream));
  server.add("GET", "/v1/jobs/", bind(&http_api::get_job_log));
  server.add_exact("GET", "/", bind(&http_api::get_dashboard));
  server.add("GET", "/assets/", bind(&http_api::get_dashboard));
}

http_response http_api::post_events(const http_request& req) {
  if (!handles_.ingest)
    return not_served("POST /v1/events", "all or monitor");
  if (draining_)
    return error_response(503, "draining",
                          "the node is shutting down (draining): send to "
                          "another monitor node, or again once it is back",
                          retry_draining_s);
  // With a key, ingest applies the batch once: a repeat (its answer was
  // lost) gets the first one's answer.
  auto key = std::string{req.header("Idempotency-Key")};
  if (!key.empty() && !core::valid_idempotency_key(key))
    return error_response(400, "invalid_idempotency_key",
                          "Idempotency-Key must be 1 to "
                            + std::to_string(core::max_idempotency_key)
                            + " visible ASCII characters");
  auto parsed = parse_events(req.body);
  if (!parsed.malformed.empty())
    return error_response(400, "malformed", parsed.malformed);
  batch_report report;
  if (!parsed.batch.events.empty()) {
    // Bounded: beyond it producers back off rather than pile up requests
    // (and memory) in front of ingest.
    if (in_flight_.fetch_add(1) >= max_in_flight_) {
      --in_flight_;
      return error_response(503, "saturated",
                            "too many batches in flight ("
                              + std::to_string(max_in_flight_)
                              + "): send again after Retry-After",
                            retry_saturated_s);
    }
    caf::error err;
    {
      caf::scoped_actor self{sys_};
      auto on_report = [&](batch_report& x) { report = std::move(x); };
      auto on_error = [&](caf::error& x) { err = std::move(x); };
      if (key.empty())
        self
          ->request(handles_.ingest, timeout_, atom::explain::value,
                    std::move(parsed.batch))
          .receive(on_report, on_error);
      else
        self
          ->request(handles_.ingest, timeout_, atom::explain::value,
                    std::move(parsed.batch), key)
          .receive(on_report, on_error);
    }
    --in_flight_;
    // A draining node took nothing: send again elsewhere or later. Any
    // other failure (a timeout, a lost actor) may come after ingest took
    // the batch: events travel at most once per hop, so the client must
    // not take it for a refusal and send it blindly again.
    if (err == ec::draining)
      return unavailable(sys_, err);
    if (err == ec::idempotency_conflict)
      return error_response(422, code_of(err), error_text(err));
    if (err)
      return error_response(
        504, "outcome_unknown",
        "the node did not confirm the batch (" + sys_.render(err)
          + "): it may or may not have been applied, and "
          + (key.empty() ? "sending it again may apply it twice (send it "
                           "with an Idempotency-Key to make a repeat safe)"
                         : "sent again with the same Idempotency-Key it "
                           "is applied at most once"));
  }
  // Both lists are in index order: merge them, with ingest's indices
  // mapped back into the body.
  json::array rejects;
  rejects.reserve(parsed.rejects.size() + report.rejects.size());
  auto& mine = parsed.rejects;
  auto& theirs = report.rejects;
  std::size_t i = 0;
  std::size_t j = 0;
  auto body_index = [&](const event_reject& r) {
    return r.index < parsed.index.size() ? parsed.index[r.index] : r.index;
  };
  while (i < mine.size() || j < theirs.size()) {
    if (j == theirs.size()
        || (i < mine.size() && mine[i].index < body_index(theirs[j]))) {
      rejects.push_back(json::object{{"index", mine[i].index},
                                     {"code", mine[i].code},
                                     {"reason", mine[i].reason}});
      ++i;
    } else {
      rejects.push_back(json::object{{"index", body_index(theirs[j])},
                                     {"code", code_of(theirs[j].reason)},
                                     {"reason", error_text(theirs[j].reason)}});
      ++j;
    }
  }
  return json_response(
    json::object{{"accepted", report.ack.accepted},
                 {"rejected", parsed.rejects.size() + report.ack.rejected},
                 {"rejects", std::move(rejects)}});
}

http_response http_api::get_models(const http_request& req) {
  if (!handles_.ingest)
    return not_served("GET /v1/models", "all or monitor");
  http_response failed;
  std::string_view prefix = "/v1/models/";
  if (between(req.path, prefix, "/history"))
    return get_history(req);
  if (req.path.size() > prefix.size()) {
    auto model = std::string{req.path.substr(prefix.size())};
    if (auto err = core::check_model_id(model))
      return error_response(400, "invalid_model_id", err.message);
    auto found = ask<std::vector<model_status>>(
      sys_, timeout_, handles_.ingest, failed, atom::status::value, model);
    if (!found)
      return failed;
    auto i = std::find_if(found->begin(), found->end(),
                          [&](auto& m) { return m.model == model; });
    if (i == found->end())
      return error_response(404, "unknown_model",
                            "no monitor of " + model + " on this node");
    return json_response(to_json(*i));
  }
  auto p = read_page(req, failed);
  if (!p)
    return failed;
  // The node filters and pages: only the rows of the page are asked of
  // their monitors, so this costs the same at a million models.
  model_query query;
  query.offset = p->offset;
  query.limit = p->limit;
  if (auto state = req.param("state")) {
    if (!is_model_state(*state))
      return error_response(400, "invalid_parameter",
                            "state must be one of watching, job-active, "
                            "standing-down, quarantined, passivated");
    query.state = std::string{*state};
  }
  if (auto line = req.param("line")) {
    if (auto parsed = core::parse_model_line(*line); !parsed)
      return error_response(400, "invalid_model_line", parsed.error().message);
    query.which = std::string{*line};
  }
  auto contains = req.param("contains").value_or("");
  auto sort = req.param("sort").value_or("model");
  std::vector<model_status> none;
  if (!sort_models(none, sort))
    return error_response(400, "invalid_parameter",
                          "sort must be one of model, state, -events, "
                          "-triggers");
  // A substring filter or another order needs every row the filters cover
  // (each monitor asked); the default order pages on the node.
  auto whole = !contains.empty() || sort != "model";
  if (whole) {
    query.offset = 0;
    query.limit = std::numeric_limits<uint64_t>::max();
  }
  auto found = ask<model_page>(sys_, timeout_, handles_.ingest, failed,
                               atom::status::value, std::move(query));
  if (!found)
    return failed;
  json::object states;
  for (auto& [state, n] : found->states)
    states[state] = n;
  if (!whole)
    return json_response(json::object{{"total", found->total},
                                      {"offset", p->offset},
                                      {"limit", p->limit},
                                      {"models", to_json_array(found->rows)},
                                      {"states", std::move(states)}});
  auto& rows = found->rows;
  if (!contains.empty())
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&](auto& m) {
                                return m.model.find(contains)
                                       == std::string::npos;
                              }),
               rows.end());
  sort_models(rows, sort);
  auto first = std::min<uint64_t>(p->offset, rows.size());
  auto last = std::min<uint64_t>(first + p->limit, rows.size());
  return json_response(json::object{
    {"total", rows.size()},
    {"offset", p->offset},
    {"limit", p->limit},
    {"models", to_json_array(rows.begin() + static_cast<std::ptrdiff_t>(first),
                             rows.begin() + static_cast<std::ptrdiff_t>(last))},
    {"states", std::move(states)}});
}

http_response http_api::get_jobs(const http_request& req) {
  if (!handles_.coordinator)
    return not_served("GET /v1/jobs", "all or coordinator");
  http_response failed;
  auto p = read_page(req, failed);
  if (!p)
    return failed;
  auto line = req.param("line");
  if (line)
    if (auto parsed = core::parse_model_line(*line); !parsed)
      return error_response(400, "invalid_model_line", parsed.error().message);
  std::optional<job_state> state;
  if (auto text = req.param("state")) {
    state = parse_job_state(*text);
    if (!state)
      return error_response(400, "invalid_parameter",
                            "state must be one of queued, running, "
                            "succeeded, failed");
  }
  auto jobs = ask<std::vector<job_record>>(sys_, timeout_, handles_.coordinator,
                                           failed, atom::jobs::value);
  if (!jobs)
    return failed;
  jobs->erase(std::remove_if(jobs->begin(), jobs->end(),
                             [&](auto& j) {
                               return (line && j.line != *line)
                                      || (state && j.state != *state);
                             }),
              jobs->end());
  return page_of(*jobs, *p, "jobs");
}

http_response http_api::get_versions(const http_request& req) {
  std::string_view prefix = "/v1/lines/";
  std::string_view suffix = "/versions";
  auto rest = req.path.substr(prefix.size());
  if (rest.size() <= suffix.size()
      || rest.substr(rest.size() - suffix.size()) != suffix)
    return error_response(404, "not_found",
                          "no endpoint at "
                            + core::quoted(req.path, core::echo_limit)
                            + " (GET /v1/lines/{line}/versions)");
  if (!handles_.coordinator)
    return not_served("GET /v1/lines/{line}/versions", "all or coordinator");
  auto line = std::string{rest.substr(0, rest.size() - suffix.size())};
  if (auto parsed = core::parse_model_line(line); !parsed)
    return error_response(400, "invalid_model_line", parsed.error().message);
  http_response failed;
  auto versions = ask<std::vector<model_version>>(
    sys_, timeout_, handles_.coordinator, failed, atom::versions::value, line);
  if (!versions)
    return failed;
  return json_response(
    json::object{{"line", line}, {"versions", to_json_array(*versions)}});
}

namespace {

// The pattern after `/v1/policies/` (and before `suffix`), or the 400
// answer in `bad`.
std::optional<std::string> pattern_of(const http_request& req,
                                      std::string_view suffix,
                                      http_response& bad) {
  auto rest = req.path.substr(std::string_view{"/v1/policies/"}.size());
  rest = rest.substr(0, rest.size() - suffix.size());
  if (auto p = core::parse_policy_pattern(rest); !p) {
    bad = error_response(400, "invalid_pattern", p.error().message);
    return std::nullopt;
  }
  return std::string{rest};
}

// Asks the coordinator about policies: the answer, or the error answer in
// `failed` (400 for a policy it refuses, 404 for no policy).
template <class T, class... Ts>
std::optional<T> ask_policies(caf::actor_system& sys,
                              std::chrono::milliseconds timeout,
                              const dispatcher_actor& handle,
                              http_response& failed, Ts&&... xs) {
  std::optional<T> result;
  caf::scoped_actor self{sys};
  self->request(handle, timeout, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) {
               if (err == ec::invalid_config)
                 failed = error_response(400, code_of(err), error_text(err));
               else if (err == ec::no_such_policy)
                 failed = error_response(404, code_of(err), error_text(err));
               else
                 failed = unavailable(sys, err);
             });
  return result;
}

bool ends_with(std::string_view x, std::string_view suffix) {
  return x.size() >= suffix.size()
         && x.substr(x.size() - suffix.size()) == suffix;
}

} // namespace

http_response http_api::get_policies(const http_request& req) {
  http_response failed;
  if (req.path == "/v1/policies/explain") {
    if (!handles_.ingest)
      return not_served("GET /v1/policies/explain", "all or monitor");
    auto model = req.param("model");
    if (!model)
      return error_response(400, "invalid_parameter",
                            "explain needs ?model=MODEL or ?model=LINE");
    auto e = ask<core::policy_explanation>(
      sys_, timeout_, handles_.ingest, failed, atom::explain::value, *model);
    if (!e)
      return failed;
    return json_response(to_json(*e));
  }
  if (!handles_.coordinator)
    return not_served("GET /v1/policies", "all or coordinator");
  if (req.path == "/v1/policies" || req.path == "/v1/policies/") {
    auto xs = ask_policies<std::vector<policy_record>>(
      sys_, timeout_, handles_.coordinator, failed, atom::policy::value);
    if (!xs)
      return failed;
    return json_response(json::object{{"policies", to_json_array(*xs)}});
  }
  auto history = ends_with(req.path, "/history");
  auto pattern = pattern_of(req, history ? "/history" : "", failed);
  if (!pattern)
    return failed;
  auto xs = ask_policies<std::vector<policy_record>>(
    sys_, timeout_, handles_.coordinator, failed, atom::policy::value,
    *pattern);
  if (!xs)
    return failed;
  if (history)
    return json_response(
      json::object{{"pattern", *pattern}, {"versions", to_json_array(*xs)}});
  if (xs->empty() || xs->back().removed)
    return error_response(404, "no_such_policy", "no policy for " + *pattern);
  return json_response(to_json(xs->back()));
}

http_response http_api::put_policy(const http_request& req) {
  if (!handles_.coordinator)
    return not_served("PUT /v1/policies/{pattern}", "all or coordinator");
  http_response failed;
  auto pattern = pattern_of(req, "", failed);
  if (!pattern)
    return failed;
  boost::system::error_code jec;
  auto doc = json::parse(req.body, jec);
  if (jec || !doc.is_object())
    return error_response(400, "malformed",
                          "the body is not a JSON object {\"policy\": "
                          "\"INI text\", \"by\": ..., \"reason\": ...}");
  auto text_of = [&](const char* key) -> std::optional<std::string> {
    auto* v = doc.as_object().if_contains(key);
    if (!v)
      return std::string{};
    if (!v->is_string())
      return std::nullopt;
    return std::string{v->as_string()};
  };
  auto text = text_of("policy");
  auto by = text_of("by");
  auto reason = text_of("reason");
  if (!text || !by || !reason)
    return error_response(400, "malformed",
                          "policy, by and reason must be JSON strings");
  policy_change change{*pattern, std::move(*text), std::move(*by),
                       std::move(*reason), false};
  auto x = ask_policies<policy_record>(sys_, timeout_, handles_.coordinator,
                                       failed, std::move(change));
  if (!x)
    return failed;
  return json_response(to_json(*x));
}

http_response http_api::delete_policy(const http_request& req) {
  if (!handles_.coordinator)
    return not_served("DELETE /v1/policies/{pattern}", "all or coordinator");
  http_response failed;
  auto pattern = pattern_of(req, "", failed);
  if (!pattern)
    return failed;
  policy_change change;
  change.pattern = *pattern;
  change.by = req.param("by").value_or("");
  change.reason = req.param("reason").value_or("");
  change.remove = true;
  auto x = ask_policies<policy_record>(sys_, timeout_, handles_.coordinator,
                                       failed, std::move(change));
  if (!x)
    return failed;
  return json_response(to_json(*x));
}

http_response http_api::get_healthz(const http_request&) {
  return json_response(json::object{{"status", "alive"}});
}

http_response http_api::get_readyz(const http_request&) {
  auto check = [](bool ok, std::string detail) {
    return json::object{{"ok", ok}, {"detail", std::move(detail)}};
  };
  bool coordinator_ok = false;
  std::string coordinator_detail;
  bool storage_ok = false;
  std::string storage_detail;
  if (handles_.coordinator) {
    http_response failed;
    auto st = ask<coordinator_status>(sys_, timeout_, handles_.coordinator,
                                      failed, atom::status::value);
    coordinator_ok = st.has_value();
    coordinator_detail = st ? "the coordinator runs on this node"
                            : "the coordinator does not answer";
    storage_ok = st && st->storage == "ok";
    storage_detail = st ? "registry " + st->storage
                        : "unknown: the coordinator does not answer";
  } else if (handles_.link) {
    http_response failed;
    auto st = ask<link_status>(sys_, timeout_, handles_.link, failed,
                               atom::status::value);
    coordinator_ok = st && st->connected;
    coordinator_detail = !st ? "the coordinator link does not answer"
                         : st->connected
                           ? "linked"
                           : "not linked (" + std::to_string(st->held_triggers)
                               + " triggers held)";
  }
  if (!handles_.coordinator) {
    storage_detail = probe_dir(data_dir_);
    storage_ok = storage_detail.empty();
    if (storage_ok)
      storage_detail = "data dir " + data_dir_ + " writable";
  }
  bool draining = draining_;
  bool ready = coordinator_ok && storage_ok && !draining;
  json::object doc{
    {"ready", ready},
    {"checks",
     json::object{{"coordinator", check(coordinator_ok, coordinator_detail)},
                  {"storage", check(storage_ok, storage_detail)},
                  {"draining",
                   check(!draining, draining ? "draining" : "not draining")}}}};
  return json_response(doc, ready ? 200 : 503);
}

std::optional<std::string> http_api::history_body(const std::string& model,
                                                  std::size_t newest,
                                                  http_response& failed) {
  auto history = ask<model_history>(sys_, timeout_, handles_.ingest, failed,
                                    atom::history::value, model);
  if (!history)
    return std::nullopt;
  if (history->model.empty()) {
    failed = error_response(404, "unknown_model",
                            "no monitor of " + model + " on this node");
    return std::nullopt;
  }
  for (auto& k : history->kinds)
    if (k.points.size() > newest)
      k.points.erase(k.points.begin(),
                     k.points.end() - static_cast<std::ptrdiff_t>(newest));
  auto doc = to_json(*history);
  auto status = ask<std::vector<model_status>>(
    sys_, timeout_, handles_.ingest, failed, atom::status::value, model);
  if (!status)
    return std::nullopt;
  if (!status->empty())
    doc["status"] = to_json(status->front());
  // The line's jobs and versions, on the same time axis, where this node
  // runs the coordinator; elsewhere the coordinator node's API has them.
  auto line = std::string{core::model_line_of(model)};
  doc["line"] = line;
  if (handles_.coordinator) {
    auto jobs = ask<std::vector<job_record>>(
      sys_, timeout_, handles_.coordinator, failed, atom::jobs::value);
    if (!jobs)
      return std::nullopt;
    jobs->erase(std::remove_if(jobs->begin(), jobs->end(),
                               [&](auto& j) { return j.line != line; }),
                jobs->end());
    auto versions
      = ask<std::vector<model_version>>(sys_, timeout_, handles_.coordinator,
                                        failed, atom::versions::value, line);
    if (!versions)
      return std::nullopt;
    doc["jobs"] = to_json_array(*jobs);
    doc["versions"] = to_json_array(*versions);
  } else {
    doc["jobs"] = nullptr;
    doc["versions"] = nullptr;
  }
  return json::serialize(doc);
}

http_response http_api::get_history(const http_request& req) {
  if (!handles_.ingest)
    return not_served("GET /v1/models/{model}/history", "all or monitor");
  auto model
    = std::string{between(req.path, "/v1/models/", "/history").value_or("")};
  if (auto err = core::check_model_id(model))
    return error_response(400, "invalid_model_id", err.message);
  std::size_t newest = SIZE_MAX;
  if (auto text = req.param("points")) {
    auto n = core::parse_whole(*text);
    if (!n || *n == 0)
      return error_response(400, "invalid_parameter",
                            "points must be a whole number >= 1");
    newest = static_cast<std::size_t>(*n);
  }
  http_response failed;
  auto body = history_body(model, newest, failed);
  if (!body)
    return failed;
  http_response res;
  res.body = std::move(*body);
  return res;
}

std::optional<std::string> http_api::fleet_body(http_response& failed) {
  json::object doc;
  if (handles_.ingest) {
    auto st = ask<monitor_stats>(sys_, timeout_, handles_.ingest, failed,
                                 atom::stats::value);
    if (!st)
      return std::nullopt;
    doc["models"] = st->models;
    doc["events"] = st->events;
    doc["triggers"] = st->triggers;
    doc["quarantined"] = st->quarantined;
    doc["passivated"] = st->passivated;
  }
  if (handles_.coordinator) {
    auto st = ask<coordinator_status>(sys_, timeout_, handles_.coordinator,
                                      failed, atom::status::value);
    if (!st)
      return std::nullopt;
    doc["queued"] = st->queued;
    doc["running"] = st->running;
    doc["succeeded"] = st->succeeded;
    doc["failed"] = st->failed;
    doc["attempts"] = st->attempts;
  }
  return json::serialize(doc);
}

http_response http_api::get_stream(const http_request& req) {
  std::optional<std::string> model;
  if (auto m = req.param("model")) {
    if (!handles_.ingest)
      return not_served("GET /v1/events/stream?model=", "all or monitor");
    if (auto err = core::check_model_id(*m))
      return error_response(400, "invalid_model_id", err.message);
    model = *m;
  }
  auto interval = std::chrono::milliseconds{1000};
  if (auto text = req.param("interval_ms")) {
    auto n = core::parse_whole(*text, 60'000);
    if (!n || *n < 250)
      return error_response(400, "invalid_parameter",
                            "interval_ms must be a whole number in [250, "
                            "60000]");
    interval = std::chrono::milliseconds{*n};
  }
  http_response res;
  res.stream = [this, model, interval](event_stream& out) {
    // Polls the actors once per interval and sends only what changed, so
    // an idle dashboard costs one small request per interval.
    std::string last;
    auto since_ping = std::chrono::milliseconds{0};
    for (;;) {
      http_response failed;
      auto body = model ? history_body(*model, SIZE_MAX, failed)
                        : fleet_body(failed);
      if (!body) {
        // Said once per failure, not once per interval.
        if (failed.body != last && !out.send("failure", failed.body))
          return;
        last = std::move(failed.body);
      } else if (*body != last) {
        if (!out.send(model ? "history" : "fleet", *body))
          return;
        last = std::move(*body);
        since_ping = std::chrono::milliseconds{0};
      } else if (since_ping >= std::chrono::seconds{5}) {
        // Finds a client that left, so its thread is freed.
        if (!out.ping())
          return;
        since_ping = std::chrono::milliseconds{0};
      }
      if (draining_ || !out.wait(interval))
        return;
      since_ping += interval;
    }
  };
  return res;
}

http_response http_api::get_job_log(const http_request& req) {
  // `/v1/jobs/{id}/log?attempt=N`
  auto text = between(req.path, "/v1/jobs/", "/log");
  if (!text)
    return error_response(404, "not_found",
                          "no endpoint at "
                            + core::quoted(req.path, core::echo_limit)
                            + " (GET /v1/jobs/{id}/log)");
  auto id = core::parse_whole(*text);
  if (!id)
    return error_response(400, "invalid_parameter",
                          "the job id must be a whole number");
  uint64_t attempt = 1;
  if (auto text = req.param("attempt")) {
    auto n = core::parse_whole(*text, 1'000'000);
    if (!n || *n == 0)
      return error_response(400, "invalid_parameter",
                            "attempt must be a whole number >= 1");
    attempt = *n;
  }
  uint64_t max_bytes = 4096;
  if (auto text = req.param("bytes")) {
    auto n = core::parse_whole(*text, 1024 * 1024);
    if (!n || *n == 0)
      return error_response(400, "invalid_parameter",
                            "bytes must be a whole number in [1, 1048576]");
    max_bytes = *n;
  }
  auto path = data_dir_ + "/jobs/" + std::to_string(*id) + "-"
              + std::to_string(attempt) + ".log";
  std::ifstream in{path, std::ios::binary | std::ios::ate};
  if (!in)
    return error_response(404, "no_log",
                          "no log of job " + std::to_string(*id) + " attempt "
                            + std::to_string(attempt)
                            + " on this node: it ran on another worker "
                              "node, or has not started");
  auto size = static_cast<uint64_t>(in.tellg());
  auto from = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<std::size_t>(in.gcount()));
  return json_response(json::object{{"job", *id},
                                    {"attempt", attempt},
                                    {"size", size},
                                    {"truncated", from > 0},
                                    {"tail", tail}});
}

http_response http_api::get_dashboard(const http_request& req) {
  auto file = dashboard_asset(req.path);
  if (file == nullptr)
    return error_response(404, "not_found",
                          "no endpoint at "
                            + core::quoted(req.path, core::echo_limit));
  http_response res;
  res.content_type = file->content_type;
  res.body.assign(reinterpret_cast<const char*>(file->data), file->size);
  // The files change only with the binary; the page itself is looked at
  // again on every load so a new build shows at once.
  res.headers.emplace_back("Cache-Control",
                           req.path == "/" ? "no-cache" : "max-age=300");
  return res;
}

caf::expected<std::unique_ptr<http_api>>
start_http(caf::actor_system& sys, const node_settings& cfg,
           api_handles handles,
           const std::function<void(http_server&)>& more_routes) {
  if (!cfg.edge.http || (!handles.ingest && !handles.coordinator))
    return std::unique_ptr<http_api>{};
  auto api = std::make_unique<http_api>(sys, cfg, std::move(handles));
  api->add_routes(api->server());
  if (more_routes)
    more_routes(api->server());
  http_server::options opts;
  opts.host = cfg.edge.http_host.empty() ? cfg.host : cfg.edge.http_host;
  opts.port = cfg.edge.http_port;
  opts.max_body = cfg.edge.http_max_body;
  opts.read_timeout = cfg.edge.http_read_timeout;
  opts.max_connections = cfg.edge.http_max_connections;
  if (auto err = api->server().start(opts))
    return err;
  spdlog::default_logger_raw()->info("retrain-node http listening on {}:{}",
                                     opts.host, api->server().port());
  return api;
}

} // namespace retrain::edge
