#pragma once

#include <cstddef>
#include <tuple>
#include <utility>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// One named member of a record type. A record's fields, written down once
/// as a tuple of these, drive both its `inspect` (the wire) and its table
/// in the registry database (the store binds and reads columns by this
/// list): a new member is one line in that list.
template <class Record, class T>
struct field {
  /// The member's name, which is also its column name in the database.
  const char* name;
  /// The member.
  T Record::*member;
};

/// @relates field
template <class Record, class T>
field(const char*, T Record::*) -> field<Record, T>;

/// Calls `f(i, field)` for each element of `fields` with its index `i`.
template <class Fields, class F>
constexpr void for_each_field(const Fields& fields, F&& f) {
  std::apply(
    [&](const auto&... xs) {
      size_t i = 0;
      (f(i++, xs), ...);
    },
    fields);
}

/// Inspects the members of `x` that `fields` lists, in their order, under
/// the type name `name`.
template <class Inspector, class Record, class... Ts>
typename Inspector::result_type
inspect_fields(Inspector& f, const char* name, Record& x,
               const std::tuple<field<Record, Ts>...>& fields) {
  return std::apply(
    [&](const auto&... xs) {
      return f(caf::meta::type_name(name), (x.*(xs.member))...);
    },
    fields);
}

} // namespace retrain
