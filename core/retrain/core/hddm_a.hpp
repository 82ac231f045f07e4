#pragma once

#include <cstdint>
#include <memory>

#include "retrain/core/detail/detector.hpp"
#include "retrain/core/detail/running_mean.hpp"
#include "retrain/core/expected.hpp"
#include "retrain/core/strategy.hpp"
#include "retrain/core/strategy_factory.hpp"

namespace retrain::core {

/// Parameters of `hddm_a`, with River's defaults.
struct hddm_a_params {
  /// Confidence of the drift test, in (0, 1).
  double drift_confidence = 0.001;
  /// Confidence of the warning test, in (0, 1).
  double warning_confidence = 0.005;
  /// Whether decreases of the error rate count too.
  bool two_sided_test = false;
};

/// HDDM_A (Frias-Blanco et al. 2014, average test) as River's
/// `drift.binary.HDDM_A`. Input: one outcome per prediction, 1 = error,
/// 0 = correct. It keeps the mean of all outcomes and, as cut point, a copy
/// of that mean taken where its Hoeffding bound was lowest; a rise of the
/// mean over the cut point by more than the bound for `drift_confidence`
/// (`warning_confidence`) is a drift (warning). With `two_sided_test` falls
/// count as well. After a drift the next update starts afresh.
///
/// The detection's statistic is how far the mean rose over the cut point
/// (or fell, for a two-sided drift on a fall), its threshold the drift bound
/// (0 when there is no cut point yet).
class hddm_a final : public detail::binary_detector<hddm_a> {
public:
  explicit hddm_a(hddm_a_params params = {});

  std::string_view name() const noexcept override;

  detection update(double x) override;

  const hddm_a_params& params() const noexcept {
    return params_;
  }

  /// Lists the state for snapshots (parameters first, compared on restore).
  template <class Inspector>
  void inspect_state(Inspector& f) {
    f.param(params_.drift_confidence);
    f.param(params_.warning_confidence);
    f.param(params_.two_sided_test);
    f(samples_);
    f(x_min_);
    f(x_max_);
    f(z_);
    f(warning_);
    f(drift_);
    f(last_);
  }

private:
  void reset();

  double hoeffding_bound(double n) const;

  /// The bound a change from `cut` to the global mean must exceed.
  double change_bound(const detail::running_mean& cut, double confidence) const;

  hddm_a_params params_;
  detail::running_mean x_min_;
  detail::running_mean x_max_;
  detail::running_mean z_;
  bool warning_;
  bool drift_;
};

/// Builds an `hddm_a` from config or command-line parameters.
expected<std::unique_ptr<strategy>> make_hddm_a(const param_map& params);

} // namespace retrain::core
