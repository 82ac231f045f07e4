#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "retrain/core/detail/detector.hpp"
#include "retrain/core/expected.hpp"
#include "retrain/core/strategy.hpp"
#include "retrain/core/strategy_factory.hpp"

namespace retrain::core {

/// Parameters of `adwin`, with River's defaults.
struct adwin_params {
  /// Significance of the test that cuts the window, in (0, 1].
  double delta = 0.002;
  /// Checks for a change every `clock` values.
  uint64_t clock = 32;
  /// Buckets of each size kept before two are merged, in [2, 1000].
  uint32_t max_buckets = 5;
  /// Both sub-windows of a cut need at least this many values.
  uint64_t min_window_length = 5;
  /// No check before the window holds more than this many values.
  uint64_t grace_period = 10;
};

/// ADWIN (adaptive windowing) as River's `drift.ADWIN`: keeps a window of
/// recent values in an exponential histogram of buckets (at most
/// `max_buckets` + 1 buckets per size 2^i, so O(log W) memory for a window of
/// W values) and, every `clock` values, drops the oldest values while some cut
/// of the window into an older and a newer part has means further apart than
/// the Hoeffding-style bound for `delta`. Any drop is a drift; no warnings.
/// After a drift the next update starts from an empty window.
///
/// On a drift the detection's statistic is the distance between the means of
/// the first cut that fired, its threshold that cut's bound; both are 0 on
/// other updates.
class adwin final : public detail::detector<adwin> {
public:
  explicit adwin(adwin_params params = {});

  std::string_view name() const noexcept override;

  detection update(double x) override;

  /// The bucket histogram never has more than 64 levels (level i holds
  /// buckets of 2^i values and there are fewer than 2^64 values).
  std::size_t memory_bound() const noexcept override;

  /// The memory this instance uses now, in bytes.
  std::size_t memory_used() const noexcept;

  const adwin_params& params() const noexcept {
    return params_;
  }

  /// Number of values in the window.
  double width() const noexcept {
    return width_;
  }

  /// Sum of the values in the window.
  double total() const noexcept {
    return total_;
  }

  /// Sum of squared deviations from the mean within the window.
  double variance() const noexcept {
    return variance_;
  }

  /// Mean of the window (0 when empty).
  double estimation() const noexcept {
    return width_ == 0.0 ? 0.0 : total_ / width_;
  }

  /// Number of bucket sizes in use.
  std::size_t levels() const noexcept {
    return counts_.size();
  }

  /// Lists the state for snapshots (parameters first, compared on restore).
  template <class Inspector>
  void inspect_state(Inspector& f) {
    f.param(params_.delta);
    f.param(params_.clock);
    f.param(params_.max_buckets);
    f.param(params_.min_window_length);
    f.param(params_.grace_period);
    f(samples_);
    f(total_);
    f(variance_);
    f(width_);
    f(tick_);
    f(counts_);
    f(totals_);
    f(variances_);
    f(drift_);
    f(last_);
    f.check(consistent());
  }

private:
  static constexpr std::size_t max_levels = 64;

  void reset();

  bool consistent() const noexcept;

  std::size_t slots() const noexcept {
    return params_.max_buckets + std::size_t{1};
  }

  void add_level();

  void insert(double value);

  void compress();

  double delete_oldest();

  bool detect_change(detection& result);

  adwin_params params_;
  double total_;
  double variance_;
  double width_;
  uint64_t tick_;
  /// Buckets per level; level i holds buckets of 2^i values, oldest first,
  /// in slots [i * slots(), i * slots() + counts_[i]) of the two arrays.
  std::vector<uint32_t> counts_;
  std::vector<double> totals_;
  std::vector<double> variances_;
  bool drift_;
};

/// Builds an `adwin` from config or command-line parameters.
expected<std::unique_ptr<strategy>> make_adwin(const param_map& params);

} // namespace retrain::core
