#include "retrain/core/hddm_w.hpp"

#include <cmath>
#include <limits>

namespace retrain::core {

hddm_w::hddm_w(hddm_w_params params)
  : params_(params),
    lambda_sq_(params.lambda_val * params.lambda_val),
    // River writes `(1 - lambda) ** 2`, which is pow.
    c_lambda_sq_(std::pow(1 - params.lambda_val, 2.0)) {
  reset();
}

void hddm_w::reset() {
  constexpr auto inf = std::numeric_limits<double>::infinity();
  samples_ = 0;
  total_ = {};
  s1_incr_ = {};
  s2_incr_ = {};
  s1_decr_ = {};
  s2_decr_ = {};
  incr_cutpoint_ = inf;
  decr_cutpoint_ = -inf;
  warning_ = false;
  drift_ = false;
  last_ = detection{};
}

std::string_view hddm_w::name() const noexcept {
  return "hddm_w";
}

void hddm_w::add(sample_info& s, double x) const {
  // River's EWMean (from its Rust core) restarts from the next value
  // whenever the average is exactly 0.
  if (s.ewma == 0.0)
    s.ewma = x;
  else
    s.ewma = params_.lambda_val * x + (1.0 - params_.lambda_val) * s.ewma;
  s.is_init = true;
  s.ibc = lambda_sq_ + c_lambda_sq_ * s.ibc;
}

double hddm_w::bound(double ibc, double confidence) const {
  return std::sqrt(ibc * std::log(1 / confidence) / 2);
}

bool hddm_w::rose(const sample_info& before, const sample_info& after,
                  double confidence, detection* out) const {
  if (!before.is_init || !after.is_init)
    return false;
  auto threshold = bound(before.ibc + after.ibc, confidence);
  auto rise = after.ewma - before.ewma;
  if (out) {
    out->statistic = rise;
    out->threshold = threshold;
  }
  return rise > threshold;
}

detection hddm_w::update(double x) {
  if (drift_)
    reset();
  ++samples_;
  add(total_, x);
  detection result;
  // Rises: the cut point is where the bounded average was lowest.
  auto eps = bound(total_.ibc, params_.drift_confidence);
  if (total_.ewma + eps < incr_cutpoint_) {
    incr_cutpoint_ = total_.ewma + eps;
    s1_incr_ = total_;
    s2_incr_ = {};
  } else {
    add(s2_incr_, x);
  }
  drift_ = rose(s1_incr_, s2_incr_, params_.drift_confidence, &result);
  warning_ = !drift_ && rose(s1_incr_, s2_incr_, params_.warning_confidence);
  // Falls: the cut point is where the bounded average was highest (same
  // bound as above).
  if (total_.ewma - eps > decr_cutpoint_) {
    decr_cutpoint_ = total_.ewma - eps;
    s1_decr_ = total_;
    s2_decr_ = {};
  } else {
    add(s2_decr_, x);
  }
  if (params_.two_sided_test) {
    detection fall;
    if (rose(s2_decr_, s1_decr_, params_.drift_confidence, &fall)) {
      drift_ = true;
      result.statistic = fall.statistic;
      result.threshold = fall.threshold;
    } else if (rose(s2_decr_, s1_decr_, params_.warning_confidence)) {
      warning_ = true;
    }
  }
  result.breach = drift_;
  return report(result, drift_, warning_);
}

expected<std::unique_ptr<strategy>> make_hddm_w(const param_map& params) {
  param_reader in{"hddm_w", params};
  hddm_w_params p;
  p.drift_confidence = in.real_above("drift_confidence", p.drift_confidence,
                                     0.0, 1.0);
  p.warning_confidence = in.real_above("warning_confidence",
                                       p.warning_confidence, 0.0, 1.0);
  p.lambda_val = in.real_above("lambda_val", p.lambda_val, 0.0, 1.0);
  p.two_sided_test = in.choice("two_sided_test", 0, {"false", "true"}) == 1;
  if (auto err = in.finish(find_strategy("hddm_w")->params))
    return err;
  return std::unique_ptr<strategy>{new hddm_w(p)};
}

} // namespace retrain::core
