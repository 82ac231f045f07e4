#pragma once

#include <string>

#include <caf/error.hpp>

namespace retrain {

/// A configuration error: `ec::invalid_config` with `text`, which names the
/// key and says what is allowed.
caf::error config_error(std::string text);

/// The words of `err` without its code: the text a `config_error` (or any
/// `ec` error with a text) carries, or CAF's rendering of any other error.
/// What `retrain-node` prints before it stops.
std::string error_text(const caf::error& err);

} // namespace retrain
