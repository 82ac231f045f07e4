#include "retrain/core/hddm_a.hpp"

#include <cmath>

namespace retrain::core {

hddm_a::hddm_a(hddm_a_params params) : params_(params) {
  reset();
}

void hddm_a::reset() {
  samples_ = 0;
  x_min_ = {};
  x_max_ = {};
  z_ = {};
  warning_ = false;
  drift_ = false;
  last_ = detection{};
}

std::string_view hddm_a::name() const noexcept {
  return "hddm_a";
}

double hddm_a::hoeffding_bound(double n) const {
  return std::sqrt(1.0 / (2 * n) * std::log(1.0 / params_.drift_confidence));
}

double hddm_a::change_bound(const detail::running_mean& cut,
                            double confidence) const {
  auto m = (z_.n - cut.n) / cut.n * (1.0 / z_.n);
  return std::sqrt(m / 2 * std::log(2.0 / confidence));
}

detection hddm_a::update(double x) {
  if (drift_)
    reset();
  ++samples_;
  z_.update(x);
  if (x_min_.n == 0.0)
    x_min_ = z_;
  if (x_max_.n == 0.0)
    x_max_ = z_;
  auto eps_z = hoeffding_bound(z_.n);
  // Move the cut points where the bounded mean is at its best.
  if (x_min_.mean + hoeffding_bound(x_min_.n) >= z_.mean + eps_z)
    x_min_ = z_;
  if (x_max_.mean - hoeffding_bound(x_max_.n) <= z_.mean - eps_z)
    x_max_ = z_;
  detection result;
  // No test while a cut point is the global mean itself.
  if (x_min_.n != z_.n) {
    result.statistic = z_.mean - x_min_.mean;
    result.threshold = change_bound(x_min_, params_.drift_confidence);
    drift_ = result.statistic >= result.threshold;
    warning_ = !drift_
               && result.statistic
                    >= change_bound(x_min_, params_.warning_confidence);
  } else {
    drift_ = false;
    warning_ = false;
  }
  if (params_.two_sided_test && x_max_.n != z_.n) {
    auto fall = x_max_.mean - z_.mean;
    auto bound = change_bound(x_max_, params_.drift_confidence);
    if (fall >= bound) {
      drift_ = true;
      result.statistic = fall;
      result.threshold = bound;
    } else if (fall >= change_bound(x_max_, params_.warning_confidence)) {
      warning_ = true;
    }
  }
  result.breach = drift_;
  return report(result, drift_, warning_);
}

expected<std::unique_ptr<strategy>> make_hddm_a(const param_map& params) {
  param_reader in{"hddm_a", params};
  hddm_a_params p;
  p.drift_confidence = in.real_above("drift_confidence", p.drift_confidence,
                                     0.0, 1.0);
  p.warning_confidence = in.real_above("warning_confidence",
                                       p.warning_confidence, 0.0, 1.0);
  p.two_sided_test = in.choice("two_sided_test", 0, {"false", "true"}) == 1;
  if (auto err = in.finish(find_strategy("hddm_a")->params))
    return err;
  return std::unique_ptr<strategy>{new hddm_a(p)};
}

} // namespace retrain::core
