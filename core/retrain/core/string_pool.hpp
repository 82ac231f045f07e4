#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace retrain::core {

/// Strings that many records repeat (strategy names, detector specs), kept
/// once and named by a small number: a record stores the number instead of
/// its own copy. Numbers are dense from 0 in the order strings first came
/// and never change; nothing is ever removed, so the pool must only hold
/// strings drawn from a small set (the specs of the node's policies).
class string_pool {
public:
  /// The number of `x`, adding it on first sight.
  uint32_t intern(std::string_view x);

  /// The string numbered `id`, or nothing if no string has that number;
  /// valid as long as the pool.
  std::optional<std::string_view> find(uint32_t id) const;

  /// Distinct strings held.
  std::size_t size() const noexcept {
    return strings_.size();
  }

private:
  // A deque: strings never move, so what `find` returned stays valid.
  std::deque<std::string> strings_;
  /// Views into `strings_`, so a lookup copies nothing.
  std::unordered_map<std::string_view, uint32_t> ids_;
};

} // namespace retrain::core
