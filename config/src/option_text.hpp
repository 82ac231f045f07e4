#pragma once

// Options as text: command line values of the options that take numbers
// and durations (read by `scalar_text`, not by CAF), values shown as a user
// writes them (in `--help` and the defaults check), and CAF's errors put
// into words that name the key.

#include <string>
#include <string_view>

#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/string_view.hpp>

#include "option_access.hpp"
#include "scalar_text.hpp"

namespace retrain::detail {

/// Whether options of the CAF type `type_name` take a number, a duration or
/// a boolean, which retrain reads itself (`read_option_value`) instead of
/// CAF's parser, which reads `010` as octal, `0x10` as hex, rounds decimals
/// inexactly, overflows on large durations and takes a flag only without a
/// value (`--key`, never `--key=false`).
bool is_scalar_type(caf::string_view type_name);

/// Reads `str` as a value of the option `key` of CAF type `type_name`, which
/// `is_scalar_type`: a whole number within the type's range, a decimal
/// number, a duration, a threshold (a decimal number or `off`), or `true` or
/// `false`. Refused
/// with a message that names `key`.
caf::expected<caf::config_value> read_option_value(const std::string& key,
                                                   caf::string_view type_name,
                                                   std::string_view str);

/// Shows `x` as a user writes it: `30s`, `1min`, `0.2`, `["a", "b"]`; text
/// as is, the empty text as `""`.
std::string show(const caf::config_value& x);

/// Shows the field of type `T` at `field` as its option's value.
template <class T>
std::string show_field(const void* field) {
  using access = caf::select_config_value_access_t<T>;
  return show(
    caf::config_value{access::convert(*static_cast<const T*>(field))});
}

/// What a value of an option of CAF type `type_name` must look like, e.g.
/// "a whole number within [0, 65535]".
std::string expectation(caf::string_view type_name);

/// `KEY='VALUE' is not <expectation>`, control bytes of `value` escaped.
std::string value_error(const std::string& key, const std::string& value,
                        caf::string_view type_name);

/// Puts an error of CAF's command line parser into words that name the key
/// (looked up in `options`).
std::string describe_parse_error(const caf::error& err,
                                 const caf::config_option_set& options);

} // namespace retrain::detail
