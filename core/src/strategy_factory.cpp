#include "retrain/core/strategy_factory.hpp"

#include <limits>
#include <sstream>

#include "retrain/core/adwin.hpp"
#include "retrain/core/ddm.hpp"
#include "retrain/core/eddm.hpp"
#include "retrain/core/ewma_threshold.hpp"
#include "retrain/core/hddm_a.hpp"
#include "retrain/core/hddm_w.hpp"
#include "retrain/core/number.hpp"
#include "retrain/core/page_hinkley.hpp"

#include "retrain/core/quoted.hpp"

namespace retrain::core {

namespace {

// "a, b, c" of `name(x)` for each x of `xs`.
template <class Range, class Name>
std::string join(const Range& xs, Name name) {
  std::string result;
  for (auto& x : xs) {
    if (!result.empty())
      result += ", ";
    result += name(x);
  }
  return result;
}

} // namespace

namespace {

std::string show(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

expected<std::unique_ptr<strategy>> make_ewma(const param_map& params);

} // namespace

const std::vector<strategy_info>& strategies() {
  static const std::vector<strategy_info> result = {
    {"ewma_threshold",
     "exponentially weighted moving average against a fixed threshold, with "
     "warm-up and hysteresis (the seed's policy)",
     false,
     {{"alpha", "0.2", "weight of the newest value, in (0, 1]"},
      {"threshold", "", "the EWMA is compared with this (required)"},
      {"direction", "below",
       "below: breach when the EWMA falls under the threshold (quality); "
       "above: when it rises over it (latency)"},
      {"min_samples", "1", "no verdict before this many values (>= 1)"},
      {"consecutive_breaches", "1",
       "breaching evaluations in a row for a drift (>= 1)"}},
     make_ewma},
    // The change detectors follow River (online-ml/river): same parameters,
    // defaults and decisions.
    {"page_hinkley",
     "Page-Hinkley test: drift when the faded cumulative deviation from the "
     "running mean moves more than a threshold (no warnings)",
     false,
     {{"min_instances", "30", "no drift before this many values"},
      {"delta", "0.005", "magnitude of change tolerated per value (>= 0)"},
      {"threshold", "50", "the test value must exceed this (> 0)"},
      {"alpha", "0.9999", "forgetting factor of the sums, in [0, 1]"},
      {"mode", "both", "up: watch increases; down: decreases; both: either"}},
     make_page_hinkley},
    {"adwin",
     "ADWIN adaptive window: drift when an older and a newer part of the "
     "window have significantly different means (no warnings)",
     false,
     {{"delta", "0.002", "significance of the cut test, in (0, 1]"},
      {"clock", "32", "check every this many values (>= 1)"},
      {"max_buckets", "5", "buckets of each size before merging, in [2, 1000]"},
      {"min_window_length", "5", "least length of each part of a cut (>= 1)"},
      {"grace_period", "10", "no check while the window holds fewer values"}},
     make_adwin},
    {"ddm",
     "DDM: warning or drift when the error rate rises some standard "
     "deviations over its best (outcomes: 1 = error, 0 = correct)",
     true,
     {{"warm_start", "30", "no verdict before more outcomes than this"},
      {"warning_threshold", "2", "standard deviations for a warning (>= 0)"},
      {"drift_threshold", "3", "standard deviations for a drift (>= 0)"}},
     make_ddm},
    {"eddm",
     "EDDM: warning or drift when the distance between errors shrinks "
     "(outcomes: 1 = error, 0 = correct)",
     true,
     {{"warm_start", "30",
       "no verdict before more outcomes and more errors than this"},
      {"alpha", "0.95", "warning level, in (0, 1], >= beta"},
      {"beta", "0.9", "drift level, in (0, 1]"}},
     make_eddm},
    {"hddm_a",
     "HDDM_A: warning or drift when the mean error rate rises over its best "
     "by more than a Hoeffding bound (outcomes: 1 = error, 0 = correct)",
     true,
     {{"drift_confidence", "0.001", "confidence of the drift test, in (0, 1]"},
      {"warning_confidence", "0.005",
       "confidence of the warning test, in (0, 1]"},
      {"two_sided_test", "false", "true: falls of the error rate count too"}},
     make_hddm_a},
    {"hddm_w",
     "HDDM_W: like hddm_a on exponentially weighted averages with "
     "McDiarmid's bound (outcomes: 1 = error, 0 = correct)",
     true,
     {{"drift_confidence", "0.001", "confidence of the drift test, in (0, 1]"},
      {"warning_confidence", "0.005",
       "confidence of the warning test, in (0, 1]"},
      {"lambda_val", "0.05", "weight of the newest outcome, in (0, 1]"},
      {"two_sided_test", "false", "true: falls of the error rate count too"}},
     make_hddm_w},
  };
  return result;
}

const strategy_info* find_strategy(std::string_view name) {
  for (auto& info : strategies())
    if (info.name == name)
      return &info;
  return nullptr;
}

expected<std::unique_ptr<strategy>> make_strategy(std::string_view name,
                                                  const param_map& params) {
  if (auto info = find_strategy(name))
    return info->make(params);
  auto known = join(strategies(), [](auto& info) { return info.name; });
  return fail(errc::invalid_config, "unknown strategy "
                                      + quoted(name, echo_limit)
                                      + " (known: " + known + ")");
}

param_reader::param_reader(std::string_view strategy, const param_map& params)
  : strategy_(strategy), params_(params) {
  // nop
}

const std::string* param_reader::find(std::string_view key) {
  auto i = params_.find(key);
  return i == params_.end() ? nullptr : &i->second;
}

void param_reader::error(std::string msg) {
  if (!error_)
    error_ = fail(errc::invalid_config, strategy_ + ": " + std::move(msg));
}

double param_reader::real(std::string_view key, double fallback, double min,
                          double max) {
  auto str = find(key);
  if (!str)
    return fallback;
  auto value = parse_decimal(*str);
  if (!value) {
    error("parameter " + std::string{key} + "=" + value.error().message);
    return fallback;
  }
  if (*value < min || *value > max) {
    error("parameter " + std::string{key} + "=" + *str + " is outside ["
          + show(min) + ", " + show(max) + "]");
    return fallback;
  }
  return *value;
}

double param_reader::real_above(std::string_view key, double fallback,
                                double min, double max) {
  auto value = real(key, fallback, min, max);
  if (find(key) && value <= min)
    error("parameter " + std::string{key} + "=" + *find(key)
          + " must be greater than " + show(min));
  return value;
}

double param_reader::required_real(std::string_view key, double min,
                                   double max) {
  if (!find(key)) {
    error("parameter " + std::string{key} + " is required");
    return 0.0;
  }
  return real(key, 0.0, min, max);
}

uint64_t param_reader::integer(std::string_view key, uint64_t fallback,
                               uint64_t min, uint64_t max) {
  auto str = find(key);
  if (!str)
    return fallback;
  auto value = parse_whole(*str);
  if (!value) {
    error("parameter " + std::string{key} + "=" + value.error().message);
    return fallback;
  }
  if (*value < min || *value > max) {
    error("parameter " + std::string{key} + "=" + *str + " is outside ["
          + std::to_string(min) + ", " + std::to_string(max) + "]");
    return fallback;
  }
  return *value;
}

std::size_t param_reader::choice(std::string_view key, std::size_t fallback,
                                 const std::vector<std::string_view>& choices) {
  auto str = find(key);
  if (!str)
    return fallback;
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == *str)
      return i;
  auto allowed = join(choices, [](auto c) { return c; });
  error("parameter " + std::string{key} + "=" + quoted(*str, echo_limit)
        + " is not one of " + allowed);
  return fallback;
}

failure param_reader::finish(const std::vector<param_info>& known) {
  for (auto& [key, value] : params_) {
    bool found = false;
    for (auto& p : known)
      found = found || p.name == key;
    if (!found)
      error("unknown parameter " + quoted(key, echo_limit)
            + " (known: " + join(known, [](auto& p) { return p.name; }) + ")");
  }
  return error_;
}

namespace {

expected<std::unique_ptr<strategy>> make_ewma(const param_map& params) {
  param_reader in{"ewma_threshold", params};
  ewma_threshold_params p;
  p.alpha = in.real_above("alpha", 0.2, 0.0, 1.0);
  p.threshold = in.required_real("threshold",
                                 -std::numeric_limits<double>::max(),
                                 std::numeric_limits<double>::max());
  p.side = in.choice("direction", 0, {"below", "above"}) == 0
             ? breach_side::below
             : breach_side::above;
  p.min_samples = in.integer("min_samples", 1, 1, 1'000'000'000);
  p.consecutive_breaches = in.integer("consecutive_breaches", 1, 1,
                                      1'000'000'000);
  if (auto err = in.finish(find_strategy("ewma_threshold")->params))
    return err;
  return std::unique_ptr<strategy>{new ewma_threshold(p)};
}

} // namespace

} // namespace retrain::core
