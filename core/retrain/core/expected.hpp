#pragma once

#include <string>
#include <utility>
#include <variant>

#include "retrain/core/errc.hpp"

namespace retrain::core {

/// What went wrong: a code, and words a user can act on. A default
/// `failure` (code `errc::none`) means nothing went wrong, as a default
/// `caf::error` does: functions that only check something return one.
/// `retrain::to_error` turns it into a `caf::error` with the same code and
/// text.
struct failure {
  errc code = errc::none;
  std::string message;

  /// Returns whether something went wrong (the code is not `none`).
  explicit operator bool() const noexcept {
    return code != errc::none;
  }
};

/// Either a value or a `failure`. Core code returns these instead of throwing.
template <class T>
class expected {
public:
  expected(T value) : data_(std::move(value)) {
    // nop
  }

  /// Requires a code other than `errc::none`.
  expected(failure err) : data_(std::move(err)) {
    // nop
  }

  /// Returns whether this holds a value.
  explicit operator bool() const noexcept {
    return data_.index() == 0;
  }

  T& operator*() {
    return std::get<0>(data_);
  }

  const T& operator*() const {
    return std::get<0>(data_);
  }

  T* operator->() {
    return &std::get<0>(data_);
  }

  const T* operator->() const {
    return &std::get<0>(data_);
  }

  /// Returns the failure; requires `!*this`.
  failure& error() {
    return std::get<1>(data_);
  }

  /// Returns the failure; requires `!*this`.
  const failure& error() const {
    return std::get<1>(data_);
  }

private:
  std::variant<T, failure> data_;
};

/// Convenience to build a failure: `return fail(errc::invalid_value, ...);`.
inline failure fail(errc code, std::string message) {
  return failure{code, std::move(message)};
}

} // namespace retrain::core
