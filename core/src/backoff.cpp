#include "retrain/core/backoff.hpp"

#include <algorithm>

namespace retrain::core {

backoff::duration backoff::nominal(uint32_t attempt) const noexcept {
  if (attempt == 0)
    return duration::zero();
  auto result = base_;
  for (uint32_t i = 1; i < attempt && result < cap_; ++i)
    result = result > cap_ / 2 ? cap_ : result * 2; // never overflows
  return std::min(result, cap_);
}

backoff::duration backoff::delay(uint32_t attempt, double unit) const noexcept {
  auto base = static_cast<double>(nominal(attempt).count());
  unit = std::clamp(unit, 0.0, 1.0);
  auto jitter = std::clamp(jitter_, 0.0, 1.0);
  auto scaled = base * (1.0 + jitter * (2.0 * unit - 1.0));
  // Jitter may push a huge cap past what the type holds (2^63 as a double
  // is already one past it).
  if (scaled >= static_cast<double>(duration::max().count()))
    return duration::max();
  return duration{static_cast<duration::rep>(std::max(0.0, scaled))};
}

} // namespace retrain::core
