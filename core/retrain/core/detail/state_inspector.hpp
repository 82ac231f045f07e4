#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "retrain/core/strategy.hpp"

namespace retrain::core::detail {

/// Flattens a detector's state into doubles. A detector lists its state once
/// in `inspect_state(f)`; `state_writer` and `state_reader` walk that list.
class state_writer {
public:
  /// Parameters are written like state and compared on restore.
  template <class T>
  void param(T& x) {
    (*this)(x);
  }

  void operator()(double x) {
    values.push_back(x);
  }

  void operator()(bool x) {
    values.push_back(x ? 1.0 : 0.0);
  }

  template <class T>
  std::enable_if_t<std::is_integral_v<T> || std::is_enum_v<T>> operator()(T x) {
    values.push_back(static_cast<double>(x));
  }

  void operator()(detection& x) {
    (*this)(x.state);
    (*this)(x.statistic);
    (*this)(x.threshold);
    (*this)(x.breach);
  }

  template <class T>
  void operator()(std::vector<T>& xs) {
    (*this)(xs.size());
    for (auto& x : xs)
      (*this)(x);
  }

  template <class T>
  auto operator()(T& x) -> decltype(x.inspect_state(*this)) {
    x.inspect_state(*this);
  }

  /// Consistency checks only matter when reading.
  void check(bool) {
    // nop
  }

  std::vector<double> values;
};

/// Reads back what `state_writer` wrote, refusing values that cannot have
/// come from it (wrong count, non-integral counters, parameters that differ
/// from the receiving detector's).
class state_reader {
public:
  explicit state_reader(const std::vector<double>& values) : values_(values) {
    // nop
  }

  /// Checks that a stored parameter equals ours.
  template <class T>
  void param(T& x) {
    T stored = x;
    (*this)(stored);
    if (ok_ && !(stored == x))
      ok_ = false;
  }

  void operator()(double& x) {
    if (next())
      x = values_[pos_++];
  }

  void operator()(bool& x) {
    double y = 0;
    (*this)(y);
    if (y != 0.0 && y != 1.0)
      ok_ = false;
    x = y != 0.0;
  }

  template <class T>
  std::enable_if_t<std::is_integral_v<T>> operator()(T& x) {
    double y = 0;
    (*this)(y);
    // Integral, non-negative when unsigned, and within T's range (2^64 as
    // a double already is out of range for uint64_t).
    if (!(std::trunc(y) == y) || y < static_cast<double>(min_of<T>())
        || y >= 2.0 * (static_cast<double>(max_of<T>() / 2) + 1.0)) {
      ok_ = false;
      return;
    }
    x = static_cast<T>(y);
  }

  void operator()(verdict& x) {
    uint8_t y = 0;
    (*this)(y);
    if (y > static_cast<uint8_t>(verdict::drift))
      ok_ = false;
    x = static_cast<verdict>(y);
  }

  template <class T>
  std::enable_if_t<std::is_enum_v<T>> operator()(T& x) {
    std::underlying_type_t<T> y{};
    (*this)(y);
    x = static_cast<T>(y);
  }

  void operator()(detection& x) {
    (*this)(x.state);
    (*this)(x.statistic);
    (*this)(x.threshold);
    (*this)(x.breach);
  }

  template <class T>
  void operator()(std::vector<T>& xs) {
    std::size_t n = 0;
    (*this)(n);
    if (!ok_ || n > values_.size() - pos_) {
      ok_ = false;
      return;
    }
    // assign, unlike resize, allocates no more than asked for, which keeps
    // restored detectors within their memory bound.
    xs.assign(n, T{});
    for (auto& x : xs)
      (*this)(x);
  }

  template <class T>
  auto operator()(T& x) -> decltype(x.inspect_state(*this)) {
    x.inspect_state(*this);
  }

  /// Refuses the snapshot unless `consistent`.
  void check(bool consistent) {
    ok_ = ok_ && consistent;
  }

  /// Whether every value fit and all of them were used.
  bool ok() const noexcept {
    return ok_ && pos_ == values_.size();
  }

private:
  template <class T>
  static constexpr T min_of() {
    return std::numeric_limits<T>::min();
  }

  template <class T>
  static constexpr T max_of() {
    return std::numeric_limits<T>::max();
  }

  bool next() {
    if (pos_ < values_.size())
      return true;
    ok_ = false;
    return false;
  }

  const std::vector<double>& values_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

/// Captures `x` via its `inspect_state`.
template <class Detector>
strategy_snapshot save_state(const Detector& x) {
  state_writer f;
  // The writer only reads: inspect_state is non-const because the reader
  // shares it.
  const_cast<Detector&>(x).inspect_state(f);
  return {std::string{x.name()}, std::move(f.values)};
}

/// Restores `x` from `snapshot`, all or nothing.
template <class Detector>
bool load_state(Detector& x, const strategy_snapshot& snapshot) {
  if (snapshot.strategy != x.name())
    return false;
  Detector copy = x;
  state_reader f{snapshot.values};
  copy.inspect_state(f);
  if (!f.ok())
    return false;
  x = std::move(copy);
  return true;
}

} // namespace retrain::core::detail
