#pragma once

#include <cstdint>
#include <memory>

#include "retrain/core/detail/detector.hpp"
#include "retrain/core/expected.hpp"
#include "retrain/core/strategy.hpp"
#include "retrain/core/strategy_factory.hpp"

namespace retrain::core {

/// Parameters of `hddm_w`, with River's defaults.
struct hddm_w_params {
  /// Confidence of the drift test, in (0, 1).
  double drift_confidence = 0.001;
  /// Confidence of the warning test, in (0, 1).
  double warning_confidence = 0.005;
  /// Weight of the newest outcome in the moving averages, in (0, 1].
  double lambda_val = 0.05;
  /// Whether decreases of the error rate count too.
  bool two_sided_test = false;
};

/// HDDM_W (Frias-Blanco et al. 2014, weighted test) as River's
/// `drift.binary.HDDM_W`. Input: one outcome per prediction, 1 = error,
/// 0 = correct. Like `hddm_a` but on exponentially weighted moving averages
/// with McDiarmid's bound: the average since the cut point (where the
/// bounded average was lowest) rising over the average at the cut point by
/// more than the bound for `drift_confidence` (`warning_confidence`) is a
/// drift (warning). As in River, a moving average that is exactly 0 takes the
/// next outcome as its value. After a drift the next update starts afresh.
///
/// The detection's statistic is the rise of the average since the cut point
/// (or its fall, for a two-sided drift on a fall), its threshold the drift
/// bound (0 while there is nothing to compare).
class hddm_w final : public detail::binary_detector<hddm_w> {
public:
  explicit hddm_w(hddm_w_params params = {});

  std::string_view name() const noexcept override;

  detection update(double x) override;

  const hddm_w_params& params() const noexcept {
    return params_;
  }

  /// A moving average and its independent bound condition.
  struct sample_info {
    double ewma = 0.0;
    bool is_init = false;
    double ibc = 1.0;

    template <class Inspector>
    void inspect_state(Inspector& f) {
      f(ewma);
      f(is_init);
      f(ibc);
    }
  };

  /// Lists the state for snapshots (parameters first, compared on restore).
  template <class Inspector>
  void inspect_state(Inspector& f) {
    f.param(params_.drift_confidence);
    f.param(params_.warning_confidence);
    f.param(params_.lambda_val);
    f.param(params_.two_sided_test);
    f(samples_);
    f(total_);
    f(s1_incr_);
    f(s2_incr_);
    f(s1_decr_);
    f(s2_decr_);
    f(incr_cutpoint_);
    f(decr_cutpoint_);
    f(warning_);
    f(drift_);
    f(last_);
  }

private:
  void reset();

  void add(sample_info& s, double x) const;

  double bound(double ibc, double confidence) const;

  /// Whether `after` rose over `before` by more than the bound; sets
  /// `statistic` and `threshold` (if given) to the rise and the bound.
  bool rose(const sample_info& before, const sample_info& after,
            double confidence, detection* out = nullptr) const;

  hddm_w_params params_;
  double lambda_sq_;
  double c_lambda_sq_;
  sample_info total_;
  sample_info s1_incr_;
  sample_info s2_incr_;
  sample_info s1_decr_;
  sample_info s2_decr_;
  double incr_cutpoint_;
  double decr_cutpoint_;
  bool warning_;
  bool drift_;
};

/// Builds an `hddm_w` from config or command-line parameters.
expected<std::unique_ptr<strategy>> make_hddm_w(const param_map& params);

} // namespace retrain::core
