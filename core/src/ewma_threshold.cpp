#include "retrain/core/ewma_threshold.hpp"

#include <cmath>

namespace retrain::core {

ewma_threshold::ewma_threshold(ewma_threshold_params params) : params_(params) {
  if (params_.min_samples == 0)
    params_.min_samples = 1;
  if (params_.consecutive_breaches == 0)
    params_.consecutive_breaches = 1;
  last_.threshold = params_.threshold;
}

std::string_view ewma_threshold::name() const noexcept {
  return "ewma_threshold";
}

detection ewma_threshold::update(double x) {
  // Same expression and order as the seed: initialise with the first value,
  // then blend (which leaves the first value unchanged).
  if (samples_ == 0)
    ewma_ = x;
  ewma_ = params_.alpha * x + (1.0 - params_.alpha) * ewma_;
  ++samples_;
  detection result;
  result.statistic = ewma_;
  result.threshold = params_.threshold;
  result.breach = params_.side == breach_side::below
                    ? ewma_ < params_.threshold
                    : ewma_ > params_.threshold;
  if (samples_ >= params_.min_samples) {
    if (result.breach) {
      if (++streak_ >= params_.consecutive_breaches) {
        result.state = verdict::drift;
        streak_ = 0;
      } else {
        result.state = verdict::warning;
      }
    } else {
      streak_ = 0;
    }
  }
  last_ = result;
  return result;
}

strategy_snapshot ewma_threshold::snapshot() const {
  return {std::string{name()},
          {ewma_, static_cast<double>(samples_), static_cast<double>(streak_),
           static_cast<double>(last_.state), last_.statistic,
           last_.breach ? 1.0 : 0.0}};
}

bool ewma_threshold::restore(const strategy_snapshot& x) {
  if (x.strategy != name() || x.values.size() != 6)
    return false;
  // Counts are whole, non-negative and exact in a double; the verdict is
  // one of three; the rest is finite. Anything else is not our snapshot.
  auto is_count = [](double v) {
    return v >= 0 && v <= 9007199254740992.0 && v == std::floor(v);
  };
  auto& v = x.values;
  if (!std::isfinite(v[0]) || !is_count(v[1]) || !is_count(v[2])
      || !(v[3] == 0 || v[3] == 1 || v[3] == 2) || !std::isfinite(v[4])
      || !(v[5] == 0 || v[5] == 1))
    return false;
  ewma_ = x.values[0];
  samples_ = static_cast<uint64_t>(x.values[1]);
  streak_ = static_cast<uint64_t>(x.values[2]);
  last_.state = static_cast<verdict>(static_cast<int>(x.values[3]));
  last_.statistic = x.values[4];
  last_.threshold = params_.threshold;
  last_.breach = x.values[5] != 0.0;
  return true;
}

} // namespace retrain::core
