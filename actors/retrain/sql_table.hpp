#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/field.hpp"
#include "retrain/job_state.hpp"
#include "retrain/sql_dialect.hpp"

namespace retrain {

/// How a member type is stored: `bind` hands it to a statement as a 64-bit
/// integer or as text, `read` takes it back from a column and returns false
/// when the column holds no value of the type. Specialize it for a new
/// member type; a new member of a known type needs nothing here.
template <class T, class = void>
struct sql_value;

/// Integers, as SQL's 64-bit integers. Unsigned values are stored as their
/// two's complement and read back the same way.
template <class T>
struct sql_value<T, std::enable_if_t<std::is_integral<T>::value>> {
  template <class Statement>
  static void bind(Statement& st, int index, T x) {
    st.bind(index, static_cast<int64_t>(x));
  }

  template <class Statement>
  static bool read(const Statement& st, int index, T& x) {
    x = static_cast<T>(st.int64_column(index));
    return true;
  }
};

/// Text.
template <>
struct sql_value<std::string> {
  template <class Statement>
  static void bind(Statement& st, int index, const std::string& x) {
    st.bind(index, std::string_view{x});
  }

  template <class Statement>
  static bool read(const Statement& st, int index, std::string& x) {
    x = st.text_column(index);
    return true;
  }
};

/// Job states, by name (`queued`, ...), which a `CHECK` in the schema
/// keeps to the known ones.
template <>
struct sql_value<job_state> {
  template <class Statement>
  static void bind(Statement& st, int index, job_state x) {
    st.bind(index, std::string_view{to_string(x)});
  }

  template <class Statement>
  static bool read(const Statement& st, int index, job_state& x) {
    auto parsed = parse_job_state(st.text_column(index));
    if (!parsed)
      return false;
    x = *parsed;
    return true;
  }
};

/// A table whose rows are the records of type `Record`, one column per
/// element of `Fields` (a tuple of `field<Record, T>`), named after it.
/// The one mapping between columns and members: it writes the column lists
/// of the SQL, binds parameters and reads rows, so a new column is a new
/// element of `Fields` (and a migration that adds it).
///
/// A table may have a key that the database assigns on insert (e.g. `id`):
/// inserts leave it out and return it, updates select the row by it.
template <class Record, class Fields>
class sql_table {
public:
  /// `key` names the field the database assigns on insert, or is empty.
  sql_table(std::string name, const Fields& fields, std::string key = {})
    : name_(std::move(name)), fields_(fields), key_name_(std::move(key)) {
    for_each_field(fields_, [&](size_t i, const auto& f) {
      if (!key_name_.empty() && key_name_ == f.name)
        key_ = i;
    });
  }

  /// The table's name.
  const std::string& name() const noexcept {
    return name_;
  }

  /// Every column, comma-separated, in the order `read` expects them.
  std::string columns() const {
    std::string result;
    for_each_field(fields_,
                   [&](size_t, const auto& f) { append(result, f.name); });
    return result;
  }

  /// `SELECT <columns> FROM <name> <rest>`.
  std::string select_sql(std::string_view rest = {}) const {
    auto result = "SELECT " + columns() + " FROM " + name_;
    if (!rest.empty())
      result.append(" ").append(rest);
    return result;
  }

  /// Inserts every column but the key, binding them as `bind` does; with a
  /// key, the statement yields it.
  std::string insert_sql() const {
    std::string names;
    std::string params;
    int index = 0;
    for_each_field(fields_, [&](size_t i, const auto& f) {
      if (i == key_)
        return;
      append(names, f.name);
      append(params, sql_dialect::param(++index));
    });
    auto result = "INSERT INTO " + name_ + " (" + names + ") VALUES (" + params
                  + ")";
    if (has_key())
      result += " RETURNING " + key_name_;
    return result;
  }

  /// Overwrites every column but the key of the row whose key is the last
  /// parameter, binding them as `bind` does; yields the key of the row it
  /// changed, so no row means no such record. Requires a key.
  std::string update_sql() const {
    std::string sets;
    int index = 0;
    for_each_field(fields_, [&](size_t i, const auto& f) {
      if (i == key_)
        return;
      append(sets, std::string{f.name} + " = " + sql_dialect::param(++index));
    });
    return "UPDATE " + name_ + " SET " + sets + " WHERE " + key_name_ + " = "
           + sql_dialect::param(index + 1) + " RETURNING " + key_name_;
  }

  /// Binds the members of `x` but the key to parameters 1, 2, ... in
  /// column order, then, when `with_key` is set, the key to the next one.
  template <class Statement>
  void bind(Statement& st, const Record& x, bool with_key = false) const {
    int index = 0;
    for_each_field(fields_, [&](size_t i, const auto& f) {
      if (i != key_)
        bind_member(st, ++index, x, f);
    });
    if (with_key && has_key())
      for_each_field(fields_, [&](size_t i, const auto& f) {
        if (i == key_)
          bind_member(st, index + 1, x, f);
      });
  }

  /// Reads the current row of a statement from `select_sql` into `x`.
  template <class Statement>
  caf::error read(const Statement& st, Record& x) const {
    caf::error result;
    for_each_field(fields_, [&](size_t i, const auto& f) {
      using value_type = std::decay_t<decltype(x.*(f.member))>;
      auto column = static_cast<int>(i);
      if (!result && !sql_value<value_type>::read(st, column, x.*(f.member)))
        result = st.failure(name_ + "." + f.name + " holds the unreadable '"
                            + st.text_column(column) + "'");
    });
    return result;
  }

  /// Reads every row of a statement from `select_sql`.
  template <class Statement>
  caf::expected<std::vector<Record>> read_all(Statement& st) const {
    std::vector<Record> result;
    auto err = st.for_each_row([&] {
      Record x;
      auto err = read(st, x);
      if (!err)
        result.emplace_back(std::move(x));
      return err;
    });
    if (err)
      return err;
    return result;
  }

private:
  static constexpr size_t no_key = static_cast<size_t>(-1);

  static void append(std::string& list, const std::string& item) {
    if (!list.empty())
      list += ", ";
    list += item;
  }

  template <class Statement, class Field>
  static void
  bind_member(Statement& st, int index, const Record& x, const Field& f) {
    using value_type = std::decay_t<decltype(x.*(f.member))>;
    sql_value<value_type>::bind(st, index, x.*(f.member));
  }

  bool has_key() const noexcept {
    return key_ != no_key;
  }

  std::string name_;
  Fields fields_;
  std::string key_name_;
  size_t key_ = no_key;
};

/// Builds the table of `Record` named `name` with the columns `fields`.
template <class Record, class Fields>
sql_table<Record, Fields>
make_sql_table(std::string name, const Fields& fields, std::string key = {}) {
  return sql_table<Record, Fields>{std::move(name), fields, std::move(key)};
}

} // namespace retrain
