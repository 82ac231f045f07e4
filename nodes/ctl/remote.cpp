// The retrain-ctl commands that talk to a running node.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>

#include "ctl/commands.hpp"
#include "retrain/config_error.hpp"
#include "retrain/core/csv_event.hpp"
#include "retrain/core/line_splitter.hpp"
#include "retrain/core/model_id.hpp"
#include "retrain/core/number.hpp"
#include "retrain/core/policy.hpp"
#include "retrain/core/shard_map.hpp"
#include "retrain/edge/render_json.hpp"
#include "retrain/messages.hpp"
#include "retrain/monitor_config.hpp"

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

// A client connection: one actor system, one remote handle. A coordinator
// may be given as a list (`A:4243,B:4243`, the coordinators sharing one
// PostgreSQL database): the connection then goes to the active one, which
// each address is asked for in turn, as a node's link does.
template <class Handle>
struct connection {
  client_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  Handle handle;
  /// The address `handle` is at.
  std::string endpoint;
  std::string error;
  /// Exit code for `error`: a malformed endpoint is a bad argument.
  int code = refused;

  connection(const remote_options& opts, const std::string& endpoints,
             const char* what)
    : cfg(opts) {
    std::vector<std::string> list;
    if constexpr (std::is_same_v<Handle, dispatcher_actor>) {
      std::istringstream in{endpoints};
      for (std::string x; std::getline(in, x, ',');)
        list.push_back(x);
      if (endpoints.empty() || endpoints.back() == ',')
        list.push_back({});
    } else {
      list.push_back(endpoints);
    }
    for (auto& x : list) {
      if (!port_of(x)) {
        error = std::string{what} + " '" + x
                + "' is not HOST:PORT (port within [1, 65535])";
        code = usage;
        return;
      }
    }
    sys = std::make_unique<caf::actor_system>(cfg);
    if (list.size() == 1) {
      connect(opts, list.front(), what, error);
      return;
    }
    std::string tried;
    for (auto& x : list) {
      std::string why;
      if (connect(opts, x, what, why) && active(opts, why))
        return;
      handle = nullptr;
      endpoint.clear();
      tried += (tried.empty() ? "" : "; ") + why;
    }
    error = "no active " + std::string{what} + " among " + endpoints + " ("
            + tried + ")";
  }

private:
  static std::optional<uint16_t> port_of(const std::string& x) {
    auto colon = x.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return std::nullopt;
    auto p = core::parse_whole(x.substr(colon + 1), 65535);
    if (!p || *p == 0)
      return std::nullopt;
    return static_cast<uint16_t>(*p);
  }

  // Sets `handle` to what `at` published; else says why in `why`.
  bool connect(const remote_options& opts, const std::string& at,
               const char* what, std::string& why) {
    auto host = at.substr(0, at.rfind(':'));
    auto port = *port_of(at);
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
            why = std::string{what} + " at " + at + " published no actor";
          else if (!sys->assignable<Handle>(ifs))
            why = at + " is not a retrain " + std::string{what}
                  + " (wrong port?)";
          else
            handle = caf::actor_cast<Handle>(std::move(ptr));
        },
        [&](caf::error& err) {
          why = "cannot reach the " + std::string{what} + " at " + at + ": "
                + sys->render(err);
        });
    if (handle)
      endpoint = at;
    return static_cast<bool>(handle);
  }

  // Whether the coordinator at `handle` is the active one of its group;
  // else says why in `why`.
  bool active(const remote_options& opts, std::string& why) {
    bool result = false;
    caf::scoped_actor self{*sys};
    self
      ->request(caf::actor_cast<caf::actor>(handle),
                std::chrono::seconds{opts.timeout_s}, atom::standby::value)
      .receive(
        [&](uint64_t epoch) {
          if (epoch > 0)
            result = true;
          else
            why = endpoint
                  + " runs without a lease (a SQLite registry): "
                    "a list of coordinators needs all of them on one "
                    "PostgreSQL database";
        },
        [&](caf::error& err) {
          why = endpoint
                + (err == ec::standby ? " is a standby"
                                      : " did not answer: " + sys->render(err));
        });
    return result;
  }
};

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

metric_event to_event(core::csv_event&& ev) {
  return metric_event{std::move(ev.model), ev.kind, ev.value,
                      ev.observed_at_ns};
}

/// Lines longer than this are refused without being read whole.
constexpr std::size_t max_line_length = 1 << 20;

/// Events per batch sent to the node.
constexpr std::size_t batch_size = 1000;

/// Refusals `replay --json` lists; beyond them it counts.
constexpr std::size_t max_json_rejects = 1000;

/// Where the refusals of a replay go, in line order: printed at once as
/// text, or, for --json, the first `max_json_rejects` kept for the closing
/// document and the rest counted. Memory stays bounded for any number of
/// refusals.
class reject_output {
public:
  reject_output(bool json, std::ostream& out) : json_(json), out_(out) {
    // nop
  }

  /// Reports `events` refused events at `line` (0: events the node refused
  /// without naming them, `events` of them).
  void add(uint64_t line, std::string reason, uint64_t events = 1) {
    total_ += events;
    if (!json_)
      out_ << "line " << line << ": rejected: " << reason << '\n';
    else if (kept_.size() < max_json_rejects)
      kept_.push_back(json::object{{"line", line}, {"reason", reason}});
    else
      ++omitted_;
  }

  /// Prints the closing summary.
  void finish(const std::string& source, uint64_t accepted) {
    if (!json_) {
      out_ << "replayed " << source << ": " << accepted << " accepted, "
           << total_ << " rejected\n";
      return;
    }
    json::object doc{{"accepted", accepted},
                     {"rejected", total_},
                     {"rejects", std::move(kept_)}};
    if (omitted_ > 0)
      doc["rejects_omitted"] = omitted_;
    out_ << json::serialize(doc) << '\n';
  }

private:
  bool json_;
  std::ostream& out_;
  uint64_t total_ = 0;
  json::array kept_;
  uint64_t omitted_ = 0;
};

/// Replays CSV lines to a node in batches. Refusals leave in line order
/// although the node answers for a batch only when it is full: a line
/// refused here waits while an earlier line is still in the open batch,
/// and at most `batch_size` of them wait before the batch goes early.
class replayer {
public:
  replayer(connection<monitor_node_actor>& conn, const remote_options& opts,
           reject_output& rejects)
    : conn_(conn), opts_(opts), rejects_(rejects) {
    // nop
  }

  /// Takes one line; false when the node did not answer (see `error`).
  bool add(const core::text_line& line) {
    if (line.too_long)
      return refuse(line.number, "line of " + std::to_string(line.length)
                                   + " bytes is longer than "
                                   + std::to_string(max_line_length));
    auto text = line.text;
    // Spreadsheets often save CSV with a UTF-8 byte order mark.
    if (line.number == 1 && text.substr(0, 3) == "\xEF\xBB\xBF")
      text.remove_prefix(3);
    if (text.find_first_not_of(" \t") == std::string_view::npos)
      return true;
    if (line.number == 1 && text.substr(0, 6) == "model,")
      return true; // header
    auto ev = core::parse_csv_event(text);
    if (!ev)
      return refuse(line.number, ev.error().message);
    lines_.push_back(line.number);
    batch_.events.push_back(to_event(std::move(*ev)));
    return batch_.events.size() < batch_size || flush();
  }

  /// Sends the open batch and reports its refusals with the waiting ones;
  /// false when the node did not answer (see `error`).
  bool flush() {
    if (batch_.events.empty()) {
      emit_waiting(std::numeric_limits<uint64_t>::max());
      return true;
    }
    auto report = ask<batch_report>(conn_, opts_, error_, atom::explain::value,
                                    std::move(batch_));
    batch_.events.clear();
    if (!report)
      return false;
    auto& ack = report->ack;
    accepted_ += ack.accepted;
    // The node names every event it refused, in ingest or later (a
    // quarantined model); anything beyond that comes as a count.
    std::vector<std::pair<uint64_t, std::string>> named;
    for (auto& r : report->rejects)
      if (r.index < lines_.size())
        named.emplace_back(lines_[r.index], error_text(r.reason));
    std::sort(named.begin(), named.end(),
              [](auto& x, auto& y) { return x.first < y.first; });
    for (auto& [line, reason] : named) {
      emit_waiting(line);
      rejects_.add(line, std::move(reason));
    }
    emit_waiting(std::numeric_limits<uint64_t>::max());
    if (ack.rejected > named.size()) {
      auto more = ack.rejected - named.size();
      rejects_.add(0,
                   std::to_string(more)
                     + " events refused by the node after ingest, first: "
                     + ack.first_error,
                   more);
    }
    lines_.clear();
    return true;
  }

  /// Events the node took.
  uint64_t accepted() const {
    return accepted_;
  }

  /// Why the node did not answer.
  const std::string& error() const {
    return error_;
  }

private:
  bool refuse(uint64_t line, std::string reason) {
    if (batch_.events.empty()) {
      rejects_.add(line, std::move(reason));
      return true;
    }
    waiting_.emplace_back(line, std::move(reason));
    return waiting_.size() < batch_size || flush();
  }

  // Reports the waiting refusals of lines before `line`.
  void emit_waiting(uint64_t line) {
    std::size_t i = 0;
    for (; i < waiting_.size() && waiting_[i].first < line; ++i)
      rejects_.add(waiting_[i].first, std::move(waiting_[i].second));
    waiting_.erase(waiting_.begin(), waiting_.begin() + i);
  }

  connection<monitor_node_actor>& conn_;
  const remote_options& opts_;
  reject_output& rejects_;
  metric_batch batch_;
  // The line of each event in `batch_`.
  std::vector<uint64_t> lines_;
  // Refusals of lines after the first line of `batch_`, in line order.
  std::vector<std::pair<uint64_t, std::string>> waiting_;
  uint64_t accepted_ = 0;
  std::string error_;
};

} // namespace

int run_send(const remote_options& opts, const std::vector<std::string>& args,
             std::ostream& out, std::ostream& err) {
  if (args.size() != 3)
    return fail(err, "usage: retrain-ctl send MODEL KIND VALUE", usage);
  // Each argument is one field: a value cannot carry a time ("0.9,123").
  auto parsed = core::parse_event_fields(args[0], args[1], args[2]);
  if (!parsed)
    return fail(err, parsed.error().message, usage);
  connection<ingest_actor> conn{opts, opts.node, "node"};
  if (!conn.error.empty())
    return fail(err, conn.error, conn.code);
  std::string error;
  metric_batch batch;
  batch.events.push_back(to_event(std::move(*parsed)));
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
  int fd = STDIN_FILENO;
  if (!from_stdin) {
    std::error_code ec;
    if (std::filesystem::is_directory(args[0], ec))
      return fail(err, "'" + args[0] + "' is a directory, not a CSV file",
                  usage);
    fd = ::open(args[0].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return fail(err, "cannot open '" + args[0] + "'", usage);
  }
  struct closer {
    int fd;
    ~closer() {
      if (fd != STDIN_FILENO)
        ::close(fd);
    }
  } close_input{fd};
  connection<monitor_node_actor> conn{opts, opts.node, "node"};
  if (!conn.error.empty())
    return fail(err, conn.error, conn.code);
  reject_output rejects{opts.json, out};
  replayer replay{conn, opts, rejects};
  auto failed = [&] {
    return fail(err,
                "replay failed after " + std::to_string(replay.accepted())
                  + " accepted events: " + replay.error(),
                refused);
  };
  core::line_splitter lines{max_line_length};
  auto take_lines = [&] {
    while (auto line = lines.next())
      if (!replay.add(*line))
        return false;
    return true;
  };
  // Read in chunks, never a whole line: memory stays bounded whatever the
  // input holds.
  std::vector<char> buf(64 * 1024);
  while (true) {
    auto n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail(err, "cannot read '" + args[0] + "': " + std::strerror(errno),
                  usage);
    if (n == 0)
      break;
    lines.feed({buf.data(), static_cast<std::size_t>(n)});
    if (!take_lines())
      return failed();
    out.flush();
  }
  lines.finish();
  if (!take_lines() || !replay.flush())
    return failed();
  rejects.finish(from_stdin ? "stdin" : args[0], replay.accepted());
  return ok;
}
namespace {

// Prints the version of the coordinator and of every node linked to it, and
// says so when they differ.
void print_versions(const coordinator_status& st, std::ostream& out) {
  out << "  version: " << (st.version.empty() ? "unknown" : st.version) << '\n';
  std::set<std::string> distinct;
  if (!st.version.empty())
    distinct.insert(st.version);
  for (auto& [node, version] : st.node_versions) {
    out << "  node " << node << ": " << version << '\n';
    distinct.insert(version);
  }
  if (distinct.size() > 1)
    out << "  warning: the cluster runs " << distinct.size()
        << " different retrain versions\n";
}

// Prints how many shards each monitor node owns.
void print_shard_spread(connection<dispatcher_actor>& conn,
                        const remote_options& opts, std::ostream& out) {
  std::string error;
  auto map = ask<shard_table>(conn, opts, error, atom::shards::value);
  if (!map) {
    out << "  shards: " << error << '\n';
    return;
  }
  std::vector<uint32_t> held(map->nodes.size());
  uint32_t none = 0;
  for (auto owner : map->owners)
    if (owner >= 0 && static_cast<size_t>(owner) < held.size())
      ++held[static_cast<size_t>(owner)];
    else
      ++none;
  out << "  shards: " << map->shards() << " (map v" << map->version << ")";
  for (size_t i = 0; i < held.size(); ++i)
    out << "; " << map->nodes[i].node << " " << held[i];
  if (none > 0)
    out << "; no owner " << none;
  out << '\n';
}

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
    out << "coordinator " << conn.endpoint << ": " << error << '\n';
    return;
  }
  out << "coordinator " << conn.endpoint << ": " << st->queued << " queued, "
      << st->running << " running, " << st->succeeded << " succeeded, "
      << st->failed << " failed since start; " << st->supervisors
      << " monitor nodes, " << st->workers.size() << " workers\n";
  out << "  storage: " << st->storage << "; registry " << st->registry << '\n';
  print_versions(*st, out);
  print_shard_spread(conn, opts, out);
  for (auto& w : st->workers) {
    out << "  worker " << w.worker << ": ";
    if (w.job_id == 0)
      out << "idle\n";
    else
      out << "job " << w.job_id << '\n';
  }
}

// Whether `x` is a model id or a model line.
bool is_model_or_line(const std::string& x) {
  return !core::check_model_id(x) || core::parse_model_line(x);
}

std::string not_model_or_line(const std::string& x) {
  return "'" + x
         + "' is neither a model id (<project>:<name>:<semver>) nor a model "
           "line (<project>:<name>)";
}

} // namespace

namespace {

const char* status_usage
  = "usage: retrain-ctl status [MODEL|LINE] [--state=STATE] [--line=LINE] "
    "[--limit=N] [--offset=N]";

// Default rows per page when rows are asked for without --limit.
constexpr uint64_t default_status_limit = 100;

// What `status` was asked: the query and whether rows are wanted.
struct status_args {
  model_query query;
  bool rows = false;
  std::string error;
};

status_args parse_status_args(const std::vector<std::string>& args) {
  status_args result;
  auto& q = result.query;
  std::optional<uint64_t> limit;
  auto fail = [&](std::string what) {
    result.error = std::move(what);
    return result;
  };
  for (auto& arg : args) {
    auto value = [&](const char* prefix) -> std::optional<std::string> {
      auto n = std::char_traits<char>::length(prefix);
      if (arg.compare(0, n, prefix) != 0)
        return std::nullopt;
      return arg.substr(n);
    };
    auto number = [&](const std::string& name, const std::string& text,
                      uint64_t& out) {
      auto x = core::parse_whole(text);
      if (!x) {
        result.error = "--" + name
                       + " needs a whole number: " + x.error().message;
        return false;
      }
      out = *x;
      return true;
    };
    if (auto v = value("--state=")) {
      if (*v != "watching" && *v != "job-active" && *v != "standing-down"
          && *v != "passivated" && *v != "quarantined")
        return fail("--state must be one of watching, job-active, "
                    "standing-down, passivated, quarantined");
      q.state = *v;
    } else if (auto v = value("--line=")) {
      if (!q.which.empty())
        return fail("give one model or line, not both");
      if (auto parsed = core::parse_model_line(*v); !parsed)
        return fail(parsed.error().message);
      q.which = *v;
    } else if (auto v = value("--limit=")) {
      uint64_t x = 0;
      if (!number("limit", *v, x))
        return result;
      if (x == 0)
        return fail("--limit must be at least 1");
      limit = x;
    } else if (auto v = value("--offset=")) {
      if (!number("offset", *v, q.offset))
        return result;
      result.rows = true;
    } else if (arg.rfind("--", 0) == 0) {
      return fail("unknown option '" + arg + "' for status");
    } else if (!q.which.empty()) {
      return fail("give one model or line, not both");
    } else {
      // One model or one line: checked here, so a typo is a bad argument
      // rather than an empty answer.
      if (!is_model_or_line(arg))
        return fail(not_model_or_line(arg));
      q.which = arg;
    }
  }
  result.rows = result.rows || limit || !q.which.empty() || !q.state.empty();
  if (result.rows)
    q.limit = limit ? *limit : default_status_limit;
  return result;
}

// Prints the counts by state of what `page` covers.
void print_summary(const model_query& query, const model_page& page,
                   std::ostream& out) {
  out << page.models << " models";
  if (!query.which.empty())
    out << " of " << query.which;
  const char* sep = ": ";
  for (auto& [state, n] : page.states) {
    out << sep << n << ' ' << state;
    sep = ", ";
  }
  out << '\n';
  out << "flush window: " << std::setprecision(3)
      << static_cast<double>(page.flush_window_ns) / 1e6 << " ms\n";
}

void print_rows(const model_query& query, const model_page& page,
                std::ostream& out) {
  if (page.rows.empty()) {
    out << "no rows (" << page.total << " match, from offset " << page.offset
        << ")\n";
    return;
  }
  auto last = page.offset + page.rows.size();
  out << "rows " << page.offset + 1 << "-" << last << " of " << page.total;
  if (!query.state.empty())
    out << " " << query.state;
  if (last < page.total)
    out << "; more with --offset=" << last;
  out << '\n';
  for (auto& m : page.rows) {
    out << m.model << "  " << m.state << "  events=" << m.events
        << " triggers=" << m.triggers;
    if (m.restarts > 0 || m.lost > 0)
      out << " restarts=" << m.restarts << " lost=" << m.lost;
    out << " policy=" << m.policy;
    if (m.policy_version > 0)
      out << " v" << m.policy_version;
    out << '\n';
    for (auto& k : m.kinds)
      out << "  " << std::left << std::setw(11) << to_string(k.kind)
          << std::right << " " << k.strategy << " statistic=" << k.statistic
          << " threshold=" << k.threshold << " samples=" << k.samples
          << " state=" << k.state << '\n';
  }
}

} // namespace

int run_status(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err) {
  auto parsed = parse_status_args(args);
  if (!parsed.error.empty())
    return fail(err, parsed.error + "\n" + status_usage, usage);
  connection<monitor_node_actor> conn{opts, opts.node, "node"};
  if (!conn.error.empty())
    return fail(err, conn.error, conn.code);
  std::string error;
  auto page = ask<model_page>(conn, opts, error, atom::status::value,
                              parsed.query);
  if (!page)
    return fail(err, "status failed: " + error, refused);
  if (opts.json) {
    if (parsed.rows) {
      out << json::serialize(edge::to_json_array(page->rows)) << '\n';
    } else {
      json::object states;
      for (auto& [state, n] : page->states)
        states[state] = n;
      out << json::serialize(
        json::object{{"models", page->models},
                     {"states", std::move(states)},
                     {"flush_window_seconds",
                      static_cast<double>(page->flush_window_ns) / 1e9}})
          << '\n';
    }
    return ok;
  }
  print_cluster(opts, out);
  print_summary(parsed.query, *page, out);
  if (parsed.rows)
    print_rows(parsed.query, *page, out);
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
    out << json::serialize(edge::to_json_array(*jobs)) << '\n';
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

int run_forget(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err) {
  if (args.size() != 1)
    return fail(err, "usage: retrain-ctl forget MODEL|LINE", usage);
  if (!is_model_or_line(args[0]))
    return fail(err, not_model_or_line(args[0]), usage);
  connection<monitor_node_actor> conn{opts, opts.node, "node"};
  if (!conn.error.empty())
    return fail(err, conn.error, conn.code);
  std::string error;
  auto n = ask<uint64_t>(conn, opts, error, atom::forget::value, args[0]);
  if (!n)
    return fail(err, "forget failed: " + error, refused);
  if (opts.json)
    out << json::serialize(json::object{{"forgotten", *n}}) << '\n';
  else
    out << "forgot " << *n << (*n == 1 ? " model\n" : " models\n");
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
    out << json::serialize(edge::to_json_array(*versions)) << '\n';
    return ok;
  }
  table t{{"VERSION", "PARENT", "JOB", "CREATED", "REASON"}};
  for (auto& v : *versions) {
    auto reason = v.reason;
    if (!v.artifact.empty())
      reason += "  artifact=" + v.artifact;
    t.add({v.version, v.parent, std::to_string(v.job_id),
           edge::iso_time(v.created_at_ns), reason});
  }
  t.print(out);
  return ok;
}

// -- policies -----------------------------------------------------------------

namespace {

// The arguments of `policy set|rm` after the pattern.
struct policy_args {
  std::string file;
  std::string kind;
  std::string strategy;
  std::string threshold;
  std::string by;
  std::string reason;
};

// Reads `--key VALUE` and `--key=VALUE` options; an error text, or empty.
std::string parse_policy_args(const std::vector<std::string>& args,
                              std::size_t first, policy_args& out) {
  struct option {
    const char* name;
    std::string* slot;
  };
  option options[] = {{"--file", &out.file},
                      {"--kind", &out.kind},
                      {"--strategy", &out.strategy},
                      {"--threshold", &out.threshold},
                      {"--by", &out.by},
                      {"--reason", &out.reason}};
  for (auto i = first; i < args.size(); ++i) {
    auto& arg = args[i];
    bool known = false;
    for (auto& o : options) {
      std::string name = o.name;
      if (arg == name) {
        if (i + 1 >= args.size())
          return name + " needs a value";
        *o.slot = args[++i];
        known = true;
      } else if (arg.compare(0, name.size() + 1, name + "=") == 0) {
        *o.slot = arg.substr(name.size() + 1);
        known = true;
      }
      if (known)
        break;
    }
    if (!known)
      return "unexpected argument '" + arg + "'";
  }
  return {};
}

// The policy text of `policy set`: the file, or one kind's strategy or
// threshold; an error text in `error`.
std::string policy_text(const policy_args& a, std::string& error) {
  if (!a.file.empty()) {
    if (!a.kind.empty() || !a.strategy.empty() || !a.threshold.empty()) {
      error = "give --file or --kind with --strategy or --threshold, not both";
      return {};
    }
    std::ifstream in{a.file, std::ios::binary};
    if (!in) {
      error = "cannot read '" + a.file + "': " + std::strerror(errno);
      return {};
    }
    std::string text;
    char buf[4096];
    while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(in.gcount()));
      if (text.size() > (1u << 20)) {
        error = "'" + a.file + "' is larger than 1 MiB";
        return {};
      }
    }
    return text;
  }
  if (a.kind.empty() || (a.strategy.empty() == a.threshold.empty())) {
    error = "policy set needs --file P.ini, or --kind K with --strategy "
            "\"NAME [KEY=VALUE ...]\" or --threshold X";
    return {};
  }
  auto quote = [](const std::string& x) {
    std::string result = "\"";
    for (auto c : x) {
      if (c == '"' || c == '\\')
        result += '\\';
      result += c;
    }
    return result + "\"";
  };
  if (!a.strategy.empty())
    return "[retrain.strategy]\n" + a.kind + " = " + quote(a.strategy) + "\n";
  return "[retrain.threshold]\n" + a.kind + " = " + quote(a.threshold) + "\n";
}

void print_record(const policy_record& x, std::ostream& out) {
  out << "# " << x.pattern << " v" << x.version << " (epoch " << x.epoch << ") "
      << (x.removed ? "removed" : "set") << " "
      << edge::iso_time(x.created_at_ns);
  if (!x.by.empty())
    out << " by " << x.by;
  if (!x.reason.empty())
    out << ": " << x.reason;
  out << '\n' << x.text;
}

int policy_usage(std::ostream& err) {
  return fail(err,
              "usage: retrain-ctl policy set PATTERN (--file P.ini | --kind "
              "K --strategy \"NAME [KEY=VALUE ...]\" | --kind K --threshold "
              "X) [--by WHO] [--reason WHY]\n"
              "       retrain-ctl policy get|history PATTERN\n"
              "       retrain-ctl policy rm PATTERN [--by WHO] [--reason WHY]\n"
              "       retrain-ctl policy list\n"
              "       retrain-ctl policy explain MODEL|LINE\n"
              "PATTERN is *, PROJECT:* or PROJECT:NAME",
              usage);
}

// Asks the coordinator for `xs...`; the answer, or the exit code in
// `code` (2 for a policy it refuses, 1 otherwise) after saying why.
template <class T, class... Ts>
std::optional<T> ask_policies(const remote_options& opts, std::ostream& err,
                              int& code, Ts&&... xs) {
  connection<dispatcher_actor> conn{opts, opts.coordinator, "coordinator"};
  if (!conn.error.empty()) {
    code = fail(err, conn.error, conn.code);
    return std::nullopt;
  }
  std::optional<T> result;
  caf::scoped_actor self{*conn.sys};
  self
    ->request(conn.handle, std::chrono::seconds{opts.timeout_s},
              std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& e) {
               auto bad = e == ec::invalid_config;
               code = fail(err,
                           "policy refused: "
                             + (e.category() == caf::atom("retrain")
                                  ? error_text(e)
                                  : conn.sys->render(e)),
                           bad ? usage : refused);
             });
  return result;
}

// The current version of `pattern`'s policy, if it has one.
std::optional<policy_record>
current_policy(const std::vector<policy_record>& history) {
  if (history.empty() || history.back().removed)
    return std::nullopt;
  return history.back();
}

} // namespace

int run_policy(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err) {
  if (args.empty())
    return policy_usage(err);
  auto& verb = args[0];
  int code = ok;
  if (verb == "list") {
    if (args.size() != 1)
      return policy_usage(err);
    auto xs = ask_policies<std::vector<policy_record>>(opts, err, code,
                                                       atom::policy::value);
    if (!xs)
      return code;
    if (opts.json) {
      out << json::serialize(edge::to_json_array(*xs)) << '\n';
      return ok;
    }
    table t{{"PATTERN", "VERSION", "EPOCH", "CHANGED", "BY", "REASON"}};
    for (auto& x : *xs)
      t.add({x.pattern, std::to_string(x.version), std::to_string(x.epoch),
             edge::iso_time(x.created_at_ns), x.by, x.reason});
    t.print(out);
    return ok;
  }
  if (verb == "explain") {
    if (args.size() != 2)
      return policy_usage(err);
    if (!is_model_or_line(args[1]))
      return fail(err, not_model_or_line(args[1]), usage);
    connection<monitor_node_actor> conn{opts, opts.node, "node"};
    if (!conn.error.empty())
      return fail(err, conn.error, conn.code);
    std::string error;
    auto e = ask<core::policy_explanation>(conn, opts, error,
                                           atom::explain::value, args[1]);
    if (!e)
      return fail(err, "explain failed: " + error, refused);
    if (opts.json) {
      out << json::serialize(edge::to_json(*e)) << '\n';
      return ok;
    }
    out << e->line << ": ";
    if (e->version == 0)
      out << "no policy matches: the node config applies\n";
    else
      out << "policy " << e->pattern << " v" << e->version
          << " (the most specific of the " << e->matched.size()
          << " that match: ";
    for (std::size_t i = 0; e->version > 0 && i < e->matched.size(); ++i)
      out << (i > 0 ? ", " : "") << e->matched[i];
    if (e->version > 0)
      out << ")\n";
    table t{{"SETTING", "VALUE", "FROM"}};
    for (auto& s : e->settings)
      t.add({s.key, s.value, s.source});
    t.print(out);
    return ok;
  }
  if (args.size() < 2)
    return policy_usage(err);
  auto& pattern = args[1];
  if (auto p = core::parse_policy_pattern(pattern); !p)
    return fail(err, p.error().message, usage);
  if (verb == "get" || verb == "history") {
    if (args.size() != 2)
      return policy_usage(err);
    auto xs = ask_policies<std::vector<policy_record>>(
      opts, err, code, atom::policy::value, pattern);
    if (!xs)
      return code;
    if (verb == "get") {
      auto x = current_policy(*xs);
      if (!x)
        return fail(err, "no policy for " + pattern, refused);
      if (opts.json)
        out << json::serialize(edge::to_json(*x)) << '\n';
      else
        print_record(*x, out);
      return ok;
    }
    if (opts.json) {
      out << json::serialize(edge::to_json_array(*xs)) << '\n';
      return ok;
    }
    for (std::size_t i = 0; i < xs->size(); ++i) {
      if (i > 0)
        out << '\n';
      print_record((*xs)[i], out);
    }
    return ok;
  }
  if (verb != "set" && verb != "rm")
    return policy_usage(err);
  policy_args a;
  if (auto e = parse_policy_args(args, 2, a); !e.empty())
    return fail(err, e, usage);
  policy_change change;
  change.pattern = pattern;
  change.by = a.by;
  change.reason = a.reason;
  if (verb == "rm") {
    if (!a.file.empty() || !a.kind.empty() || !a.strategy.empty()
        || !a.threshold.empty())
      return fail(err, "policy rm takes only --by and --reason", usage);
    change.remove = true;
  } else {
    std::string error;
    change.text = policy_text(a, error);
    if (!error.empty())
      return fail(err, error, usage);
    // Checked here too, so that a typo never needs the coordinator.
    if (auto parsed = core::parse_policy(change.text); !parsed)
      return fail(err, "policy refused: " + parsed.error().message, usage);
  }
  auto x = ask_policies<policy_record>(opts, err, code, std::move(change));
  if (!x)
    return code;
  if (opts.json)
    out << json::serialize(edge::to_json(*x)) << '\n';
  else
    out << "policy " << x->pattern << " v" << x->version << " "
        << (x->removed ? "removed" : "set") << " (epoch " << x->epoch << ")\n";
  return ok;
}

int run_policy_backtest(const remote_options& opts,
                        const std::vector<std::string>& args, std::ostream& out,
                        std::ostream& err) {
  std::string pattern;
  std::string kind_name;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--policy" || args[i] == "--kind") && i + 1 < args.size()) {
      (args[i] == "--policy" ? pattern : kind_name) = args[i + 1];
      ++i;
    } else if (args[i].rfind("--policy=", 0) == 0) {
      pattern = args[i].substr(9);
    } else if (args[i].rfind("--kind=", 0) == 0) {
      kind_name = args[i].substr(7);
    } else if (args[i] == "--strategy" || args[i] == "--param") {
      return fail(err, "backtest takes --policy or --strategy, not both",
                  usage);
    } else {
      rest.push_back(args[i]);
    }
  }
  if (auto p = core::parse_policy_pattern(pattern); !p)
    return fail(err, p.error().message, usage);
  int code = ok;
  auto xs = ask_policies<std::vector<policy_record>>(
    opts, err, code, atom::policy::value, pattern);
  if (!xs)
    return code;
  auto x = current_policy(*xs);
  if (!x)
    return fail(err, "no policy for " + pattern, refused);
  auto parsed = core::parse_policy(x->text);
  if (!parsed)
    return fail(err, "policy " + pattern + ": " + parsed.error().message,
                refused);
  // Kinds the policy sets; the one to run must be clear.
  std::optional<metric_kind> kind;
  if (!kind_name.empty()) {
    kind = parse_metric_kind(kind_name);
    if (!kind)
      return fail(err,
                  "unknown kind '" + kind_name
                    + "' (known: " + std::string{metric_kind_names()} + ")",
                  usage);
  } else {
    for (std::size_t i = 0; i < metric_kind_count; ++i) {
      if (!parsed->strategy[i] && !parsed->threshold[i])
        continue;
      if (kind)
        return fail(err,
                    "policy " + pattern
                      + " sets several kinds: name one with --kind",
                    usage);
      kind = static_cast<metric_kind>(i);
    }
    if (!kind)
      return fail(err,
                  "policy " + pattern
                    + " sets no strategy or threshold: name a kind with "
                      "--kind",
                  usage);
  }
  // What it leaves unset comes from the built-in defaults: backtest needs
  // no node, so it knows no node's configuration.
  core::stored_policy stored{*core::parse_policy_pattern(pattern), x->version,
                             std::move(*parsed)};
  auto resolved = core::resolve(monitor_config::defaults().policy_base(),
                                &stored);
  auto& spec = resolved.kinds[static_cast<std::size_t>(*kind)];
  if (!spec)
    return fail(
      err, "policy " + pattern + " does not watch " + to_string(*kind), usage);
  std::vector<std::string> run{"--strategy", spec->name};
  for (auto& [key, value] : spec->params) {
    run.push_back("--param");
    run.push_back(key + "=" + value);
  }
  run.insert(run.end(), rest.begin(), rest.end());
  return run_backtest_command(run, out, err);
}

// -- shards -------------------------------------------------------------------

int run_shards(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err) {
  if (!args.empty())
    return fail(err, "usage: retrain-ctl shards", usage);
  connection<dispatcher_actor> conn{opts, opts.coordinator, "coordinator"};
  if (!conn.error.empty())
    return fail(err, conn.error, conn.code);
  std::string error;
  auto map = ask<shard_table>(conn, opts, error, atom::shards::value);
  if (!map)
    return fail(err, "shards failed: " + error, refused);
  // Models per shard, from each owner's status: a node's name is its
  // ingest endpoint.
  std::vector<int64_t> models(map->shards(), -1);
  for (auto& node : map->nodes) {
    if (node.port == 0)
      continue;
    connection<monitor_node_actor> mc{opts, node.node, "node"};
    if (!mc.error.empty()) {
      err << "retrain-ctl: " << mc.error << '\n';
      continue;
    }
    auto st = ask<std::vector<model_status>>(mc, opts, error,
                                             atom::status::value);
    if (!st) {
      err << "retrain-ctl: status of " << node.node << " failed: " << error
          << '\n';
      continue;
    }
    for (uint32_t s = 0; s < map->shards(); ++s)
      if (auto owner = map->owner(s); owner && owner->node == node.node)
        models[s] = 0;
    for (auto& m : *st) {
      auto s = core::shard_of_model(m.model, map->shards());
      if (auto owner = map->owner(s); owner && owner->node == node.node)
        ++models[s];
    }
  }
  auto owner_name = [&](uint32_t s) {
    auto owner = map->owner(s);
    return owner ? owner->node : std::string{};
  };
  if (opts.json) {
    json::array rows;
    for (uint32_t s = 0; s < map->shards(); ++s) {
      json::object row{
        {"shard", s}, {"owner", owner_name(s)}, {"epoch", map->epochs[s]}};
      if (models[s] >= 0)
        row["models"] = models[s];
      else
        row["models"] = nullptr;
      rows.push_back(std::move(row));
    }
    out << json::serialize(
      json::object{{"version", map->version}, {"shards", std::move(rows)}})
        << '\n';
    return ok;
  }
  table t{{"SHARD", "OWNER", "EPOCH", "MODELS"}};
  for (uint32_t s = 0; s < map->shards(); ++s) {
    auto owner = owner_name(s);
    t.add({std::to_string(s), owner.empty() ? "-" : owner,
           std::to_string(map->epochs[s]),
           models[s] >= 0 ? std::to_string(models[s]) : "?"});
  }
  t.print(out);
  return ok;
}

} // namespace retrain::ctl
