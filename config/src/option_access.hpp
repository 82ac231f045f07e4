#pragma once

// How CAF's config options read and write the field types of retrain's
// settings that CAF does not know: a duration in milliseconds, a role, an
// endpoint and a threshold. With these, each option is bound to the field it
// fills (`config_option_adder::add(field, name, help)`).

#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include <caf/config_value.hpp>
#include <caf/optional.hpp>
#include <caf/parser_state.hpp>
#include <caf/pec.hpp>

#include "retrain/endpoint.hpp"
#include "retrain/node_config.hpp"
#include "retrain/node_role.hpp"
#include "scalar_text.hpp"

namespace retrain::detail {

/// Reads a threshold: a finite number, or "off" (as text).
inline std::optional<threshold_setting>
to_threshold(const caf::config_value& x) {
  if (auto real = caf::get_if<double>(&x)) {
    if (std::isfinite(*real))
      return threshold_setting{*real};
  } else if (auto integer = caf::get_if<caf::config_value::integer>(&x)) {
    return threshold_setting{static_cast<double>(*integer)};
  } else if (auto str = caf::get_if<std::string>(&x)) {
    if (*str == "off")
      return threshold_setting{std::nullopt};
    if (auto number = read_decimal(*str))
      return threshold_setting{*number};
  }
  return std::nullopt;
}

/// Reads a role from its name.
inline std::optional<node_role> to_role(const caf::config_value& x) {
  if (auto str = caf::get_if<std::string>(&x))
    return parse_node_role(*str);
  return std::nullopt;
}

/// Reads `HOST:PORT`.
inline std::optional<endpoint> to_endpoint(const caf::config_value& x) {
  if (auto str = caf::get_if<std::string>(&x))
    if (auto ep = parse_endpoint(*str, ""))
      return *ep;
  return std::nullopt;
}

/// The `caf::config_value_access` of a type that is read from a config value
/// by `Read` and written as what `Write` returns. On the command line the
/// value is read as text first.
template <class T, std::optional<T> (*Read)(const caf::config_value&),
          caf::config_value (*Write)(const T&)>
struct read_write_access {
  static bool is(const caf::config_value& x) {
    return Read(x).has_value();
  }

  static caf::optional<T> get_if(const caf::config_value* x) {
    if (auto result = Read(*x))
      return std::move(*result);
    return caf::none;
  }

  static T get(const caf::config_value& x) {
    return *Read(x);
  }

  static caf::config_value convert(const T& x) {
    return Write(x);
  }

  template <class Nested>
  static void parse_cli(caf::string_parser_state& ps, T& x, Nested nested) {
    std::string str;
    caf::config_value_access<std::string>::parse_cli(ps, str, nested);
    if (ps.code > caf::pec::trailing_character)
      return;
    if (auto result = Read(caf::config_value{std::move(str)}))
      x = std::move(*result);
    else
      ps.code = caf::pec::illegal_argument;
  }
};

inline caf::config_value write_threshold(const threshold_setting& x) {
  if (x.value)
    return caf::config_value{*x.value};
  return caf::config_value{std::string{"off"}};
}

inline caf::config_value write_role(const node_role& x) {
  return caf::config_value{to_string(x)};
}

inline caf::config_value write_endpoint(const endpoint& x) {
  return caf::config_value{to_string(x)};
}

/// Reads `HOST:PORT[,HOST:PORT...]`.
inline std::optional<endpoint_list>
to_endpoint_list(const caf::config_value& x) {
  if (auto str = caf::get_if<std::string>(&x))
    if (auto eps = parse_endpoint_list(*str, ""))
      return *eps;
  return std::nullopt;
}

inline caf::config_value write_endpoint_list(const endpoint_list& x) {
  return caf::config_value{to_string(x)};
}

} // namespace retrain::detail

namespace caf {

/// Milliseconds as CAF's `timespan` (`30s`, `5min`, ...); finer units are
/// cut to whole milliseconds.
template <>
struct config_value_access<std::chrono::milliseconds> {
  using value_type = std::chrono::milliseconds;

  static std::string type_name() {
    return "timespan";
  }

  static bool is(const config_value& x) {
    return holds_alternative<timespan>(x);
  }

  static optional<value_type> get_if(const config_value* x) {
    if (auto t = caf::get_if<timespan>(x))
      return std::chrono::duration_cast<value_type>(*t);
    return none;
  }

  static value_type get(const config_value& x) {
    return *get_if(&x);
  }

  static timespan convert(value_type x) {
    return std::chrono::duration_cast<timespan>(x);
  }

  /// Reads the rest of the argument as `read_duration` does (the node reads
  /// durations before CAF sees them; this keeps any other caller strict).
  template <class Nested>
  static void parse_cli(string_parser_state& ps, value_type& x, Nested) {
    std::string_view str{ps.i, static_cast<std::size_t>(ps.e - ps.i)};
    auto span = retrain::detail::read_duration(str);
    if (!span) {
      ps.code = pec::illegal_argument;
      return;
    }
    x = std::chrono::duration_cast<value_type>(*span);
    ps.i = ps.e;
    ps.code = pec::success;
  }
};

/// `retrain.threshold.<kind>`: a number, or "off".
template <>
struct config_value_access<retrain::threshold_setting>
  : retrain::detail::read_write_access<retrain::threshold_setting,
                                       retrain::detail::to_threshold,
                                       retrain::detail::write_threshold> {
  static std::string type_name() {
    return "number|off";
  }
};

/// `retrain.role`: one of the role names.
template <>
struct config_value_access<retrain::node_role>
  : retrain::detail::read_write_access<retrain::node_role,
                                       retrain::detail::to_role,
                                       retrain::detail::write_role> {
  static std::string type_name() {
    return "all|coordinator|monitor|worker";
  }
};

/// `retrain.coordinator`: `HOST:PORT`.
template <>
struct config_value_access<retrain::endpoint>
  : retrain::detail::read_write_access<retrain::endpoint,
                                       retrain::detail::to_endpoint,
                                       retrain::detail::write_endpoint> {
  static std::string type_name() {
    return "HOST:PORT";
  }
};

/// `retrain.coordinator`: `HOST:PORT`, or several comma-separated.
template <>
struct config_value_access<retrain::endpoint_list>
  : retrain::detail::read_write_access<retrain::endpoint_list,
                                       retrain::detail::to_endpoint_list,
                                       retrain::detail::write_endpoint_list> {
  static std::string type_name() {
    return "HOST:PORT[,HOST:PORT...]";
  }
};

} // namespace caf
