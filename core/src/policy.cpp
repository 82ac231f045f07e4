#include "retrain/core/policy.hpp"

#include <algorithm>
#include <charconv>

#include "retrain/core/model_id.hpp"
#include "retrain/core/number.hpp"
#include "retrain/core/quoted.hpp"
#include "retrain/core/strategy_factory.hpp"

namespace retrain::core {

namespace {

using std::chrono::milliseconds;

// The shortest text that reads back as exactly `x`.
std::string show(double x) {
  char buf[32];
  auto [end, err] = std::to_chars(buf, buf + sizeof(buf), x);
  return err == std::errc{} ? std::string{buf, end} : std::string{"nan"};
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view x) {
  while (!x.empty() && is_blank(x.front()))
    x.remove_prefix(1);
  while (!x.empty() && is_blank(x.back()))
    x.remove_suffix(1);
  return x;
}

failure refuse(std::string message) {
  return fail(errc::invalid_config, std::move(message));
}

// Reads one double-quoted text at the start of `x` (escapes `\"` and
// `\\`); advances `x` past it.
expected<std::string> read_quoted(std::string_view& x) {
  std::string result;
  for (std::size_t i = 1; i < x.size(); ++i) {
    if (x[i] == '\\' && i + 1 < x.size()
        && (x[i + 1] == '"' || x[i + 1] == '\\')) {
      result += x[++i];
    } else if (x[i] == '"') {
      x.remove_prefix(i + 1);
      return result;
    } else {
      result += x[i];
    }
  }
  return refuse("a text misses its closing double quote");
}

// A value: a quoted text, or the bare rest of the line up to a comment.
expected<std::string> read_text(std::string_view x) {
  x = trim(x);
  if (!x.empty() && x.front() == '"') {
    auto result = read_quoted(x);
    if (!result)
      return result;
    x = trim(x);
    if (!x.empty() && x.front() != ';' && x.front() != '#')
      return refuse("unexpected " + quoted(x, echo_limit)
                    + " after the closing quote");
    return result;
  }
  auto end = x.find_first_of(";#");
  return std::string{trim(x.substr(0, end))};
}

// `["a", "b"]`.
expected<std::vector<std::string>> read_list(std::string_view x) {
  x = trim(x);
  if (x.empty() || x.front() != '[')
    return refuse("expected a list of texts, e.g. [\"python3\", "
                  "\"train.py\", \"{model}\"]");
  x.remove_prefix(1);
  std::vector<std::string> result;
  for (;;) {
    x = trim(x);
    if (!x.empty() && x.front() == ']' && result.empty()) {
      x.remove_prefix(1);
      break;
    }
    if (x.empty() || x.front() != '"')
      return refuse("a list element is not a double-quoted text");
    auto item = read_quoted(x);
    if (!item)
      return item.error();
    result.push_back(std::move(*item));
    x = trim(x);
    if (!x.empty() && x.front() == ',') {
      x.remove_prefix(1);
      continue;
    }
    if (!x.empty() && x.front() == ']') {
      x.remove_prefix(1);
      break;
    }
    return refuse("a list misses its closing ]");
  }
  x = trim(x);
  if (!x.empty() && x.front() != ';' && x.front() != '#')
    return refuse("unexpected " + quoted(x, echo_limit) + " after the list");
  return result;
}

expected<milliseconds> read_duration(std::string_view x) {
  auto digits = x.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string_view::npos)
    return refuse(quoted(x, echo_limit)
                  + " is not a duration (a whole number with ms, s, min "
                    "or h)");
  auto unit = x.substr(digits);
  uint64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "min")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else
    return refuse(quoted(x, echo_limit)
                  + " is not a duration (a whole number with ms, s, min "
                    "or h)");
  // At most ten years: a larger cooldown or timeout is a typo.
  constexpr uint64_t max_ms = 315'360'000'000;
  auto n = parse_whole(x.substr(0, digits), max_ms / scale);
  if (!n)
    return refuse(quoted(x, echo_limit) + " is out of range (at most "
                  + std::to_string(max_ms / 3'600'000) + "h)");
  return milliseconds{static_cast<int64_t>(*n * scale)};
}

std::string quote_text(std::string_view x) {
  std::string result = "\"";
  for (auto c : x) {
    if (c == '"' || c == '\\')
      result += '\\';
    result += c;
  }
  result += '"';
  return result;
}

// Sets `slot` once; a second time is refused.
template <class T>
failure set_once(std::optional<T>& slot, T value, const std::string& key) {
  if (slot)
    return refuse(key + " is given twice");
  slot = std::move(value);
  return {};
}

// Applies `key = raw` of `section` to `result`.
failure apply_key(policy& result, std::string_view section,
                  std::string_view key, std::string_view raw) {
  auto full = std::string{section} + "." + std::string{key};
  auto with_key = [&](failure f) {
    f.message = full + ": " + f.message;
    return f;
  };
  auto text = [&]() { return read_text(raw); };
  if (section == "retrain.threshold" || section == "retrain.strategy") {
    auto kind = parse_metric_kind(key);
    if (!kind)
      return refuse(full + " is no key: the kinds are "
                    + std::string{metric_kind_names()});
    auto i = static_cast<std::size_t>(*kind);
    auto value = text();
    if (!value)
      return with_key(value.error());
    if (section == "retrain.threshold") {
      if (result.threshold[i])
        return refuse(full + " is given twice");
      if (*value == "off") {
        result.threshold[i] = std::optional<double>{};
        return {};
      }
      auto x = parse_decimal(*value);
      if (!x)
        return with_key(x.error());
      if (auto err = check_value(*kind, *x))
        return with_key(refuse(err.message));
      result.threshold[i] = std::optional<double>{*x};
      return {};
    }
    auto spec = parse_strategy_spec(*value);
    if (!spec)
      return with_key(spec.error());
    if (!find_strategy(spec->name))
      return refuse(full + ": unknown strategy "
                    + quoted(spec->name, echo_limit));
    return set_once(result.strategy[i], std::move(*spec), full);
  }
  if (section == "retrain.monitor") {
    auto value = text();
    if (!value)
      return with_key(value.error());
    if (key == "alpha") {
      auto x = parse_decimal(*value);
      if (!x)
        return with_key(x.error());
      if (!(*x > 0.0 && *x <= 1.0))
        return refuse(full + "=" + *value + " is outside (0, 1]");
      return set_once(result.alpha, *x, full);
    }
    if (key == "min-samples" || key == "consecutive-breaches") {
      auto n = parse_whole(*value, uint64_t{1} << 53);
      if (!n)
        return with_key(n.error());
      if (*n < 1)
        return refuse(full + " must be at least 1");
      return set_once(key == "min-samples" ? result.min_samples
                                           : result.consecutive_breaches,
                      *n, full);
    }
    if (key == "cooldown") {
      auto d = read_duration(*value);
      if (!d)
        return with_key(d.error());
      return set_once(result.cooldown, *d, full);
    }
    if (key == "snapshot-interval" || key == "flush-interval"
        || key == "max-restarts" || key == "restart-window"
        || key == "idle-timeout" || key == "max-models"
        || key == "expire-after")
      return refuse(full + " is a setting of the node, not of a policy");
    return refuse(full
                  + " is no policy key (alpha, min-samples, "
                    "consecutive-breaches, cooldown)");
  }
  if (section == "retrain.job") {
    if (key == "command") {
      auto list = read_list(raw);
      if (!list)
        return with_key(list.error());
      if (!list->empty() && list->front().empty())
        return refuse(full + ": the program name is empty");
      return set_once(result.command, std::move(*list), full);
    }
    auto value = text();
    if (!value)
      return with_key(value.error());
    if (key == "max-attempts") {
      auto n = parse_whole(*value, 100);
      if (!n || *n < 1)
        return refuse(full + " must be within [1, 100]");
      return set_once(result.max_attempts, static_cast<uint32_t>(*n), full);
    }
    if (key == "timeout") {
      auto d = read_duration(*value);
      if (!d)
        return with_key(d.error());
      if (d->count() <= 0)
        return refuse(full + " must be greater than 0");
      return set_once(result.timeout, *d, full);
    }
    if (key == "simulated-duration" || key == "retry-delay"
        || key == "retry-cap")
      return refuse(full + " is a setting of the node, not of a policy");
    return refuse(full
                  + " is no policy key (max-attempts, timeout, "
                    "command)");
  }
  return refuse("[" + std::string{section}
                + "] is no policy section (retrain.monitor, "
                  "retrain.threshold, retrain.strategy, retrain.job)");
}

// Checks that every strategy the policy names builds, with the policy's
// EWMA settings or the built-in ones.
failure check_strategies(const policy& x) {
  policy_base base;
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    if (!x.strategy[i])
      continue;
    auto kind = static_cast<metric_kind>(i);
    auto spec = *x.strategy[i];
    complete_spec(spec, kind, x.alpha.value_or(base.alpha),
                  x.min_samples.value_or(base.min_samples),
                  x.consecutive_breaches.value_or(base.consecutive_breaches));
    if (auto s = make_strategy(spec.name, spec.params); !s)
      return refuse("retrain.strategy." + to_string(kind) + ": "
                    + s.error().message);
  }
  return {};
}

std::string source_of(const stored_policy* p) {
  if (!p)
    return "node config";
  return "policy " + p->pattern.str() + " v" + std::to_string(p->version);
}

std::string join_command(const std::vector<std::string>& xs) {
  std::string result = "[";
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      result += ", ";
    result += quote_text(xs[i]);
  }
  return result + "]";
}

} // namespace

// -- patterns -----------------------------------------------------------------

bool policy_pattern::matches(std::string_view line) const {
  if (project.empty())
    return true;
  auto colon = line.find(':');
  if (colon == std::string_view::npos || line.substr(0, colon) != project)
    return false;
  return name.empty() || line.substr(colon + 1) == name;
}

std::string policy_pattern::str() const {
  if (project.empty())
    return "*";
  return project + ":" + (name.empty() ? std::string{"*"} : name);
}

expected<policy_pattern> parse_policy_pattern(std::string_view text) {
  if (text == "*")
    return policy_pattern{};
  auto bad = [&](std::string why) {
    return refuse("pattern " + quoted(text, echo_limit) + " " + why
                  + " (expected *, PROJECT:* or PROJECT:NAME)");
  };
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return bad("has no ':'");
  auto project = text.substr(0, colon);
  auto name = text.substr(colon + 1);
  // Checked as a line, with a stand-in name for `project:*`.
  auto line = std::string{project} + ":"
              + (name == "*" ? "x" : std::string{name});
  if (auto parsed = parse_model_line(line); !parsed)
    return bad("is not valid: " + parsed.error().message);
  policy_pattern result;
  result.project = std::string{project};
  if (name != "*")
    result.name = std::string{name};
  return result;
}

// -- policies -----------------------------------------------------------------

bool policy::empty() const {
  auto none = [](auto& xs) {
    return std::none_of(xs.begin(), xs.end(),
                        [](auto& x) { return x.has_value(); });
  };
  return none(threshold) && none(strategy) && !alpha && !min_samples
         && !consecutive_breaches && !cooldown && !max_attempts && !timeout
         && !command;
}

expected<policy> parse_policy(std::string_view text) {
  policy result;
  std::string section;
  std::size_t line_no = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{}
                                         : text.substr(end + 1);
    ++line_no;
    auto at = [&](failure f) {
      f.message = "line " + std::to_string(line_no) + ": " + f.message;
      return f;
    };
    for (auto c : line)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r')
          || c == 0x7f)
        return at(refuse("control byte " + quoted(std::string_view{&c, 1})));
    line = trim(line);
    if (line.empty() || line.front() == ';' || line.front() == '#')
      continue;
    if (line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos)
        return at(refuse("section " + quoted(line, echo_limit)
                         + " misses its closing ]"));
      section = std::string{trim(line.substr(1, close - 1))};
      auto rest = trim(line.substr(close + 1));
      if (!rest.empty() && rest.front() != ';' && rest.front() != '#')
        return at(refuse("unexpected " + quoted(rest, echo_limit)
                         + " after the section"));
      if (section != "retrain.monitor" && section != "retrain.threshold"
          && section != "retrain.strategy" && section != "retrain.job")
        return at(refuse("[" + section
                         + "] is no policy section (retrain.monitor, "
                           "retrain.threshold, retrain.strategy, "
                           "retrain.job)"));
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return at(refuse(quoted(line, echo_limit) + " is not KEY = VALUE"));
    auto key = trim(line.substr(0, eq));
    if (section.empty())
      return at(refuse(quoted(key, echo_limit)
                       + " comes before any section (e.g. "
                         "[retrain.threshold])"));
    if (auto err = apply_key(result, section, key, line.substr(eq + 1)))
      return at(std::move(err));
  }
  if (result.empty())
    return refuse("the policy sets nothing: set at least one key of "
                  "[retrain.monitor], [retrain.threshold], "
                  "[retrain.strategy] or [retrain.job]");
  if (auto err = check_strategies(result))
    return err;
  return result;
}

std::string to_text(std::chrono::milliseconds x) {
  auto n = x.count();
  if (n != 0 && n % 3'600'000 == 0)
    return std::to_string(n / 3'600'000) + "h";
  if (n != 0 && n % 60'000 == 0)
    return std::to_string(n / 60'000) + "min";
  if (n != 0 && n % 1000 == 0)
    return std::to_string(n / 1000) + "s";
  return std::to_string(n) + "ms";
}

std::string to_text(const strategy_spec& x) {
  auto result = x.name;
  for (auto& [key, value] : x.params)
    result += " " + key + "=" + value;
  return result;
}

std::string to_text(const policy& x) {
  std::string result;
  auto section = [&](const char* name, std::string body) {
    if (body.empty())
      return;
    if (!result.empty())
      result += '\n';
    result += "[";
    result += name;
    result += "]\n";
    result += body;
  };
  std::string monitor;
  if (x.alpha)
    monitor += "alpha = " + show(*x.alpha) + "\n";
  if (x.min_samples)
    monitor += "min-samples = " + std::to_string(*x.min_samples) + "\n";
  if (x.consecutive_breaches)
    monitor += "consecutive-breaches = "
               + std::to_string(*x.consecutive_breaches) + "\n";
  if (x.cooldown)
    monitor += "cooldown = " + to_text(*x.cooldown) + "\n";
  std::string threshold;
  std::string strategy;
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    auto kind = to_string(static_cast<metric_kind>(i));
    if (x.threshold[i])
      threshold += kind + " = "
                   + (*x.threshold[i] ? show(**x.threshold[i])
                                      : std::string{"\"off\""})
                   + "\n";
    if (x.strategy[i])
      strategy += kind + " = " + quote_text(to_text(*x.strategy[i])) + "\n";
  }
  std::string job;
  if (x.max_attempts)
    job += "max-attempts = " + std::to_string(*x.max_attempts) + "\n";
  if (x.timeout)
    job += "timeout = " + to_text(*x.timeout) + "\n";
  if (x.command)
    job += "command = " + join_command(*x.command) + "\n";
  section("retrain.monitor", monitor);
  section("retrain.threshold", threshold);
  section("retrain.strategy", strategy);
  section("retrain.job", job);
  return result;
}

// -- resolution ---------------------------------------------------------------

void complete_spec(strategy_spec& spec, metric_kind kind, double alpha,
                   uint64_t min_samples, uint64_t consecutive_breaches) {
  if (spec.name != "ewma_threshold")
    return;
  // Explicit per-kind parameters win, as in the node configuration.
  spec.params.emplace("alpha", show(alpha));
  spec.params.emplace("min_samples", std::to_string(min_samples));
  spec.params.emplace("consecutive_breaches",
                      std::to_string(consecutive_breaches));
  spec.params.emplace("direction", higher_is_better(kind) ? "below" : "above");
}

resolved_policy resolve(const policy_base& base, const stored_policy* winner) {
  static const policy none;
  auto& p = winner ? winner->value : none;
  resolved_policy result;
  if (winner) {
    result.pattern = winner->pattern.str();
    result.version = winner->version;
  }
  result.alpha = p.alpha.value_or(base.alpha);
  result.min_samples = p.min_samples.value_or(base.min_samples);
  result.consecutive_breaches
    = p.consecutive_breaches.value_or(base.consecutive_breaches);
  result.cooldown = p.cooldown.value_or(base.cooldown);
  result.max_attempts = p.max_attempts.value_or(base.max_attempts);
  result.timeout = p.timeout.value_or(base.timeout);
  result.command = p.command ? *p.command : base.command;
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    // As in the node configuration: a strategy wins over a threshold, and
    // a threshold of `off` unwatches the kind.
    std::optional<strategy_spec> spec;
    if (p.strategy[i]) {
      spec = p.strategy[i];
    } else if (p.threshold[i]) {
      if (*p.threshold[i]) {
        strategy_spec s;
        s.name = "ewma_threshold";
        s.params["threshold"] = show(**p.threshold[i]);
        spec = std::move(s);
      }
    } else {
      spec = base.kinds[i];
    }
    if (spec)
      complete_spec(*spec, static_cast<metric_kind>(i), result.alpha,
                    result.min_samples, result.consecutive_breaches);
    result.kinds[i] = std::move(spec);
  }
  return result;
}

bool same_detector(const strategy_spec& a, const strategy_spec& b) {
  if (a.name != b.name)
    return false;
  auto strip = [](param_map xs) {
    xs.erase("min_samples");
    xs.erase("consecutive_breaches");
    return xs;
  };
  if (a.name != "ewma_threshold")
    return a.params == b.params;
  return strip(a.params) == strip(b.params);
}

// -- the book -----------------------------------------------------------------

void policy_book::put(stored_policy x) {
  auto key = x.pattern.str();
  for (auto& e : entries_) {
    if (e.pattern.str() == key) {
      e = std::move(x);
      return;
    }
  }
  entries_.push_back(std::move(x));
}

void policy_book::erase(const std::string& pattern) {
  entries_.erase(
    std::remove_if(entries_.begin(), entries_.end(),
                   [&](auto& e) { return e.pattern.str() == pattern; }),
    entries_.end());
}

const stored_policy* policy_book::winner(std::string_view line) const {
  const stored_policy* result = nullptr;
  for (auto& e : entries_)
    if (e.pattern.matches(line)
        && (!result || e.pattern.specificity() > result->pattern.specificity()))
      result = &e;
  return result;
}

resolved_policy policy_book::resolve_line(const policy_base& base,
                                          std::string_view line) const {
  return resolve(base, winner(line));
}

policy_explanation policy_book::explain(const policy_base& base,
                                        std::string_view line) const {
  policy_explanation result;
  result.line = std::string{line};
  std::vector<const stored_policy*> matching;
  for (auto& e : entries_)
    if (e.pattern.matches(line))
      matching.push_back(&e);
  std::stable_sort(matching.begin(), matching.end(), [](auto x, auto y) {
    return x->pattern.specificity() > y->pattern.specificity();
  });
  for (auto x : matching)
    result.matched.push_back(x->pattern.str() + " v"
                             + std::to_string(x->version));
  auto top = matching.empty() ? nullptr : matching.front();
  auto r = resolve(base, top);
  result.pattern = r.pattern;
  result.version = r.version;
  static const policy none;
  auto& p = top ? top->value : none;
  auto from = [&](bool set) { return source_of(set ? top : nullptr); };
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    auto set = p.strategy[i].has_value() || p.threshold[i].has_value();
    if (!r.kinds[i] && !set)
      continue;
    result.settings.push_back(
      {"strategy." + to_string(static_cast<metric_kind>(i)),
       r.kinds[i] ? to_text(*r.kinds[i]) : std::string{"off"}, from(set)});
  }
  result.settings.push_back(
    {"monitor.alpha", show(r.alpha), from(p.alpha.has_value())});
  result.settings.push_back({"monitor.min-samples",
                             std::to_string(r.min_samples),
                             from(p.min_samples.has_value())});
  result.settings.push_back({"monitor.consecutive-breaches",
                             std::to_string(r.consecutive_breaches),
                             from(p.consecutive_breaches.has_value())});
  result.settings.push_back(
    {"monitor.cooldown", to_text(r.cooldown), from(p.cooldown.has_value())});
  // A setting of the coordinator's configuration is not known here.
  auto job = [&](const char* key, bool set, std::string value) {
    if (set || base.job_known)
      result.settings.push_back({key, std::move(value), from(set)});
    else
      result.settings.push_back({key, "", "coordinator config"});
  };
  job("job.max-attempts", p.max_attempts.has_value(),
      std::to_string(r.max_attempts));
  job("job.timeout", p.timeout.has_value(), to_text(r.timeout));
  job("job.command", p.command.has_value(), join_command(r.command));
  return result;
}

} // namespace retrain::core
