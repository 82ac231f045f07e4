#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "retrain/core/expected.hpp"

namespace retrain::core {

/// What a strategy concludes after one update.
enum class verdict : uint8_t {
  /// Nothing to report.
  none,
  /// The input looks suspicious but does not call for a retrain yet.
  warning,
  /// The model has drifted: retrain.
  drift,
};

/// Returns `none`, `warning` or `drift`.
std::string_view to_string(verdict x) noexcept;

/// The verdict of one update and the numbers behind it.
struct detection {
  verdict state = verdict::none;
  /// The statistic the strategy compared (EWMA, PH sum, ...).
  double statistic = 0.0;
  /// The threshold it was compared with.
  double threshold = 0.0;
  /// Whether the raw rule was on the wrong side of its threshold in this
  /// update, before warm-up and hysteresis (the seed's "would retrain").
  bool breach = false;
};

/// A strategy's state as plain numbers, so a restarted monitor resumes
/// exactly where the last snapshot left it.
struct strategy_snapshot {
  /// Name of the strategy that wrote it.
  std::string strategy;
  /// State, laid out as the strategy chooses.
  std::vector<double> values;
};

/// Turns a stream of values into verdicts. One instance watches one metric
/// kind of one model. Implementations are value classes: no I/O, no clock,
/// no logging.
class strategy {
public:
  virtual ~strategy();

  /// The name used in config and on the command line.
  virtual std::string_view name() const noexcept = 0;

  /// Whether the strategy takes per-prediction outcomes (0 or 1) rather
  /// than aggregated metric values.
  virtual bool binary() const noexcept {
    return false;
  }

  /// Checks one input before `update`; returns what is wrong
  /// (`errc::invalid_value`), or no failure. The default accepts every
  /// finite value.
  virtual failure check(double x) const;

  /// Feeds one value and returns the verdict for this update.
  virtual detection update(double x) = 0;

  /// Number of values since construction or the last reset.
  virtual uint64_t samples() const noexcept = 0;

  /// The statistic and threshold as of the last update.
  virtual detection last() const noexcept = 0;

  /// Captures the whole state.
  virtual strategy_snapshot snapshot() const = 0;

  /// Restores a state captured by `snapshot` of the same strategy and
  /// parameters; returns false (leaving this unchanged) if it does not fit.
  virtual bool restore(const strategy_snapshot& x) = 0;

  /// Upper bound of the memory this instance ever uses, in bytes.
  virtual std::size_t memory_bound() const noexcept = 0;

  /// A copy with the same parameters and state: monitors clone a fresh
  /// prototype instead of parsing parameters once per model.
  virtual std::unique_ptr<strategy> clone() const = 0;
};

} // namespace retrain::core
