#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "retrain/core/detail/state_inspector.hpp"
#include "retrain/core/strategy.hpp"

namespace retrain::core::detail {

/// What every change detector shares: the sample count, the last detection,
/// snapshots through `Derived::inspect_state` and a fixed-size memory bound
/// (detectors that allocate override it).
template <class Derived>
class detector : public strategy {
public:
  uint64_t samples() const noexcept override {
    return samples_;
  }

  detection last() const noexcept override {
    return last_;
  }

  strategy_snapshot snapshot() const override {
    return save_state(static_cast<const Derived&>(*this));
  }

  bool restore(const strategy_snapshot& x) override {
    return load_state(static_cast<Derived&>(*this), x);
  }

  std::size_t memory_bound() const noexcept override {
    return sizeof(Derived);
  }

  std::unique_ptr<strategy> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }

protected:
  /// Sets the verdict of `result` (a drift outranks a warning), keeps it as
  /// the last detection and returns it.
  detection report(detection result, bool drift, bool warning) {
    result.state = drift     ? verdict::drift
                   : warning ? verdict::warning
                             : verdict::none;
    last_ = result;
    return result;
  }

  uint64_t samples_ = 0;
  detection last_;
};

/// A detector that takes one outcome per prediction, 1 = error and
/// 0 = correct, as River's binary detectors do; anything else is refused.
template <class Derived>
class binary_detector : public detector<Derived> {
public:
  bool binary() const noexcept override {
    return true;
  }

  failure check(double x) const override {
    if (x == 0.0 || x == 1.0)
      return {};
    std::ostringstream out;
    out << "value " << x
        << " is not 0 or 1: " << static_cast<const Derived&>(*this).name()
        << " takes one outcome per prediction (1 = error, 0 = correct)";
    return fail(errc::invalid_value, out.str());
  }
};

} // namespace retrain::core::detail
