#pragma once

// Options as text: values shown as a user writes them (in `--help` and the
// defaults check) and CAF's errors put into words that name the key.

#include <string>

#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>
#include <caf/error.hpp>
#include <caf/string_view.hpp>

#include "option_access.hpp"

namespace retrain::detail {

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

/// `KEY='VALUE' is not <expectation>`.
std::string value_error(const std::string& key, const std::string& value,
                        caf::string_view type_name);

/// Puts an error of CAF's config parser into words that name the key (a
/// command line argument, looked up in `options`) or the place (a syntax
/// error in the config file `file`).
std::string describe_parse_error(const caf::error& err,
                                 const caf::config_option_set& options,
                                 const std::string& file);

} // namespace retrain::detail
