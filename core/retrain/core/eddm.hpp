#pragma once

#include <cstdint>
#include <memory>

#include "retrain/core/detail/detector.hpp"
#include "retrain/core/detail/running_mean.hpp"
#include "retrain/core/expected.hpp"
#include "retrain/core/strategy.hpp"
#include "retrain/core/strategy_factory.hpp"

namespace retrain::core {

/// Parameters of `eddm`, with River's defaults.
struct eddm_params {
  /// No verdict until more than this many outcomes and more than this many
  /// errors were seen.
  uint64_t warm_start = 30;
  /// Warning when the level falls under this, in (0, 1], >= beta.
  double alpha = 0.95;
  /// Drift when the level falls under this, in (0, 1].
  double beta = 0.9;
};

/// The Early Drift Detection Method (Baena-Garcia et al. 2006) as River's
/// `drift.binary.EDDM`. Input: one outcome per prediction, 1 = error,
/// 0 = correct. It tracks the mean p' and standard deviation s' of the
/// distance between consecutive errors and the maximum of p' + 2 s'; on each
/// error past warm-up that does not set a new maximum, the level
/// (p' + 2 s') / max below `beta` is a drift, below `alpha` a warning, and a
/// warning is otherwise cleared. As in River, a warning stands until an error
/// clears it. After a drift the next update starts afresh.
///
/// The detection's statistic is the last level computed (1 before the
/// first), its threshold `beta`.
class eddm final : public detail::binary_detector<eddm> {
public:
  explicit eddm(eddm_params params = {});

  std::string_view name() const noexcept override;

  detection update(double x) override;

  const eddm_params& params() const noexcept {
    return params_;
  }

  /// Lists the state for snapshots (parameters first, compared on restore).
  template <class Inspector>
  void inspect_state(Inspector& f) {
    f.param(params_.warm_start);
    f.param(params_.alpha);
    f.param(params_.beta);
    f(samples_);
    f(distance_);
    f(distance_s_);
    f(last_error_);
    f(errors_);
    f(p2s_max_);
    f(warning_);
    f(drift_);
    f(last_);
  }

private:
  void reset();

  eddm_params params_;
  /// Mean of the distances between errors, and Welford's sum of squared
  /// deviations (River's `stats.Var`).
  detail::running_mean distance_;
  double distance_s_;
  uint64_t last_error_;
  uint64_t errors_;
  double p2s_max_;
  bool warning_;
  bool drift_;
};

/// Builds an `eddm` from config or command-line parameters; refuses
/// `alpha` < `beta` as River does.
expected<std::unique_ptr<strategy>> make_eddm(const param_map& params);

} // namespace retrain::core
