#include "retrain/node_config.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include <caf/config_option_adder.hpp>
#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>

#include "ini_parser.hpp"
#include "option_access.hpp"
#include "option_text.hpp"
#include "retrain/core/strategy_spec.hpp"
#include "retrain/register_messages.hpp"

namespace retrain {

using detail::describe_parse_error;
using detail::quote;
using detail::show;
using detail::show_field;
using detail::value_error;

namespace {

// -- CAF settings a node changes ---------------------------------------------

struct caf_override {
  std::string key;
  caf::config_value value;
};

std::vector<caf_override> caf_overrides() {
  namespace d = defaults::caf_settings;
  return {
    {"scheduler.policy", caf::config_value{caf::atom(d::scheduler_policy)}},
    {"middleman.heartbeat-interval",
     caf::config_value{caf::timespan{d::heartbeat_interval}}},
    {"middleman.connection-timeout",
     caf::config_value{caf::timespan{d::connection_timeout}}},
  };
}

// Prints what CAF's help text cannot know: the --config alias and the
// defaults a node changes.
void print_help_banner() {
  std::string changed = "  defaults that differ from CAF's text below:";
  auto line_start = std::size_t{0};
  for (auto& x : caf_overrides()) {
    auto item = x.key + "=" + show(x.value);
    if (changed.size() - line_start + item.size() > 76) {
      line_start = changed.size() + 1;
      changed += "\n ";
    }
    changed += " " + item + ",";
  }
  changed.back() = '\n';
  std::cerr << "usage: retrain-node [--config=FILE] [--KEY=VALUE ...]\n"
               "  --config=FILE is --config-file=FILE (an INI file such as "
               "config/retrain.ini)\n"
            << changed << '\n';
}

// -- reading values ----------------------------------------------------------

// The option for the dotted `key`, if any.
const caf::config_option* find_option(const caf::config_option_set& options,
                                      const std::string& key) {
  auto dot = key.rfind('.');
  if (dot == std::string::npos)
    return options.qualified_name_lookup("global", key);
  return options.qualified_name_lookup(caf::string_view{key}.substr(0, dot),
                                       caf::string_view{key}.substr(dot + 1));
}

// A value as the option takes it: whole numbers are numbers too.
caf::config_value as_option_value(const caf::config_option& opt,
                                  const caf::config_value& x) {
  if (opt.type_name() == "real64")
    if (auto integer = caf::get_if<caf::config_value::integer>(&x))
      return caf::config_value{static_cast<double>(*integer)};
  return x;
}

// Calls `f(key, value)` for every leaf of `xs`, with dotted keys.
template <class F>
caf::error
for_each_leaf(const caf::settings& xs, const std::string& prefix, F& f) {
  for (auto& [name, value] : xs) {
    auto key = prefix.empty() ? name : prefix + "." + name;
    auto dict = caf::get_if<caf::settings>(&value);
    if (auto err = dict ? for_each_leaf(*dict, key, f) : f(key, value))
      return err;
  }
  return caf::none;
}

// The ranges of CAF's own settings that CAF does not check (it runs work
// stealing after a warning for an unknown policy, takes a negative
// heartbeat interval, and runs no actor at all with zero threads), and the
// one range of every duration.
caf::error check_range(const std::string& key, const caf::config_value& x) {
  if (auto span = caf::get_if<caf::timespan>(&x); span && span->count() < 0)
    return config_error(key + "=" + show(x) + " must not be negative");
  if (key == "scheduler.policy")
    if (auto policy = caf::get_if<caf::atom_value>(&x);
        policy && *policy != caf::atom("stealing")
        && *policy != caf::atom("sharing"))
      return config_error(key + "=" + quote(show(x))
                          + " is not one of stealing, sharing");
  if (key == "scheduler.max-threads")
    if (auto n = caf::get_if<caf::config_value::integer>(&x); n && *n < 1)
      return config_error(key + "=" + show(x) + " must be at least 1");
  return caf::none;
}

// Config files larger than this are refused unread: no node needs more,
// and a path such as /dev/zero must not fill the memory.
constexpr std::size_t max_config_size = 1 << 20;

// Reads the config file at `path`; a missing file is an error only when the
// user named it.
caf::expected<std::string> read_text(const std::string& path, bool named) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return named ? caf::expected<std::string>{config_error(
             "cannot open config file " + quote(path))}
                 : std::string{};
  // A directory opens, and reads as empty.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return config_error("config file " + quote(path) + " is a directory");
  std::string text;
  char buf[65536];
  while (in && text.size() <= max_config_size) {
    in.read(buf, sizeof(buf));
    text.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad())
    return config_error("cannot read config file " + quote(path));
  if (text.size() > max_config_size)
    return config_error("config file " + quote(path) + " is larger than 1 MiB");
  return text;
}

// Refuses an argument with a NUL byte, which no process receives but a
// caller of `parse_settings` could pass.
caf::error check_argument(const std::string& arg) {
  auto nul = arg.find('\0');
  if (nul == std::string::npos)
    return caf::none;
  auto eq = arg.find('=');
  if (arg.compare(0, 2, "--") == 0 && eq < nul)
    return config_error(detail::escape(arg.substr(2, eq - 2)) + "="
                        + quote(arg.substr(eq + 1)) + " contains a NUL byte");
  return config_error("argument " + quote(arg) + " contains a NUL byte");
}

// -- the data dir ------------------------------------------------------------

caf::error check_data_dir(const std::string& dir) {
  std::error_code err;
  std::filesystem::create_directories(dir, err);
  if (err)
    return config_error("retrain.data-dir=" + quote(dir)
                        + " cannot be created: " + err.message());
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return config_error("retrain.data-dir=" + quote(dir) + " is not writable");
  return caf::none;
}

} // namespace

// -- declaring the options ---------------------------------------------------

// Adds options of one category, each bound to the field it fills; the help
// text ends with the field's value now, its default.
class node_config::binder {
public:
  binder(node_config& cfg, std::string category)
    : cfg_(cfg), category_(std::move(category)) {
    // nop
  }

  template <class T>
  binder& add(T& field, const std::string& name, const std::string& help) {
    auto text = help + " (default: " + show_field<T>(&field) + ")";
    caf::config_option_adder{cfg_.custom_options_, category_}.add(field, name,
                                                                  text);
    cfg_.bound_.push_back({category_ + "." + name, show_field<T>, &field});
    return *this;
  }

private:
  node_config& cfg_;
  std::string category_;
};

void node_config::declare_options() {
  auto& s = settings_;
  binder{*this, "retrain"}
    .add(s.role, "role",
         "the actors of this node: every one (all), or those of one role")
    .add(s.data_dir, "data-dir", "directory for registry.db and jobs/")
    .add(s.host, "host", "address to bind to")
    .add(s.ingest_port, "ingest-port",
         "port of the ingest actor; 0 picks a free one")
    .add(s.coordinator_port, "coordinator-port",
         "port of the coordinator; 0 picks a free one")
    .add(s.coordinator, "coordinator",
         "where monitor and worker nodes find the coordinator; several, "
         "comma-separated (\"A:4243,B:4243\"): coordinators sharing one "
         "PostgreSQL registry, of which nodes follow the active one")
    .add(s.workers, "workers", "retrain workers on this node")
    .add(s.shutdown_grace, "shutdown-grace",
         "how long SIGTERM waits for what the node holds to be delivered "
         "(intake stops at once; a second signal exits at once)")
    .add(s.request_timeout, "request-timeout",
         "timeout of requests between actors")
    .add(s.log_level, "log-level", "trace|debug|info|warn|error|critical|off")
    .add(s.log_format, "log-format",
         "text (readable lines) or json (one JSON object per line, for log "
         "shippers)")
    .add(s.edge.allow_plaintext, "allow-plaintext",
         "let the binary ports bind outside 127.0.0.0/8 without mutual TLS")
    .add(s.edge.http, "http",
         "serve HTTP (events, API, /metrics, health) on a node with ingest "
         "or the coordinator")
    .add(s.edge.http_host, "http-host",
         "address of the HTTP server; empty: retrain.host")
    .add(s.edge.http_port, "http-port",
         "port of the HTTP server; 0 picks a free one")
    .add(s.edge.http_max_body, "http-max-body",
         "largest HTTP request body in bytes; larger ones get 413")
    .add(s.edge.http_read_timeout, "http-read-timeout",
         "an HTTP client silent this long within a request is cut off")
    .add(s.edge.http_max_connections, "http-max-connections",
         "HTTP connections served at once; more wait to be accepted")
    .add(s.edge.webhooks, "webhooks",
         "URLs that get a JSON POST for each drift, job change and version, "
         "e.g. [\"http://alerts:9000/retrain\"]; sent by a node with the "
         "coordinator")
    .add(s.edge.webhook_secret, "webhook-secret",
         "key of the X-Retrain-Signature HMAC-SHA256 of each webhook body; "
         "empty: unsigned")
    .add(s.edge.webhook_queue, "webhook-queue",
         "webhook deliveries waiting at most; beyond it they are dropped and "
         "counted")
    .add(s.edge.webhook_max_attempts, "webhook-max-attempts",
         "attempts per webhook delivery, with backoff, before it is given up");
  binder{*this, "retrain.metrics"}.add(
    s.edge.metrics_per_model, "per-model",
    "per-model statistic gauges in /metrics (one series per model and kind)");
  auto& mon = s.monitor;
  binder{*this, "retrain.monitor"}
    .add(mon.alpha, "alpha", "EWMA weight of the newest value, in (0, 1]")
    .add(mon.min_samples, "min-samples",
         "no decision before this many values per kind")
    .add(mon.consecutive_breaches, "consecutive-breaches",
         "breaching evaluations in a row for a trigger")
    .add(mon.cooldown, "cooldown", "quiet time after a trigger")
    .add(mon.snapshot_interval, "snapshot-interval",
         "how often the state of changed monitors is saved for restarts")
    .add(mon.flush_interval, "flush-interval",
         "longest time events wait to be sent to their monitor in longer "
         "runs; 0ms = at once")
    .add(mon.max_restarts, "max-restarts",
         "monitor restarts within restart-window before quarantine")
    .add(mon.restart_window, "restart-window", "window of max-restarts")
    .add(mon.idle_timeout, "idle-timeout",
         "a monitor with no event this long is stopped and kept as its "
         "snapshot until its next event; 0ms = never")
    .add(mon.max_models, "max-models",
         "events of new model ids past this many models are refused")
    .add(mon.expire_after, "expire-after",
         "a model with no event this long is forgotten; 0ms = never")
    .add(mon.max_flush_delay, "max-flush-delay",
         "longest time events wait while the node is behind: the flush "
         "window grows from flush-interval up to this; >= flush-interval")
    .add(mon.persist_interval, "persist-interval",
         "how often a monitor node ships the state of its changed monitors "
         "to the coordinator (what kill -9 of a node loses at most)");
  binder{*this, "retrain.history"}
    .add(mon.history_points, "points",
         "history points kept per model and metric kind (the dashboard's "
         "charts, GET /v1/models/{model}/history); 0 = none")
    .add(mon.history_resolution, "resolution",
         "width of one history point: values within it are downsampled to "
         "min, max and last; 0ms = one point per event time");
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    auto kind = to_string(static_cast<metric_kind>(i));
    binder{*this, "retrain.threshold"}.add(
      thresholds_[i], kind,
      "threshold of the ewma_threshold strategy for this kind, or \"off\"");
    binder{*this, "retrain.strategy"}.add(
      strategies_[i], kind,
      "strategy for this kind: NAME [KEY=VALUE ...]; empty: ewma_threshold "
      "with the threshold");
  }
  auto& job = s.job;
  binder{*this, "retrain.job"}
    .add(job.command, "command",
         "argv template of the retrain command, e.g. [\"train.sh\", "
         "\"{model}\"]; placeholders {model} {project} {name} {version} "
         "{next_version} {job_id} {attempt}; empty: simulated trainer")
    .add(job.simulated_duration, "simulated-duration",
         "sleep of the simulated trainer")
    .add(job.timeout, "timeout",
         "time limit of one attempt; the process group is killed")
    .add(job.max_attempts, "max-attempts",
         "attempts before a job fails, in [1, 100]")
    .add(job.retry_delay, "retry-delay",
         "backoff base: delay * 2^(attempt-1) with jitter")
    .add(job.retry_cap, "retry-cap", "longest retry delay");
  binder{*this, "retrain.registry"}
    .add(
      job.registry_url, "url",
      "the coordinator's database: postgresql://user:password@host:port/dbname "
      "(several coordinators may share one); empty: SQLite, "
      "<data-dir>/registry.db")
    .add(job.lease_timeout, "lease-timeout",
         "with several coordinators on one PostgreSQL registry: how old the "
         "active one's lease may get (database time) before a standby takes "
         "over; the active one renews every fifth of it and stops acting "
         "after three fifths without a renewal");
  binder{*this, "retrain.cluster"}
    .add(
      job.shards, "shards",
      "model lines map to this many shards, spread over the monitor nodes by "
      "the coordinator; never change it in a running cluster")
    .add(s.shard_port, "port",
         "where a monitor node takes events other monitor nodes forward to "
         "it (0 = a free port; the shard map tells the others)")
    .add(s.apply_journal, "apply-journal",
         "a file a monitor node appends one line to per batch and shard it "
         "applies: node, shard, epoch, steady-clock ns, events (a check "
         "that no two nodes apply one shard at a time); empty: none");
}

node_config::node_config() {
  register_messages(*this);
  for (auto& x : caf_overrides())
    set(x.key, x.value);
  for (auto& x : defaults::monitor::thresholds)
    thresholds_[static_cast<std::size_t>(x.kind)].value = x.threshold;
  declare_options();
}

// -- reading them ------------------------------------------------------------

caf::error node_config::read(std::vector<std::string> args) {
  bool help = false;
  auto file = config_file_path; // CAF's caf-application.ini, if present
  bool named = false;
  for (auto& arg : args) {
    if (auto err = check_argument(arg))
      return err;
    // --config=FILE is an alias of CAF's --config-file=FILE.
    if (arg.rfind("--config=", 0) == 0)
      arg = "--config-file=" + arg.substr(9);
    else if (arg == "-h" || arg == "--help" || arg == "-?")
      arg = "--long-help"; // CAF's short help leaves out the retrain keys
    help = help || arg == "--long-help";
    if (arg.rfind("--config-file=", 0) == 0) {
      file = arg.substr(14);
      named = true;
    }
  }
  if (help)
    print_help_banner();
  auto text = read_text(file, named);
  if (!text)
    return text.error();
  if (auto err = read_file(file, *text))
    return err;
  if (auto err = read_numbers(args))
    return err;
  // CAF reads the rest of the command line; the file is read above.
  std::istringstream no_file;
  if (auto err = parse(std::move(args), no_file))
    return config_error(describe_parse_error(err, custom_options_));
  if (!remainder.empty())
    return config_error("unexpected argument " + quote(remainder.front()));
  if (cli_helptext_printed)
    return caf::none;
  // What CAF read from the command line has its range checked here.
  return for_each_leaf(content, "", check_range);
}

caf::error node_config::read_file(const std::string& path,
                                  const std::string& text) {
  auto entries = detail::parse_ini(text);
  if (!entries)
    return config_error("config file " + quote(path) + ": "
                        + error_text(entries.error()));
  for (auto& x : *entries) {
    // The global options (help, config-file, ...) are command line flags.
    auto opt = find_option(custom_options_, x.key);
    if (opt == nullptr || opt->category() == "global")
      return config_error("unknown config key " + quote(x.key)
                          + " (see --help for every key)");
    if (auto err = store(*opt, x.key, x.value))
      return err;
  }
  return caf::none;
}

caf::error node_config::read_numbers(std::vector<std::string>& args) {
  // CAF's own parser reads 010 as 8, 0x10 as 16, rounds decimals inexactly
  // and overflows on large durations: numbers and durations are read here,
  // and only the other arguments reach it.
  auto scalar_option = [&](const std::string& arg) {
    const caf::config_option* result = nullptr;
    auto eq = arg.find('=');
    // Without a value, CAF says what is missing.
    if (arg.compare(0, 2, "--") == 0 && eq != std::string::npos
        && eq + 1 < arg.size())
      result = custom_options_.cli_long_name_lookup(arg.substr(2, eq - 2));
    return result && detail::is_scalar_type(result->type_name()) ? result
                                                                 : nullptr;
  };
  std::vector<std::string> rest;
  for (auto& arg : args) {
    auto opt = scalar_option(arg);
    if (opt == nullptr) {
      rest.push_back(std::move(arg));
      continue;
    }
    auto name = opt->full_name();
    std::string key{name.begin(), name.end()};
    auto value = detail::read_option_value(key, opt->type_name(),
                                           arg.substr(arg.find('=') + 1));
    if (!value)
      return value.error();
    if (auto err = store(*opt, key, *value))
      return err;
  }
  args = std::move(rest);
  return caf::none;
}

caf::error node_config::store(const caf::config_option& opt,
                              const std::string& key,
                              const caf::config_value& value) {
  auto converted = as_option_value(opt, value);
  if (opt.check(converted))
    return config_error(value_error(key, show(value), opt.type_name()));
  if (auto err = check_range(key, converted))
    return err;
  opt.store(converted);
  caf::put(content, key, std::move(converted));
  return caf::none;
}

caf::error node_config::complete_settings() {
  auto& s = settings_;
  s.monitor.request_timeout = s.request_timeout;
  s.job.data_dir = s.data_dir;
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    auto kind = static_cast<metric_kind>(i);
    auto& watch = s.monitor.kinds[i];
    watch.reset();
    if (auto threshold = thresholds_[i].value) {
      if (auto err = check_value(kind, *threshold))
        return config_error("retrain.threshold." + to_string(kind) + ": "
                            + err.message);
      s.monitor.watch_threshold(kind, *threshold);
    }
    if (strategies_[i].empty())
      continue;
    auto spec = core::parse_strategy_spec(strategies_[i]);
    if (!spec)
      return config_error("retrain.strategy." + to_string(kind) + ": "
                          + spec.error().message);
    if (spec->name == "ewma_threshold" && watch
        && !spec->params.count("threshold"))
      spec->params["threshold"] = watch->params.at("threshold");
    watch = kind_watch{std::move(spec->name), std::move(spec->params)};
  }
  return caf::none;
}

caf::expected<node_settings>
node_config::parse_settings(std::vector<std::string> args) {
  if (auto err = read(std::move(args)))
    return err;
  if (cli_helptext_printed)
    return settings_;
  if (auto err = complete_settings())
    return err;
  if (auto err = settings_.validate())
    return err;
  // Every role writes there: the coordinator its registry, workers their
  // job logs, monitor nodes the triggers a shutdown could not deliver.
  if (auto err = check_data_dir(settings_.data_dir))
    return err;
  return settings_;
}

caf::expected<node_settings> node_config::parse_settings(int argc,
                                                         char** argv) {
  std::vector<std::string> args;
  if (argc > 1)
    args.assign(argv + 1, argv + argc);
  return parse_settings(std::move(args));
}

std::vector<std::pair<std::string, std::string>> node_config::values() const {
  std::vector<std::pair<std::string, std::string>> result;
  for (auto& x : bound_)
    result.emplace_back(x.key, x.show(x.field));
  for (auto& x : caf_overrides()) {
    auto value = caf::get_if(&content, x.key);
    result.emplace_back(x.key, value ? show(*value) : std::string{});
  }
  return result;
}

} // namespace retrain
