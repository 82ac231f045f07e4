#pragma once

#include <string>
#include <string_view>

namespace retrain::core {

/// How many bytes of a refused field an error message shows: enough to
/// recognize it, little enough that a reason about a 1 MiB field stays
/// short.
inline constexpr std::size_t echo_limit = 64;

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

/// Same as `quoted(str)`, but shows at most the first `limit` bytes of a
/// longer `str`, followed by `... (N bytes)`: an echo of a field a user
/// typed stays short however long the field was.
inline std::string quoted(std::string_view str, std::size_t limit) {
  if (str.size() <= limit)
    return quoted(str);
  return quoted(str.substr(0, limit)) + "... (" + std::to_string(str.size())
         + " bytes)";
}

} // namespace retrain::core
