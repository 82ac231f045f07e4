#include "retrain/core/eddm.hpp"

#include <cmath>
#include <sstream>

namespace retrain::core {

eddm::eddm(eddm_params params) : params_(params) {
  reset();
}

void eddm::reset() {
  samples_ = 0;
  distance_ = {};
  distance_s_ = 0.0;
  last_error_ = 0;
  errors_ = 0;
  p2s_max_ = -1.0;
  warning_ = false;
  drift_ = false;
  last_ = detection{};
  last_.statistic = 1.0;
  last_.threshold = params_.beta;
}

std::string_view eddm::name() const noexcept {
  return "eddm";
}

detection eddm::update(double x) {
  if (drift_)
    reset();
  ++samples_;
  detection result = last_;
  if (x == 1.0) {
    ++errors_;
    auto distance = static_cast<double>(samples_ - last_error_);
    auto mean_old = distance_.mean;
    distance_.update(distance);
    distance_s_ += (distance - mean_old) * (distance - distance_.mean);
    if (samples_ > params_.warm_start) {
      auto variance = distance_.n > 1.0 ? distance_s_ / (distance_.n - 1.0)
                                        : 0.0;
      // River takes `** 0.5`, which is pow, not sqrt.
      auto p2s = distance_.mean + 2 * std::pow(variance, 0.5);
      if (p2s > p2s_max_) {
        p2s_max_ = p2s;
      } else if (errors_ > params_.warm_start) {
        auto level = p2s / p2s_max_;
        result.statistic = level;
        if (level < params_.beta)
          drift_ = true;
        else
          warning_ = level < params_.alpha;
      }
    }
    last_error_ = samples_;
  }
  result.threshold = params_.beta;
  result.breach = result.statistic < params_.beta;
  return report(result, drift_, warning_);
}

expected<std::unique_ptr<strategy>> make_eddm(const param_map& params) {
  param_reader in{"eddm", params};
  eddm_params p;
  p.warm_start = in.integer("warm_start", p.warm_start, 0, 1'000'000'000);
  p.alpha = in.real_above("alpha", p.alpha, 0.0, 1.0);
  p.beta = in.real_above("beta", p.beta, 0.0, 1.0);
  if (auto err = in.finish(find_strategy("eddm")->params))
    return err;
  if (p.alpha < p.beta) {
    std::ostringstream msg;
    msg << "eddm: parameter alpha=" << p.alpha
        << " must be greater than or equal to beta=" << p.beta;
    return fail(errc::invalid_config, msg.str());
  }
  return std::unique_ptr<strategy>{new eddm(p)};
}

} // namespace retrain::core
