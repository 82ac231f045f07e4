#pragma once

#include <string>
#include <string_view>

#include "retrain/core/expected.hpp"
#include "retrain/core/strategy_factory.hpp"

namespace retrain::core {

/// A strategy as a user names it in one text: `NAME [KEY=VALUE ...]`, e.g.
/// `page_hinkley threshold=30 mode=up` (the value of a
/// `retrain.strategy.<kind>` key).
struct strategy_spec {
  std::string name;
  param_map params;
};

/// Parses `NAME [KEY=VALUE ...]`: words apart by blanks (space, tab, CR, LF,
/// FF, VT); the first is the strategy, each other one a parameter with a
/// non-empty key before its first `=` (the value may be empty or hold more
/// `=`). Refused (`errc::invalid_config`) with a reason, quoting the word
/// (control bytes escaped): an
/// empty or blank text, a word without `=` or with an empty key, a key given
/// twice, and a NUL byte or other control byte anywhere. Whether the name
/// and parameters exist is `make_strategy`'s to check.
expected<strategy_spec> parse_strategy_spec(std::string_view text);

} // namespace retrain::core
