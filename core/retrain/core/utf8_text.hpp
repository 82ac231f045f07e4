#pragma once

#include <string>
#include <string_view>

namespace retrain::core {

/// Returns `text` as valid UTF-8 without NUL bytes: each byte that starts
/// no valid UTF-8 sequence (a stray continuation byte, a sequence cut
/// short, an overlong form, a surrogate, a code point past U+10FFFF) and
/// each NUL becomes U+FFFD, the replacement character; everything else is
/// kept as it is. A PostgreSQL text column refuses both, where SQLite
/// stores any bytes: this is what a registry on PostgreSQL keeps of them.
std::string to_storable_text(std::string_view text);

} // namespace retrain::core
