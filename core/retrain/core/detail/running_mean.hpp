#pragma once

namespace retrain::core::detail {

/// Incremental mean with the same arithmetic as River's `stats.Mean`
/// (`n += 1; mean += (1 / n) * (x - mean)`), so that detectors built on it
/// reach the same decisions bit for bit.
struct running_mean {
  /// Number of values, as a real number like River's.
  double n = 0.0;
  /// The mean so far (0 before the first value).
  double mean = 0.0;

  void update(double x) noexcept {
    n += 1.0;
    mean += (1.0 / n) * (x - mean);
  }

  template <class Inspector>
  void inspect_state(Inspector& f) {
    f(n);
    f(mean);
  }
};

} // namespace retrain::core::detail
