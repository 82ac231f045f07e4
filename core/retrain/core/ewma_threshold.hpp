#pragma once

#include <cstdint>

#include "retrain/core/strategy.hpp"

namespace retrain::core {

/// Which side of the threshold is a breach.
enum class breach_side : uint8_t {
  /// Breach when the EWMA falls below the threshold (quality kinds).
  below,
  /// Breach when the EWMA rises above the threshold (latency).
  above,
};

/// Parameters of `ewma_threshold`.
struct ewma_threshold_params {
  /// Weight of the newest value, in [0, 1].
  double alpha = 0.2;
  /// The threshold the EWMA is compared with.
  double threshold = 0.0;
  /// Which side of the threshold is a breach.
  breach_side side = breach_side::below;
  /// No verdict before this many values (warm-up), at least 1.
  uint64_t min_samples = 1;
  /// Breaching evaluations in a row needed for a drift, at least 1.
  uint64_t consecutive_breaches = 1;
};

/// The seed's policy, with the latency direction fixed and with warm-up and
/// hysteresis: the first value initialises the EWMA, then
/// `ewma = alpha * x + (1 - alpha) * ewma`. Each evaluation from the
/// `min_samples`-th value on either breaches or not; `consecutive_breaches`
/// breaches in a row give `drift` (and restart the count), fewer give
/// `warning`. With `min_samples = 1` and `consecutive_breaches = 1` it reports
/// drift exactly when the seed's `ewma < threshold` holds.
class ewma_threshold final : public strategy {
public:
  explicit ewma_threshold(ewma_threshold_params params);

  std::string_view name() const noexcept override;

  detection update(double x) override;

  uint64_t samples() const noexcept override {
    return samples_;
  }

  detection last() const noexcept override {
    return last_;
  }

  strategy_snapshot snapshot() const override;

  bool restore(const strategy_snapshot& x) override;

  std::unique_ptr<strategy> clone() const override {
    return std::make_unique<ewma_threshold>(*this);
  }

  std::size_t memory_bound() const noexcept override {
    return sizeof(*this);
  }

  /// The current EWMA (0 before the first value).
  double ewma() const noexcept {
    return ewma_;
  }

  const ewma_threshold_params& params() const noexcept {
    return params_;
  }

private:
  ewma_threshold_params params_;
  double ewma_ = 0.0;
  uint64_t samples_ = 0;
  uint64_t streak_ = 0;
  detection last_;
};

} // namespace retrain::core
