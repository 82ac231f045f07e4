#include "retrain/core/hex_text.hpp"

namespace retrain::core {

namespace {

int digit_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::string to_hex(const std::vector<char>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  result.reserve(bytes.size() * 2);
  for (auto c : bytes) {
    auto x = static_cast<unsigned char>(c);
    result.push_back(digits[x >> 4]);
    result.push_back(digits[x & 0x0f]);
  }
  return result;
}

std::optional<std::vector<char>> from_hex(std::string_view text) {
  if (text.size() % 2 != 0)
    return std::nullopt;
  std::vector<char> result;
  result.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    auto hi = digit_value(text[i]);
    auto lo = digit_value(text[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    result.push_back(static_cast<char>((hi << 4) | lo));
  }
  return result;
}

} // namespace retrain::core
