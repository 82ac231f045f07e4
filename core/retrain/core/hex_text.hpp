#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retrain::core {

/// `bytes` as lowercase hexadecimal text, two digits per byte: how binary
/// values go into text columns (a PostgreSQL `TEXT` holds no NUL byte).
std::string to_hex(const std::vector<char>& bytes);

/// The bytes `text` spells (`to_hex`'s output, either case); nothing if
/// its length is odd or it holds a character that is not a hex digit.
std::optional<std::vector<char>> from_hex(std::string_view text);

} // namespace retrain::core
