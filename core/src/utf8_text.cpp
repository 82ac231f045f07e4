#include "retrain/core/utf8_text.hpp"

namespace retrain::core {

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";

// The length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t valid_sequence(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i) {
    return i < s.size() && (byte(i) & 0xC0) == 0x80;
  };
  auto b0 = byte(0);
  if (b0 < 0x80)
    return b0 == 0 ? 0 : 1;
  if (b0 >= 0xC2 && b0 <= 0xDF)
    return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2))
      return 0;
    // No overlong forms (E0 80..9F) and no surrogates (ED A0..BF).
    if ((b0 == 0xE0 && byte(1) < 0xA0) || (b0 == 0xED && byte(1) > 0x9F))
      return 0;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3))
      return 0;
    // No overlong forms (F0 80..8F), nothing past U+10FFFF (F4 90..).
    if ((b0 == 0xF0 && byte(1) < 0x90) || (b0 == 0xF4 && byte(1) > 0x8F))
      return 0;
    return 4;
  }
  return 0;
}

} // namespace

std::string to_storable_text(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  while (!text.empty()) {
    auto n = valid_sequence(text);
    if (n == 0) {
      result += replacement;
      text.remove_prefix(1);
    } else {
      result.append(text.data(), n);
      text.remove_prefix(n);
    }
  }
  return result;
}

} // namespace retrain::core
