#pragma once

#include <cstdint>
#include <memory>

#include "retrain/core/detail/detector.hpp"
#include "retrain/core/detail/running_mean.hpp"
#include "retrain/core/expected.hpp"
#include "retrain/core/strategy.hpp"
#include "retrain/core/strategy_factory.hpp"

namespace retrain::core {

/// Which changes of the mean `page_hinkley` looks for.
enum class page_hinkley_mode : uint8_t {
  /// Increases only.
  up,
  /// Decreases only.
  down,
  /// Both (two-sided test).
  both,
};

/// Parameters of `page_hinkley`, with River's defaults.
struct page_hinkley_params {
  /// No drift before this many values.
  uint64_t min_instances = 30;
  /// Magnitude of change tolerated per value.
  double delta = 0.005;
  /// The test statistic must exceed this for a drift (lambda).
  double threshold = 50.0;
  /// Forgetting factor of the cumulative sums.
  double alpha = 1 - 0.0001;
  /// Which direction of change counts.
  page_hinkley_mode mode = page_hinkley_mode::both;
};

/// The Page-Hinkley test as River's `drift.PageHinkley`: the deviation of
/// each value from the running mean accumulates (faded by `alpha`) in one sum
/// for increases (minus `delta`) and one for decreases (plus `delta`); a drift
/// is reported when a sum has moved more than `threshold` away from its
/// extreme. No warnings. After a drift the next update starts afresh.
///
/// The detection's statistic is the test value of the watched direction(s)
/// (the larger one for `both`), its threshold is `threshold`.
class page_hinkley final : public detail::detector<page_hinkley> {
public:
  explicit page_hinkley(page_hinkley_params params = {});

  std::string_view name() const noexcept override;

  detection update(double x) override;

  const page_hinkley_params& params() const noexcept {
    return params_;
  }

  /// Lists the state for snapshots (parameters first, compared on restore).
  template <class Inspector>
  void inspect_state(Inspector& f) {
    f.param(params_.min_instances);
    f.param(params_.delta);
    f.param(params_.threshold);
    f.param(params_.alpha);
    f.param(params_.mode);
    f(samples_);
    f(mean_);
    f(sum_increase_);
    f(sum_decrease_);
    f(min_increase_);
    f(max_decrease_);
    f(drift_);
    f(last_);
  }

private:
  void reset();

  page_hinkley_params params_;
  detail::running_mean mean_;
  double sum_increase_;
  double sum_decrease_;
  double min_increase_;
  double max_decrease_;
  bool drift_;
};

/// Builds a `page_hinkley` from config or command-line parameters.
expected<std::unique_ptr<strategy>> make_page_hinkley(const param_map& params);

} // namespace retrain::core
