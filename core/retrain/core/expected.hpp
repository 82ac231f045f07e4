#pragma once

#include <string>
#include <utility>
#include <variant>

namespace retrain::core {

/// What went wrong, in words a user can act on.
struct failure {
  std::string message;
};

/// Either a value or a `failure`. Core code returns these instead of throwing.
template <class T>
class expected {
public:
  expected(T value) : data_(std::move(value)) {
    // nop
  }

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
  const failure& error() const {
    return std::get<1>(data_);
  }

private:
  std::variant<T, failure> data_;
};

/// Convenience to build a failed `expected`.
inline failure fail(std::string message) {
  return failure{std::move(message)};
}

} // namespace retrain::core
