#include "retrain/core/page_hinkley.hpp"

#include <algorithm>
#include <limits>

namespace retrain::core {

page_hinkley::page_hinkley(page_hinkley_params params) : params_(params) {
  reset();
}

void page_hinkley::reset() {
  samples_ = 0;
  mean_ = {};
  sum_increase_ = 0.0;
  sum_decrease_ = 0.0;
  min_increase_ = std::numeric_limits<double>::infinity();
  // River starts the running maximum at -1, not at -infinity; the first
  // decrease sum is `delta` >= 0, so it takes over at once.
  max_decrease_ = -1.0;
  drift_ = false;
  last_ = detection{};
  last_.threshold = params_.threshold;
}

std::string_view page_hinkley::name() const noexcept {
  return "page_hinkley";
}

detection page_hinkley::update(double x) {
  if (drift_)
    reset();
  ++samples_;
  mean_.update(x);
  auto dev = x - mean_.mean;
  sum_increase_ = params_.alpha * sum_increase_ + dev - params_.delta;
  sum_decrease_ = params_.alpha * sum_decrease_ + dev + params_.delta;
  if (sum_increase_ < min_increase_)
    min_increase_ = sum_increase_;
  if (sum_decrease_ > max_decrease_)
    max_decrease_ = sum_decrease_;
  auto test_increase = sum_increase_ - min_increase_;
  auto test_decrease = max_decrease_ - sum_decrease_;
  detection result;
  switch (params_.mode) {
    case page_hinkley_mode::up:
      result.statistic = test_increase;
      break;
    case page_hinkley_mode::down:
      result.statistic = test_decrease;
      break;
    case page_hinkley_mode::both:
      result.statistic = std::max(test_increase, test_decrease);
      break;
  }
  result.threshold = params_.threshold;
  result.breach = result.statistic > params_.threshold;
  if (mean_.n >= static_cast<double>(params_.min_instances))
    drift_ = result.breach;
  return report(result, drift_, false);
}

expected<std::unique_ptr<strategy>> make_page_hinkley(const param_map& params) {
  constexpr auto max_real = std::numeric_limits<double>::max();
  param_reader in{"page_hinkley", params};
  page_hinkley_params p;
  p.min_instances = in.integer("min_instances", p.min_instances, 0,
                               1'000'000'000);
  p.delta = in.real("delta", p.delta, 0.0, max_real);
  p.threshold = in.real_above("threshold", p.threshold, 0.0, max_real);
  p.alpha = in.real("alpha", p.alpha, 0.0, 1.0);
  p.mode = static_cast<page_hinkley_mode>(
    in.choice("mode", 2, {"up", "down", "both"}));
  if (auto err = in.finish(find_strategy("page_hinkley")->params))
    return err;
  return std::unique_ptr<strategy>{new page_hinkley(p)};
}

} // namespace retrain::core
