#include "retrain/core/ddm.hpp"

#include <cmath>
#include <limits>

namespace retrain::core {

ddm::ddm(ddm_params params) : params_(params) {
  reset();
}

void ddm::reset() {
  constexpr auto inf = std::numeric_limits<double>::infinity();
  samples_ = 0;
  p_ = {};
  p_min_ = inf;
  s_min_ = inf;
  ps_min_ = inf;
  warning_ = false;
  drift_ = false;
  last_ = detection{};
}

std::string_view ddm::name() const noexcept {
  return "ddm";
}

detection ddm::update(double x) {
  if (drift_)
    reset();
  ++samples_;
  p_.update(x);
  auto p_i = p_.mean;
  auto s_i = std::sqrt(p_i * (1 - p_i) / p_.n);
  detection result;
  result.statistic = p_i + s_i;
  if (p_.n > static_cast<double>(params_.warm_start)) {
    if (p_i + s_i <= ps_min_) {
      p_min_ = p_i;
      s_min_ = s_i;
      ps_min_ = p_min_ + s_min_;
    }
    warning_ = p_i + s_i > p_min_ + params_.warning_threshold * s_min_;
    result.threshold = p_min_ + params_.drift_threshold * s_min_;
    result.breach = p_i + s_i > result.threshold;
    if (result.breach) {
      drift_ = true;
      warning_ = false;
    }
  }
  return report(result, drift_, warning_);
}

expected<std::unique_ptr<strategy>> make_ddm(const param_map& params) {
  constexpr auto max_real = std::numeric_limits<double>::max();
  param_reader in{"ddm", params};
  ddm_params p;
  p.warm_start = in.integer("warm_start", p.warm_start, 0, 1'000'000'000);
  p.warning_threshold = in.real("warning_threshold", p.warning_threshold, 0.0,
                                max_real);
  p.drift_threshold = in.real("drift_threshold", p.drift_threshold, 0.0,
                              max_real);
  if (auto err = in.finish(find_strategy("ddm")->params))
    return err;
  return std::unique_ptr<strategy>{new ddm(p)};
}

} // namespace retrain::core
