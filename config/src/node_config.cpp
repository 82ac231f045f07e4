#include "retrain/node_config.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include <caf/config_option_adder.hpp>
#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>

#include "option_access.hpp"
#include "option_text.hpp"
#include "retrain/register_messages.hpp"

namespace retrain {

using detail::describe_parse_error;
using detail::show;
using detail::show_field;
using detail::value_error;

namespace {

// -- CAF settings a node changes ---------------------------------------------

struct caf_override {
  const char* key;
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
    auto item = std::string{x.key} + "=" + show(x.value);
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

// -- the config file ---------------------------------------------------------

// The option for the dotted `key`, if any.
const caf::config_option* find_option(const caf::config_option_set& options,
                                      const std::string& key) {
  auto dot = key.rfind('.');
  if (dot == std::string::npos)
    return options.qualified_name_lookup("global", key);
  return options.qualified_name_lookup(caf::string_view{key}.substr(0, dot),
                                       caf::string_view{key}.substr(dot + 1));
}

// An INI value as the option takes it: whole numbers are numbers too.
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

// Reads the config file at `path`; a missing file is an error only when the
// user named it.
caf::expected<std::string> read_text(const std::string& path, bool named) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return named ? caf::expected<std::string>{config_error(
             "cannot open config file '" + path + "'")}
                 : std::string{};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Refuses a config file that CAF would read only in part: a syntax error, a
// NUL byte (CAF stops reading there), an unknown `retrain.*` key, or a value
// of the wrong type for any declared option (CAF drops those of its own
// sections and of `[retrain]` silently).
caf::error check_config_file(const std::string& path, const std::string& text,
                             const caf::config_option_set& options) {
  if (auto nul = text.find('\0'); nul != std::string::npos) {
    auto line = std::count(text.begin(), text.begin() + nul, '\n') + 1;
    return config_error("config file '" + path + "': line "
                        + std::to_string(line) + " contains a NUL byte");
  }
  std::istringstream in{text};
  auto raw = caf::actor_system_config::parse_config(in);
  if (!raw)
    return config_error(describe_parse_error(raw.error(), options, path));
  auto check = [&](const std::string& key, const caf::config_value& value) {
    auto opt = find_option(options, key);
    if (opt == nullptr) {
      if (key.compare(0, 8, "retrain.") == 0)
        return config_error("unknown config key '" + key
                            + "' (see --help for every key)");
      return caf::error{};
    }
    if (opt->check(as_option_value(*opt, value)))
      return config_error(value_error(key, show(value), opt->type_name()));
    return caf::error{};
  };
  return for_each_leaf(*raw, "", check);
}

// -- per-kind settings --------------------------------------------------------

// Parses `NAME [KEY=VALUE ...]`.
caf::expected<kind_watch> parse_strategy_spec(const std::string& key,
                                              const std::string& spec) {
  std::istringstream in{spec};
  kind_watch result;
  if (!(in >> result.strategy))
    return config_error(key + " is empty (expected NAME [KEY=VALUE ...])");
  std::string param;
  while (in >> param) {
    auto eq = param.find('=');
    if (eq == std::string::npos || eq == 0)
      return config_error(key + ": '" + param + "' is not KEY=VALUE");
    result.params[param.substr(0, eq)] = param.substr(eq + 1);
  }
  return result;
}

// -- the data dir ------------------------------------------------------------

caf::error check_data_dir(const std::string& dir) {
  std::error_code err;
  std::filesystem::create_directories(dir, err);
  if (err)
    return config_error("retrain.data-dir='" + dir
                        + "' cannot be created: " + err.message());
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return config_error("retrain.data-dir='" + dir + "' is not writable");
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
         "where monitor and worker nodes find the coordinator")
    .add(s.workers, "workers", "retrain workers on this node")
    .add(s.request_timeout, "request-timeout",
         "timeout of requests between actors")
    .add(s.log_level, "log-level", "trace|debug|info|warn|error|critical|off")
    .add(s.log_format, "log-format",
         "text (readable lines) or json (one JSON object per line, for log "
         "shippers)");
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
    .add(mon.restart_window, "restart-window", "window of max-restarts");
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
         "{next_version} {job_id}; empty: simulated trainer")
    .add(job.simulated_duration, "simulated-duration",
         "sleep of the simulated trainer")
    .add(job.timeout, "timeout",
         "time limit of one attempt; the process group is killed")
    .add(job.max_attempts, "max-attempts",
         "attempts before a job fails, in [1, 100]")
    .add(job.retry_delay, "retry-delay",
         "backoff base: delay * 2^(attempt-1) with jitter")
    .add(job.retry_cap, "retry-cap", "longest retry delay");
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
  if (auto err = check_config_file(file, *text, custom_options_))
    return err;
  // CAF reads the same text: INI first, then the command line over it.
  std::istringstream ini{*text};
  if (auto err = parse(std::move(args), ini))
    return config_error(describe_parse_error(err, custom_options_, file));
  if (!remainder.empty())
    return config_error("unexpected argument '" + remainder.front() + "'");
  if (cli_helptext_printed)
    return caf::none;
  return store_values();
}

caf::error node_config::store_values() {
  // CAF stores a value in its field only for options of a top-level INI
  // section and for the command line; `[retrain.monitor]` and the like
  // reach `content` only. Storing every value found there covers all.
  for (auto& x : bound_) {
    auto value = caf::get_if(&content, x.key);
    if (value == nullptr)
      continue;
    auto opt = find_option(custom_options_, x.key);
    auto converted = as_option_value(*opt, *value);
    if (opt->check(converted))
      return config_error(
        value_error(x.key, show(converted), opt->type_name()));
    opt->store(converted);
  }
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
                            + *err);
      s.monitor.watch_threshold(kind, *threshold);
    }
    if (strategies_[i].empty())
      continue;
    auto spec = parse_strategy_spec("retrain.strategy." + to_string(kind),
                                    strategies_[i]);
    if (!spec)
      return spec.error();
    if (spec->strategy == "ewma_threshold" && watch
        && !spec->params.count("threshold"))
      spec->params["threshold"] = watch->params.at("threshold");
    watch = std::move(*spec);
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
  if (settings_.role != node_role::monitor)
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
