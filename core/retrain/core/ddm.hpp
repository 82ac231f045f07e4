#pragma once

#include <cstdint>
#include <memory>

#include "retrain/core/detail/detector.hpp"
#include "retrain/core/detail/running_mean.hpp"
#include "retrain/core/expected.hpp"
#include "retrain/core/strategy.hpp"
#include "retrain/core/strategy_factory.hpp"

namespace retrain::core {

/// Parameters of `ddm`, with River's defaults.
struct ddm_params {
  /// No verdict until more than this many outcomes were seen.
  uint64_t warm_start = 30;
  /// Standard deviations above the best error rate for a warning.
  double warning_threshold = 2.0;
  /// Standard deviations above the best error rate for a drift.
  double drift_threshold = 3.0;
};

/// The Drift Detection Method (Gama et al. 2004) as River's
/// `drift.binary.DDM`. Input: one outcome per prediction, 1 = error,
/// 0 = correct. With p the error rate so far and s = sqrt(p (1 - p) / n),
/// it remembers p_min and s_min where p + s was smallest and reports a
/// warning when p + s > p_min + warning_threshold * s_min, a drift when
/// p + s > p_min + drift_threshold * s_min. After a drift the next update
/// starts afresh.
///
/// The detection's statistic is p + s, its threshold the drift bound
/// (0 during warm-up).
class ddm final : public detail::binary_detector<ddm> {
public:
  explicit ddm(ddm_params params = {});

  std::string_view name() const noexcept override;

  detection update(double x) override;

  const ddm_params& params() const noexcept {
    return params_;
  }

  /// Lists the state for snapshots (parameters first, compared on restore).
  template <class Inspector>
  void inspect_state(Inspector& f) {
    f.param(params_.warm_start);
    f.param(params_.warning_threshold);
    f.param(params_.drift_threshold);
    f(samples_);
    f(p_);
    f(p_min_);
    f(s_min_);
    f(ps_min_);
    f(warning_);
    f(drift_);
    f(last_);
  }

private:
  void reset();

  ddm_params params_;
  detail::running_mean p_;
  double p_min_;
  double s_min_;
  double ps_min_;
  bool warning_;
  bool drift_;
};

/// Builds a `ddm` from config or command-line parameters.
expected<std::unique_ptr<strategy>> make_ddm(const param_map& params);

} // namespace retrain::core
