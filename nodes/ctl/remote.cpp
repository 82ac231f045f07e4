// The retrain-ctl commands that talk to a running node.

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include <boost/json.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>

#include "ctl/commands.hpp"
#include "retrain/core/model_id.hpp"
#include "retrain/messages.hpp"

namespace retrain::ctl {

namespace {

namespace json = boost::json;

struct client_config : caf::actor_system_config {
  explicit client_config(const remote_options& opts) {
    register_messages(*this);
    load<caf::io::middleman>();
    set("logger.verbosity", caf::atom("quiet"));
    if (!opts.tls_certificate.empty()) {
      set("openssl.certificate", opts.tls_certificate);
      set("openssl.key", opts.tls_key);
      set("openssl.cafile", opts.tls_cafile);
      load<caf::openssl::manager>();
    }
  }
};

// A client connection: one actor system, one remote handle.
template <class Handle>
struct connection {
  client_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  Handle handle;
  std::string error;
  /// Exit code for `error`: a malformed endpoint is a bad argument.
  int code = refused;

  connection(const remote_options& opts, const std::string& endpoint,
             const char* what)
    : cfg(opts) {
    auto colon = endpoint.rfind(':');
    uint16_t port = 0;
    if (colon != std::string::npos) {
      auto p = std::strtol(endpoint.c_str() + colon + 1, nullptr, 10);
      if (p > 0 && p < 65536)
        port = static_cast<uint16_t>(p);
    }
    if (port == 0 || colon == 0
        || endpoint.find_first_not_of("0123456789", colon + 1)
             != std::string::npos) {
      error = std::string{what} + " '" + endpoint
              + "' is not HOST:PORT (port within [1, 65535])";
      code = usage;
      return;
    }
    sys = std::make_unique<caf::actor_system>(cfg);
    auto host = endpoint.substr(0, colon);
    // Connect through the middleman actor so that --timeout also bounds
    // the handshake with a peer that accepts TCP but never answers.
    auto mm = sys->has_openssl_manager() ? sys->openssl_manager().actor_handle()
                                         : sys->middleman().actor_handle();
    caf::scoped_actor self{*sys};
    self
      ->request(mm, std::chrono::seconds{opts.timeout_s},
                caf::connect_atom::value, host, port)
      .receive(
        [&](const caf::node_id&, caf::strong_actor_ptr& ptr,
            const std::set<std::string>& ifs) {
          if (!ptr)
            error = std::string{what} + " at " + endpoint
                    + " published no actor";
          else if (!sys->assignable<Handle>(ifs))
            error = endpoint + " is not a retrain " + std::string{what}
                    + " (wrong port?)";
          else
            handle = caf::actor_cast<Handle>(std::move(ptr));
        },
        [&](caf::error& err) {
          error = "cannot reach the " + std::string{what} + " at " + endpoint
                  + ": " + sys->render(err);
        });
  }
};

std::string iso_time(int64_t ns) {
  if (ns <= 0)
    return "";
  auto secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::ostringstream out;
  out << std::put_time(&tm, "%Y-%m-%dT%H:%M:%S") << '.' << std::setw(3)
      << std::setfill('0') << (ns / 1'000'000) % 1000 << 'Z';
  return out.str();
}

// A JSON number, or null for values JSON cannot carry (NaN, infinities).
json::value number(double x) {
  if (!std::isfinite(x))
    return nullptr;
  return x;
}

struct parsed_line {
  size_t line = 0;
  metric_event event;
};

// Parses `model,kind,value[,observed_at_ns]`.
std::optional<std::string> parse_csv_line(const std::string& text,
                                          metric_event& ev) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in{text};
  while (std::getline(in, field, ','))
    fields.push_back(field);
  if (!text.empty() && text.back() == ',')
    fields.emplace_back();
  auto trim = [](std::string& s) {
    auto b = s.find_first_not_of(" \t\r");
    auto e = s.find_last_not_of(" \t\r");
    s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  };
  for (auto& f : fields)
    trim(f);
  if (fields.size() < 3 || fields.size() > 4)
    return "expected model,kind,value[,observed_at_ns], found "
           + std::to_string(fields.size()) + " fields";
  ev.model = fields[0];
  auto kind = parse_metric_kind(fields[1]);
  if (!kind)
    return "unknown metric kind '" + fields[1]
           + "' (known: " + std::string{metric_kind_names()} + ")";
  ev.kind = *kind;
  char* end = nullptr;
  ev.value = std::strtod(fields[2].c_str(), &end);
  if (fields[2].empty() || *end != '\0')
    return "value '" + fields[2] + "' is not a number";
  ev.observed_at_ns = 0;
  if (fields.size() == 4 && !fields[3].empty()) {
    errno = 0;
    auto ns = std::strtoll(fields[3].c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE || ns < 0)
      return "observed_at_ns '" + fields[3]
             + "' is not a non-negative whole number";
    ev.observed_at_ns = ns;
  }
  return std::nullopt;
}

template <class T, class Handle, class... Ts>
std::optional<T> ask(connection<Handle>& conn, const remote_options& opts,
                     std::string& error, Ts&&... xs) {
  std::optional<T> result;
  caf::scoped_actor self{*conn.sys};
  self
    ->request(conn.handle, std::chrono::seconds{opts.timeout_s},
              std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) { error = conn.sys->render(err); });
  return result;
}

// A text table whose columns are as wide as their widest cell, two spaces
// apart, so long values never run into the next column.
class table {
public:
  explicit table(std::vector<std::string> header) {
    rows_.push_back(std::move(header));
  }

  void add(std::vector<std::string> row) {
    rows_.push_back(std::move(row));
  }

  void print(std::ostream& out) const {
    std::vector<size_t> widths(rows_.front().size(), 0);
    for (auto& row : rows_)
      for (size_t i = 0; i < row.size(); ++i)
        widths[i] = std::max(widths[i], row[i].size());
    for (auto& row : rows_) {
      for (size_t i = 0; i < row.size(); ++i) {
        out << row[i];
        if (i + 1 < row.size())
          out << std::string(widths[i] - row[i].size() + 2, ' ');
      }
      out << '\n';
    }
  }

private:
  std::vector<std::vector<std::string>> rows_;
};

int fail(std::ostream& err, const std::string& msg, int code) {
  err << "retrain-ctl: " << msg << '\n';
  return code;
}

} // namespace

int run_send(const remote_options& opts, const std::vector<std::string>& args,
             std::ostream& out, std::ostream& err) {
  if (args.size() != 3)
    return fail(err, "usage: retrain-ctl send MODEL KIND VALUE", usage);
  metric_event ev;
  if (auto reason = parse_csv_line(args[0] + "," + args[1] + "," + args[2], ev))
    return fail(err, *reason, usage);
  connection<ingest_actor> conn{opts, opts.node, "node"};
  if (!conn.error.empty())
    return fail(err, conn.error, conn.code);
  std::string error;
  metric_batch batch;
  batch.events.push_back(ev);
  auto ack = ask<ingest_ack>(conn, opts, error, std::move(batch));
  if (!ack)
    return fail(err, "send failed: " + error, refused);
  if (opts.json) {
    out << json::serialize(json::object{{"accepted", ack->accepted},
                                        {"rejected", ack->rejected},
                                        {"error", ack->first_error}})
        << '\n';
  } else if (ack->rejected == 0) {
    out << "accepted\n";
  } else {
    out << "rejected: " << ack->first_error << '\n';
  }
  return ack->rejected == 0 ? ok : refused;
}

int run_replay(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err) {
  if (args.size() != 1)
    return fail(err, "usage: retrain-ctl replay FILE.csv (- for stdin)", usage);
  // "-" reads standard input, so producers can pipe events in.
  bool from_stdin = args[0] == "-";
  std::ifstream file;
  if (!from_stdin) {
    std::error_code ec;
    if (std::filesystem::is_directory(args[0], ec))
      return fail(err, "'" + args[0] + "' is a directory, not a CSV file",
                  usage);
    file.open(args[0]);
    if (!file)
      return fail(err, "cannot open '" + args[0] + "'", usage);
  }
  std::istream& in = from_stdin ? std::cin : file;
  struct reject {
    size_t line;
    std::string reason;
  };
  std::vector<reject> rejects;
  // Events the node refused without naming them (a node that does not
  // name them all): counted, but not tied to a line (their entry in
  // `rejects` has line 0).
  uint64_t unplaced = 0;
  uint64_t accepted = 0;
  connection<monitor_node_actor> conn{opts, opts.node, "node"};
  if (!conn.error.empty())
    return fail(err, conn.error, conn.code);
  constexpr size_t batch_size = 1000;
  std::vector<size_t> lines;
  metric_batch batch;
  std::string error;
  auto flush = [&]() -> bool {
    if (batch.events.empty())
      return true;
    auto report = ask<batch_report>(conn, opts, error, atom::explain::value,
                                    std::move(batch));
    batch.events.clear();
    if (!report)
      return false;
    auto& ack = report->ack;
    accepted += ack.accepted;
    // The node names every event it refused, in ingest or later (a
    // quarantined model); anything beyond that comes as a count.
    for (auto& r : report->rejects)
      rejects.push_back({lines.at(r.index), std::move(r.reason)});
    if (ack.rejected > report->rejects.size()) {
      auto more = ack.rejected - report->rejects.size();
      unplaced += more;
      rejects.push_back({0, std::to_string(more)
                              + " events refused by the node after "
                                "ingest, first: "
                              + ack.first_error});
    }
    lines.clear();
    return true;
  };
  std::string text;
  size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    // Spreadsheets often save CSV with a UTF-8 byte order mark.
    if (line == 1 && text.rfind("\xEF\xBB\xBF", 0) == 0)
      text.erase(0, 3);
    if (text.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    if (line == 1 && text.rfind("model,", 0) == 0)
      continue; // header
    metric_event ev;
    if (auto reason = parse_csv_line(text, ev)) {
      rejects.push_back({line, *reason});
      continue;
    }
    lines.push_back(line);
    batch.events.push_back(std::move(ev));
    if (batch.events.size() == batch_size && !flush())
      return fail(err,
                  "replay failed after " + std::to_string(accepted)
                    + " accepted events: " + error,
                  refused);
  }
  if (!flush())
    return fail(err,
                "replay failed after " + std::to_string(accepted)
                  + " accepted events: " + error,
                refused);
  std::sort(rejects.begin(), rejects.end(),
            [](auto& x, auto& y) { return x.line < y.line; });
  auto rejected_total = [&] {
    // Line-0 entries stand for `unplaced` events between them.
    uint64_t placed = 0;
    for (auto& r : rejects)
      placed += r.line != 0 ? 1 : 0;
    return placed + unplaced;
  };
  if (opts.json) {
    json::array arr;
    for (auto& r : rejects)
      arr.push_back(json::object{{"line", r.line}, {"reason", r.reason}});
    out << json::serialize(json::object{{"accepted", accepted},
                                        {"rejected", rejected_total()},
                                        {"rejects", std::move(arr)}})
        << '\n';
  } else {
    for (auto& r : rejects)
      out << "line " << r.line << ": rejected: " << r.reason << '\n';
    out << "replayed " << (from_stdin ? "stdin" : args[0]) << ": " << accepted
        << " accepted, " << rejected_total() << " rejected\n";
  }
  return ok;
}

namespace {

// Prints the coordinator's view: queue, workers and their jobs.
void print_cluster(const remote_options& opts, std::ostream& out) {
  connection<dispatcher_actor> conn{opts, opts.coordinator, "coordinator"};
  if (!conn.error.empty()) {
    out << "coordinator: " << conn.error << '\n';
    return;
  }
  std::string error;
  auto st = ask<coordinator_status>(conn, opts, error, atom::status::value);
  if (!st) {
    out << "coordinator " << opts.coordinator << ": " << error << '\n';
    return;
  }
  out << "coordinator " << opts.coordinator << ": " << st->queued << " queued, "
      << st->running << " running, " << st->succeeded << " succeeded, "
      << st->failed << " failed since start; " << st->supervisors
      << " monitor nodes, " << st->workers.size() << " workers\n";
  for (auto& w : st->workers) {
    out << "  worker " << w.worker << ": ";
    if (w.job_id == 0)
      out << "idle\n";
    else
      out << "job " << w.job_id << '\n';
  }
}

} // namespace

int run_status(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err) {
  if (args.size() > 1)
    return fail(err, "usage: retrain-ctl status [MODEL|LINE]", usage);
  // One model or one line: checked here, so a typo is a bad argument
  // rather than an empty answer.
  if (args.size() == 1 && core::check_model_id(args[0])
      && !core::parse_model_line(args[0]))
    return fail(err,
                "'" + args[0]
                  + "' is neither a model id (<project>:<name>:<semver>) "
                    "nor a model line (<project>:<name>)",
                usage);
  connection<monitor_node_actor> conn{opts, opts.node, "node"};
  if (!conn.error.empty())
    return fail(err, conn.error, conn.code);
  std::string error;
  auto models
    = args.empty()
        ? ask<std::vector<model_status>>(conn, opts, error, atom::status::value)
        : ask<std::vector<model_status>>(conn, opts, error, atom::status::value,
                                         args[0]);
  if (!models)
    return fail(err, "status failed: " + error, refused);
  std::sort(models->begin(), models->end(),
            [](auto& x, auto& y) { return x.model < y.model; });
  if (opts.json) {
    json::array arr;
    for (auto& m : *models) {
      json::array kinds;
      for (auto& k : m.kinds)
        kinds.push_back(json::object{{"kind", to_string(k.kind)},
                                     {"strategy", k.strategy},
                                     {"statistic", number(k.statistic)},
                                     {"threshold", number(k.threshold)},
                                     {"samples", k.samples},
                                     {"state", k.state}});
      arr.push_back(json::object{{"model", m.model},
                                 {"state", m.state},
                                 {"events", m.events},
                                 {"triggers", m.triggers},
                                 {"restarts", m.restarts},
                                 {"lost", m.lost},
                                 {"kinds", std::move(kinds)}});
    }
    out << json::serialize(arr) << '\n';
    return ok;
  }
  print_cluster(opts, out);
  out << models->size() << " models\n";
  for (auto& m : *models) {
    out << m.model << "  " << m.state << "  events=" << m.events
        << " triggers=" << m.triggers;
    if (m.restarts > 0 || m.lost > 0)
      out << " restarts=" << m.restarts << " lost=" << m.lost;
    out << '\n';
    for (auto& k : m.kinds)
      out << "  " << std::left << std::setw(11) << to_string(k.kind)
          << std::right << " " << k.strategy << " statistic=" << k.statistic
          << " threshold=" << k.threshold << " samples=" << k.samples
          << " state=" << k.state << '\n';
  }
  return ok;
}

int run_jobs(const remote_options& opts, const std::vector<std::string>& args,
             std::ostream& out, std::ostream& err) {
  if (!args.empty())
    return fail(err, "usage: retrain-ctl jobs", usage);
  connection<dispatcher_actor> conn{opts, opts.coordinator, "coordinator"};
  if (!conn.error.empty())
    return fail(err, conn.error, conn.code);
  std::string error;
  auto jobs = ask<std::vector<job_record>>(conn, opts, error,
                                           atom::jobs::value);
  if (!jobs)
    return fail(err, "jobs failed: " + error, refused);
  if (opts.json) {
    json::array arr;
    for (auto& j : *jobs)
      arr.push_back(json::object{{"id", j.id},
                                 {"model", j.model},
                                 {"state", to_string(j.state)},
                                 {"attempts", j.attempts},
                                 {"version", j.version},
                                 {"merged", j.merged},
                                 {"error", j.error},
                                 {"reason", j.reason},
                                 {"created", iso_time(j.created_at_ns)},
                                 {"updated", iso_time(j.updated_at_ns)}});
    out << json::serialize(arr) << '\n';
    return ok;
  }
  table t{{"ID", "MODEL", "STATE", "ATTEMPTS", "VERSION"}};
  for (auto& j : *jobs) {
    auto version = j.version;
    if (!j.error.empty() && j.state != job_state::succeeded)
      version += (version.empty() ? "(" : "  (") + j.error + ")";
    t.add({std::to_string(j.id), j.model, to_string(j.state),
           std::to_string(j.attempts), version});
  }
  t.print(out);
  return ok;
}

int run_versions(const remote_options& opts,
                 const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err) {
  if (args.size() != 1)
    return fail(err, "usage: retrain-ctl versions LINE (e.g. cv:anomaly)",
                usage);
  if (auto line = core::parse_model_line(args[0]); !line)
    return fail(err, line.error().message, usage);
  connection<dispatcher_actor> conn{opts, opts.coordinator, "coordinator"};
  if (!conn.error.empty())
    return fail(err, conn.error, conn.code);
  std::string error;
  auto versions = ask<std::vector<model_version>>(
    conn, opts, error, atom::versions::value, args[0]);
  if (!versions)
    return fail(err, "versions failed: " + error, refused);
  if (opts.json) {
    json::array arr;
    for (auto& v : *versions)
      arr.push_back(json::object{{"version", v.version},
                                 {"parent", v.parent},
                                 {"job_id", v.job_id},
                                 {"created", iso_time(v.created_at_ns)},
                                 {"reason", v.reason},
                                 {"artifact", v.artifact}});
    out << json::serialize(arr) << '\n';
    return ok;
  }
  table t{{"VERSION", "PARENT", "JOB", "CREATED", "REASON"}};
  for (auto& v : *versions) {
    auto reason = v.reason;
    if (!v.artifact.empty())
      reason += "  artifact=" + v.artifact;
    t.add({v.version, v.parent, std::to_string(v.job_id),
           iso_time(v.created_at_ns), reason});
  }
  t.print(out);
  return ok;
}

} // namespace retrain::ctl
