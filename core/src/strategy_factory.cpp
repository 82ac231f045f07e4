#include "retrain/core/strategy_factory.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "retrain/core/ewma_threshold.hpp"

namespace retrain::core {

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
     {{"alpha", "0.2", "weight of the newest value, in [0, 1]"},
      {"threshold", "", "the EWMA is compared with this (required)"},
      {"direction", "below",
       "below: breach when the EWMA falls under the threshold (quality); "
       "above: when it rises over it (latency)"},
      {"min_samples", "1", "no verdict before this many values (>= 1)"},
      {"consecutive_breaches", "1",
       "breaching evaluations in a row for a drift (>= 1)"}},
     make_ewma},
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
  std::string known;
  for (auto& info : strategies()) {
    if (!known.empty())
      known += ", ";
    known += info.name;
  }
  return fail("unknown strategy '" + std::string{name} + "' (known: " + known
              + ")");
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
    error_ = failure{strategy_ + ": " + std::move(msg)};
}

double param_reader::real(std::string_view key, double fallback, double min,
                          double max) {
  auto str = find(key);
  if (!str)
    return fallback;
  errno = 0;
  char* end = nullptr;
  auto value = std::strtod(str->c_str(), &end);
  if (str->empty() || *end != '\0' || errno == ERANGE
      || !std::isfinite(value)) {
    error("parameter " + std::string{key} + "='" + *str
          + "' is not a finite number");
    return fallback;
  }
  if (value < min || value > max) {
    error("parameter " + std::string{key} + "=" + *str + " is outside ["
          + show(min) + ", " + show(max) + "]");
    return fallback;
  }
  return value;
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
  errno = 0;
  char* end = nullptr;
  auto value = std::strtoull(str->c_str(), &end, 10);
  if (str->empty() || *end != '\0' || errno == ERANGE || (*str)[0] == '-') {
    error("parameter " + std::string{key} + "='" + *str
          + "' is not a whole number");
    return fallback;
  }
  if (value < min || value > max) {
    error("parameter " + std::string{key} + "=" + *str + " is outside ["
          + std::to_string(min) + ", " + std::to_string(max) + "]");
    return fallback;
  }
  return value;
}

std::size_t param_reader::choice(std::string_view key, std::size_t fallback,
                                 const std::vector<std::string_view>& choices) {
  auto str = find(key);
  if (!str)
    return fallback;
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == *str)
      return i;
  std::string allowed;
  for (auto c : choices) {
    if (!allowed.empty())
      allowed += ", ";
    allowed += c;
  }
  error("parameter " + std::string{key} + "='" + *str + "' is not one of "
        + allowed);
  return fallback;
}

std::optional<failure>
param_reader::finish(const std::vector<param_info>& known) {
  for (auto& [key, value] : params_) {
    bool found = false;
    for (auto& p : known)
      found = found || p.name == key;
    if (!found) {
      std::string names;
      for (auto& p : known) {
        if (!names.empty())
          names += ", ";
        names += p.name;
      }
      error("unknown parameter '" + key + "' (known: " + names + ")");
    }
  }
  return error_;
}

namespace {

expected<std::unique_ptr<strategy>> make_ewma(const param_map& params) {
  param_reader in{"ewma_threshold", params};
  ewma_threshold_params p;
  p.alpha = in.real("alpha", 0.2, 0.0, 1.0);
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
    return *err;
  return std::unique_ptr<strategy>{new ewma_threshold(p)};
}

} // namespace

} // namespace retrain::core
