#include "retrain/core/number.hpp"

#include <charconv>
#include <system_error>

#include "retrain/core/quoted.hpp"

namespace retrain::core {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Number of decimal digits at the start of `str`.
std::size_t digits_at(std::string_view str) {
  std::size_t n = 0;
  while (n < str.size() && is_digit(str[n]))
    ++n;
  return n;
}

// Whether `str` is `word` in any mix of upper and lower case.
bool is_word(std::string_view str, std::string_view word) {
  if (str.size() != word.size())
    return false;
  for (std::size_t i = 0; i < str.size(); ++i) {
    auto c = str[i];
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i])
      return false;
  }
  return true;
}

// The power of ten of the leading nonzero digit of a mantissa with digits
// `int_part` before the point and `frac_part` after it, with `exponent`
// added: above 0 the value is at least 0.1 (an out-of-range value that
// large overflowed), otherwise below it (it underflowed). The mantissa is
// not zero.
int64_t magnitude(std::string_view int_part, std::string_view frac_part,
                  int64_t exponent) {
  auto first = int_part.find_first_not_of('0');
  if (first != std::string_view::npos)
    return static_cast<int64_t>(int_part.size() - first) + exponent;
  first = frac_part.find_first_not_of('0');
  return -static_cast<int64_t>(first) + exponent;
}

} // namespace

expected<double> parse_decimal(std::string_view str) {
  auto refuse = [&](const char* what) {
    return fail(errc::invalid_value, quoted(str, echo_limit) + " " + what);
  };
  std::size_t pos = 0;
  bool negative = false;
  if (!str.empty() && (str[0] == '+' || str[0] == '-')) {
    negative = str[0] == '-';
    pos = 1;
  }
  auto unsigned_part = str.substr(pos);
  if (is_word(unsigned_part, "nan") || is_word(unsigned_part, "inf")
      || is_word(unsigned_part, "infinity"))
    return refuse("is not a finite number");
  if (unsigned_part.size() > 1 && unsigned_part[0] == '0'
      && (unsigned_part[1] == 'x' || unsigned_part[1] == 'X'))
    return refuse("is not a decimal number (hexadecimal is not accepted)");
  auto int_part = str.substr(pos, digits_at(str.substr(pos)));
  pos += int_part.size();
  std::string_view frac_part;
  if (pos < str.size() && str[pos] == '.') {
    ++pos;
    frac_part = str.substr(pos, digits_at(str.substr(pos)));
    pos += frac_part.size();
  }
  if (int_part.empty() && frac_part.empty())
    return refuse("is not a number");
  // Saturates: only its sign and rough size matter below, and only when
  // the value is out of range anyway.
  int64_t exponent = 0;
  if (pos < str.size() && (str[pos] == 'e' || str[pos] == 'E')) {
    ++pos;
    bool negative_exponent = false;
    if (pos < str.size() && (str[pos] == '+' || str[pos] == '-')) {
      negative_exponent = str[pos] == '-';
      ++pos;
    }
    auto digits = digits_at(str.substr(pos));
    if (digits == 0)
      return refuse("is not a number");
    for (std::size_t i = 0; i < digits; ++i)
      if (exponent < 1'000'000'000)
        exponent = exponent * 10 + (str[pos + i] - '0');
    if (negative_exponent)
      exponent = -exponent;
    pos += digits;
  }
  if (pos != str.size())
    return refuse("is not a number");
  // std::from_chars takes a leading '-' but no '+', and ignores the locale.
  auto first = str.data() + (str[0] == '+' ? 1 : 0);
  auto last = str.data() + str.size();
  double value = 0.0;
  auto [end, err] = std::from_chars(first, last, value);
  if (err == std::errc::result_out_of_range) {
    if (magnitude(int_part, frac_part, exponent) > 0)
      return refuse("is out of range");
    return negative ? -0.0 : 0.0;
  }
  if (err != std::errc{} || end != last)
    return refuse("is not a number");
  return value;
}

expected<uint64_t> parse_whole(std::string_view str, uint64_t max) {
  auto refuse = [&](const std::string& what) {
    return fail(errc::invalid_value, quoted(str, echo_limit) + " " + what);
  };
  if (str.empty() || digits_at(str) != str.size())
    return refuse("is not a whole number");
  uint64_t value = 0;
  auto [end, err] = std::from_chars(str.data(), str.data() + str.size(), value);
  if (err == std::errc::result_out_of_range || value > max)
    return refuse("is out of range (at most " + std::to_string(max) + ")");
  if (err != std::errc{} || end != str.data() + str.size())
    return refuse("is not a whole number");
  return value;
}

} // namespace retrain::core
