#pragma once

#include <cstddef>
#include <utility>

#include <caf/type_id.hpp>

#include "retrain/messages.hpp"

namespace retrain::fuzz {

/// How many types the retrain type-id block (`retrain/fwd.hpp`) declares:
/// every type of the wire contract, including vectors sent as replies and
/// the typed actor handles. The fuzz target `messages` reads the type at
/// position i of the block for selector byte i, so a type added to the
/// block needs no change here; `retrain-fuzz-message-seeds` writes a seed
/// for each (selectors follow the block's order: rewrite the seeds when the
/// block changes).
inline constexpr std::size_t message_type_count
  = caf::id_block::retrain::end - caf::id_block::retrain::begin;

/// The type at position `I` of the retrain type-id block.
template <std::size_t I>
using message_type = typename caf::type_by_id<static_cast<caf::type_id_t>(
  caf::id_block::retrain::begin + I)>::type;

/// The position of `T` in the retrain type-id block: its selector byte.
template <class T>
constexpr std::size_t selector_of() {
  return caf::type_id<T>::value - caf::id_block::retrain::begin;
}

/// Calls `f(std::integral_constant<std::size_t, I>{})` for every position
/// of the block.
template <class F, std::size_t... Is>
void for_each_message_type(F&& f, std::index_sequence<Is...>) {
  (f(std::integral_constant<std::size_t, Is>{}), ...);
}

template <class F>
void for_each_message_type(F&& f) {
  for_each_message_type(std::forward<F>(f),
                        std::make_index_sequence<message_type_count>{});
}

} // namespace retrain::fuzz
