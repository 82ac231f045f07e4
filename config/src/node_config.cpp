#include "retrain/node_config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <functional>
#include <sstream>
#include <unistd.h>

#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>

#include "retrain/register_messages.hpp"

namespace retrain {

namespace {

using namespace std::chrono_literals;

std::string show(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

// The keys under `retrain.` that take a plain value, with their help text.
// Per-kind keys (`threshold.<kind>`, `strategy.<kind>`) are added in a loop.
enum class value_type { text, integer, real, duration, text_list };

struct key_info {
  const char* group;
  const char* name;
  value_type type;
  const char* help;
};

const key_info plain_keys[] = {
  {"retrain", "role", value_type::text,
   "all|coordinator|monitor|worker (default: all)"},
  {"retrain", "data-dir", value_type::text,
   "directory for registry.db and jobs/ (default: ./retrain-data)"},
  {"retrain", "host", value_type::text,
   "address to bind to (default: 127.0.0.1)"},
  {"retrain", "ingest-port", value_type::integer,
   "port of the ingest actor; 0 picks a free one (default: 4242)"},
  {"retrain", "coordinator-port", value_type::integer,
   "port of the coordinator; 0 picks a free one (default: 4243)"},
  {"retrain", "coordinator", value_type::text,
   "HOST:PORT of the coordinator for monitor and worker nodes "
   "(default: 127.0.0.1:4243)"},
  {"retrain", "workers", value_type::integer,
   "retrain workers on this node (default: 2)"},
  {"retrain", "request-timeout", value_type::duration,
   "timeout of requests between actors (default: 10s)"},
  {"retrain", "log-level", value_type::text,
   "trace|debug|info|warn|error|critical|off (default: info)"},
  {"retrain.monitor", "alpha", value_type::real,
   "EWMA weight of the newest value, in [0, 1] (default: 0.2)"},
  {"retrain.monitor", "min-samples", value_type::integer,
   "no decision before this many values per kind (default: 5)"},
  {"retrain.monitor", "consecutive-breaches", value_type::integer,
   "breaching evaluations in a row for a trigger (default: 3)"},
  {"retrain.monitor", "cooldown", value_type::duration,
   "quiet time after a trigger (default: 1min)"},
  {"retrain.monitor", "snapshot-interval", value_type::duration,
   "how often the state of changed monitors is saved for restarts "
   "(default: 1s)"},
  {"retrain.monitor", "flush-interval", value_type::duration,
   "longest time events wait to be sent to their monitor in longer runs; "
   "0 = at once (default: 2ms)"},
  {"retrain.monitor", "max-restarts", value_type::integer,
   "monitor restarts within restart-window before quarantine (default: 5)"},
  {"retrain.monitor", "restart-window", value_type::duration,
   "window of max-restarts (default: 1min)"},
  {"retrain.job", "command", value_type::text_list,
   "argv template of the retrain command, e.g. [\"train.sh\", \"{model}\"]; "
   "placeholders {model} {project} {name} {version} {next_version} {job_id}; "
   "empty: simulated trainer"},
  {"retrain.job", "simulated-duration", value_type::duration,
   "sleep of the simulated trainer (default: 2s)"},
  {"retrain.job", "timeout", value_type::duration,
   "time limit of one attempt; the process group is killed (default: 1h)"},
  {"retrain.job", "max-attempts", value_type::integer,
   "attempts before a job fails, in [1, 100] (default: 3)"},
  {"retrain.job", "retry-delay", value_type::duration,
   "backoff base: delay * 2^(attempt-1) with jitter (default: 30s)"},
  {"retrain.job", "retry-cap", value_type::duration,
   "longest retry delay (default: 30min)"},
};

void add_option(caf::config_option_set& opts, const char* group,
                const char* name, value_type type, const char* help) {
  caf::config_option_adder adder{opts, group};
  switch (type) {
    case value_type::text:
      adder.add<std::string>(name, help);
      break;
    case value_type::integer:
      adder.add<int64_t>(name, help);
      break;
    case value_type::real:
      adder.add<double>(name, help);
      break;
    case value_type::duration:
      adder.add<caf::timespan>(name, help);
      break;
    case value_type::text_list:
      adder.add<std::vector<std::string>>(name, help);
      break;
  }
}

// Reads typed values out of the parsed settings, remembering the first
// error.
class reader {
public:
  explicit reader(const caf::settings& content) : content_(content) {
    // nop
  }

  const caf::config_value* find(const std::string& key) const {
    return caf::get_if(&content_, key);
  }

  template <class T>
  void read(const std::string& key, T& out) {
    auto value = find(key);
    if (!value)
      return;
    if constexpr (std::is_same<T, std::string>::value) {
      if (auto str = caf::get_if<std::string>(value))
        out = *str;
      else
        error(key, "expects a text value (quote it in the INI file)");
    } else if constexpr (std::is_same<T, double>::value) {
      if (auto x = caf::get_if<double>(value))
        out = *x;
      else if (auto i = caf::get_if<int64_t>(value))
        out = static_cast<double>(*i);
      else
        error(key, "expects a number");
    } else if constexpr (std::is_same<T, std::vector<std::string>>::value) {
      if (auto xs = caf::get_if<std::vector<std::string>>(value))
        out = *xs;
      else
        error(key, "expects a list of texts, e.g. [\"train.sh\", \"{model}\"]");
    } else if constexpr (std::is_same<T, std::chrono::milliseconds>::value) {
      if (auto x = caf::get_if<caf::timespan>(value))
        out = std::chrono::duration_cast<std::chrono::milliseconds>(*x);
      else
        error(key, "expects a duration such as 500ms, 30s, 5min or 1h");
    } else {
      if (auto i = caf::get_if<int64_t>(value)) {
        if (*i < 0 || static_cast<uint64_t>(*i) > std::numeric_limits<T>::max())
          error(key, "=" + std::to_string(*i) + " is outside [0, "
                       + std::to_string(std::numeric_limits<T>::max()) + "]");
        else
          out = static_cast<T>(*i);
      } else {
        error(key, "expects a whole number");
      }
    }
  }

  void error(const std::string& key, const std::string& what) {
    if (!failure_)
      failure_ = core::failure{key + (what[0] == '=' ? "" : " ") + what};
  }

  const std::optional<core::failure>& failure() const {
    return failure_;
  }

private:
  const caf::settings& content_;
  std::optional<core::failure> failure_;
};

// Collects the dotted keys of every leaf below `prefix` in `xs`.
void leaves(const caf::settings& xs, const std::string& prefix,
            std::vector<std::string>& out) {
  for (auto& [key, value] : xs) {
    auto full = prefix.empty() ? key : prefix + "." + key;
    if (auto dict = caf::get_if<caf::settings>(&value))
      leaves(*dict, full, out);
    else
      out.push_back(full);
  }
}

// Parses `NAME [KEY=VALUE ...]`.
core::expected<kind_watch> parse_strategy_spec(const std::string& key,
                                               const std::string& spec) {
  std::istringstream in{spec};
  kind_watch result;
  if (!(in >> result.strategy))
    return core::fail(key + " is empty (expected NAME [KEY=VALUE ...])");
  std::string param;
  while (in >> param) {
    auto eq = param.find('=');
    if (eq == std::string::npos || eq == 0)
      return core::fail(key + ": '" + param + "' is not KEY=VALUE");
    result.params[param.substr(0, eq)] = param.substr(eq + 1);
  }
  return result;
}

std::optional<core::failure> check_data_dir(const std::string& dir) {
  std::error_code err;
  std::filesystem::create_directories(dir, err);
  if (err)
    return core::failure{"retrain.data-dir='" + dir
                         + "' cannot be created: " + err.message()};
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return core::failure{"retrain.data-dir='" + dir + "' is not writable"};
  return std::nullopt;
}

} // namespace

std::string to_string(node_role x) {
  switch (x) {
    case node_role::all:
      return "all";
    case node_role::coordinator:
      return "coordinator";
    case node_role::monitor:
      return "monitor";
    case node_role::worker:
      return "worker";
  }
  return "<invalid>";
}

core::expected<endpoint> parse_endpoint(const std::string& str,
                                        const std::string& what) {
  auto colon = str.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == str.size())
    return core::fail(what + "='" + str + "' is not HOST:PORT");
  endpoint result;
  result.host = str.substr(0, colon);
  auto port = str.substr(colon + 1);
  char* end = nullptr;
  auto value = std::strtol(port.c_str(), &end, 10);
  if (*end != '\0' || value < 1 || value > 65535)
    return core::fail(what + "='" + str + "': port must be within [1, 65535]");
  result.port = static_cast<uint16_t>(value);
  return result;
}

node_config::node_config() {
  register_messages(*this);
  // Work stealing crawls when one actor wakes tens of thousands of monitors
  // (in CAF 0.17 a thief's take_tail is linear in the victim's queue);
  // sharing does not. `--scheduler.policy=stealing` still overrides it.
  set("scheduler.policy", caf::atom("sharing"));
  for (auto& key : plain_keys)
    add_option(custom_options_, key.group, key.name, key.type, key.help);
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    auto kind = std::string{name_of(static_cast<metric_kind>(i))};
    caf::config_option_adder{custom_options_, "retrain.threshold"}
      .add<std::string>(kind.c_str(),
                        "threshold of the ewma_threshold strategy for this "
                        "kind, or \"off\" (defaults: accuracy 0.92, "
                        "f1_score 0.90, others off)");
    caf::config_option_adder{custom_options_, "retrain.strategy"}
      .add<std::string>(kind.c_str(),
                        "strategy for this kind: NAME [KEY=VALUE ...] "
                        "(default: ewma_threshold)");
  }
  // Heartbeats on by default: a hung peer is noticed within 3 s.
  set("middleman.heartbeat-interval", caf::timespan{1s});
  set("middleman.connection-timeout", caf::timespan{3s});
}

core::expected<node_settings> node_config::parse_settings(int argc,
                                                          char** argv) {
  // Accept --config=FILE as an alias of CAF's --config-file=FILE.
  std::vector<std::string> args;
  bool help = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--config=", 0) == 0)
      arg = "--config-file=" + arg.substr(9);
    else if (arg == "-h" || arg == "--help" || arg == "-?")
      arg = "--long-help"; // CAF's short help leaves out the retrain keys
    help = help || arg == "--long-help";
    args.push_back(std::move(arg));
  }
  // CAF's own text below knows neither the alias nor this node's defaults.
  if (help)
    std::cerr << "usage: retrain-node [--config=FILE] [--KEY=VALUE ...]\n"
                 "  --config=FILE is --config-file=FILE (an INI file such as "
                 "config/retrain.ini)\n"
                 "  defaults that differ from CAF's text below: "
                 "scheduler.policy=sharing,\n"
                 "  middleman.heartbeat-interval=1s, "
                 "middleman.connection-timeout=3s\n\n";
  std::string config_file;
  for (auto& arg : args)
    if (arg.rfind("--config-file=", 0) == 0)
      config_file = arg.substr(14);
  if (!config_file.empty() && !std::ifstream{config_file})
    return core::fail("cannot open config file '" + config_file + "'");
  if (auto err = parse(args)) {
    auto text = caf::to_string(err);
    if (!config_file.empty() && text.find("\"line\"") != std::string::npos)
      return core::fail(
        "config file '" + config_file + "': syntax error " + text
        + " (text values need quotes, lists use [\"a\", \"b\"])");
    // CAF renders `parser_error(not_an_option, ({"argument" = "--x"}))`.
    auto arg_pos = text.find("\"argument\" = \"");
    std::string arg;
    if (arg_pos != std::string::npos) {
      arg = text.substr(arg_pos + 14);
      arg = arg.substr(0, arg.find('"'));
    }
    if (text.find("not_an_option") != std::string::npos)
      return core::fail("unknown option '" + arg + "' (see --help)");
    if (!arg.empty())
      return core::fail("bad value in '" + arg
                        + "' (numbers, durations such as 30s, lists such as "
                          "[\"a\", \"b\"])");
    return core::fail("bad option: " + text);
  }
  if (!remainder.empty())
    return core::fail("unexpected argument '" + remainder.front() + "'");
  node_settings result;
  if (cli_helptext_printed)
    return result;
  // Refuse keys we do not know, which CAF accepts silently from INI files.
  std::vector<std::string> keys;
  if (auto retrain = caf::get_if<caf::settings>(&content, "retrain"))
    leaves(*retrain, "retrain", keys);
  for (auto& key : keys) {
    auto group_end = key.rfind('.');
    auto group = key.substr(0, group_end);
    auto name = key.substr(group_end + 1);
    if (!custom_options_.qualified_name_lookup(group, name))
      return core::fail("unknown config key '" + key
                        + "' (see --help for every key)");
  }
  reader in{content};
  std::string role = "all";
  in.read("retrain.role", role);
  result.data_dir = "./retrain-data";
  in.read("retrain.data-dir", result.data_dir);
  in.read("retrain.host", result.host);
  in.read("retrain.ingest-port", result.ingest_port);
  in.read("retrain.coordinator-port", result.coordinator_port);
  std::string coordinator = "127.0.0.1:4243";
  in.read("retrain.coordinator", coordinator);
  in.read("retrain.workers", result.workers);
  in.read("retrain.request-timeout", result.request_timeout);
  result.monitor.request_timeout = result.request_timeout;
  in.read("retrain.log-level", result.log_level);
  auto& mon = result.monitor;
  in.read("retrain.monitor.alpha", mon.alpha);
  in.read("retrain.monitor.min-samples", mon.min_samples);
  in.read("retrain.monitor.consecutive-breaches", mon.consecutive_breaches);
  in.read("retrain.monitor.cooldown", mon.cooldown);
  in.read("retrain.monitor.snapshot-interval", mon.snapshot_interval);
  mon.flush_interval = std::chrono::milliseconds{2};
  in.read("retrain.monitor.flush-interval", mon.flush_interval);
  in.read("retrain.monitor.max-restarts", mon.max_restarts);
  in.read("retrain.monitor.restart-window", mon.restart_window);
  auto& job = result.job;
  in.read("retrain.job.command", job.command);
  in.read("retrain.job.simulated-duration", job.simulated_duration);
  in.read("retrain.job.timeout", job.timeout);
  in.read("retrain.job.max-attempts", job.max_attempts);
  in.read("retrain.job.retry-delay", job.retry_delay);
  in.read("retrain.job.retry-cap", job.retry_cap);
  if (in.failure())
    return *in.failure();
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    auto kind = static_cast<metric_kind>(i);
    auto threshold_key = "retrain.threshold." + to_string(kind);
    if (auto value = in.find(threshold_key)) {
      std::string text;
      if (auto str = caf::get_if<std::string>(value))
        text = *str;
      else if (auto x = caf::get_if<double>(value))
        text = show(*x);
      else if (auto n = caf::get_if<int64_t>(value))
        text = std::to_string(*n);
      if (text == "off") {
        mon.kinds[i].reset();
      } else {
        char* end = nullptr;
        auto threshold = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(threshold))
          return core::fail(threshold_key + "='" + text
                            + "' is neither a number nor \"off\"");
        if (auto err = check_value(kind, threshold))
          return core::fail(threshold_key + ": " + *err);
        mon.watch_threshold(kind, threshold);
      }
    }
    auto strategy_key = "retrain.strategy." + to_string(kind);
    std::string spec;
    in.read(strategy_key, spec);
    if (in.failure())
      return *in.failure();
    if (!spec.empty()) {
      auto watch = parse_strategy_spec(strategy_key, spec);
      if (!watch)
        return watch.error();
      if (watch->strategy == "ewma_threshold" && mon.kinds[i]
          && !watch->params.count("threshold"))
        watch->params["threshold"] = mon.kinds[i]->params.at("threshold");
      mon.kinds[i] = std::move(*watch);
    }
  }
  if (role == "all")
    result.role = node_role::all;
  else if (role == "coordinator")
    result.role = node_role::coordinator;
  else if (role == "monitor")
    result.role = node_role::monitor;
  else if (role == "worker")
    result.role = node_role::worker;
  else
    return core::fail("retrain.role='" + role
                      + "' is not one of all, coordinator, monitor, worker");
  auto ep = parse_endpoint(coordinator, "retrain.coordinator");
  if (!ep)
    return ep.error();
  result.coordinator = *ep;
  if (result.workers > 1024)
    return core::fail("retrain.workers=" + std::to_string(result.workers)
                      + " is outside [0, 1024]");
  if (result.request_timeout <= 0ms)
    return core::fail("retrain.request-timeout must be greater than 0");
  static const char* levels[] = {"trace", "debug",    "info", "warn",
                                 "error", "critical", "off"};
  if (std::find(std::begin(levels), std::end(levels), result.log_level)
      == std::end(levels))
    return core::fail("retrain.log-level='" + result.log_level
                      + "' is not one of trace, debug, info, warn, error, "
                        "critical, off");
  if (result.role == node_role::all || result.role == node_role::monitor)
    if (auto err = mon.validate())
      return *err;
  job.data_dir = result.data_dir;
  if (result.role != node_role::monitor) {
    if (auto err = job.validate())
      return *err;
    if (auto err = check_data_dir(result.data_dir))
      return *err;
  }
  return result;
}

} // namespace retrain
