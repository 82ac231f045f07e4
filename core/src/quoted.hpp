#pragma once

#include <string>
#include <string_view>

namespace retrain::core::detail {

/// `str` in single quotes for an error message, with bytes outside
/// printable ASCII written as `\xNN`, so input never puts control bytes
/// into logs or terminals.
inline std::string quoted(std::string_view str) {
  std::string result = "'";
  for (auto c : str) {
    if (c >= 0x20 && c < 0x7f) {
      result += c;
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      auto u = static_cast<unsigned char>(c);
      result += "\\x";
      result += hex[u >> 4];
      result += hex[u & 0xf];
    }
  }
  result += '\'';
  return result;
}

} // namespace retrain::core::detail
