#include "scalar_text.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <system_error>

#include "retrain/config_error.hpp"
#include "retrain/core/number.hpp"

namespace retrain::detail {

namespace {

// The words of a refusal of core's parsers.
template <class Expected>
const std::string& reason_of(const Expected& x) {
  return x.error().message;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

struct duration_unit {
  std::string_view suffix;
  int64_t nanoseconds;
};

constexpr duration_unit duration_units[] = {
  {"ns", 1},
  {"us", 1'000},
  {"ms", 1'000'000},
  {"s", 1'000'000'000},
  {"min", 60'000'000'000},
  {"h", 3'600'000'000'000},
};

bool is_duration_unit(std::string_view str) {
  for (auto& u : duration_units)
    if (str == u.suffix)
      return true;
  return false;
}

} // namespace

std::string escape(std::string_view str) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string result;
  for (auto c : str) {
    if (c >= 0x20 && c < 0x7f) {
      result += c;
    } else {
      auto u = static_cast<unsigned char>(c);
      result += "\\x";
      result += hex[u >> 4];
      result += hex[u & 0xf];
    }
  }
  return result;
}

std::string quote(std::string_view str) {
  return "'" + escape(str) + "'";
}

std::string format_decimal(double x) {
  char buf[32];
  auto [end, err] = std::to_chars(buf, buf + sizeof(buf), x);
  return err == std::errc{} ? std::string{buf, end} : std::string{"nan"};
}

caf::expected<uint64_t> read_whole(std::string_view str, uint64_t max) {
  auto x = core::parse_whole(str, max);
  if (!x)
    return config_error(reason_of(x));
  return *x;
}

caf::expected<double> read_decimal(std::string_view str) {
  auto x = core::parse_decimal(str);
  if (!x)
    return config_error(reason_of(x));
  return *x;
}

caf::expected<caf::timespan> read_duration(std::string_view str) {
  auto rest = str;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  std::size_t digits = 0;
  while (digits < rest.size() && is_digit(rest[digits]))
    ++digits;
  auto suffix = rest.substr(digits);
  for (auto& u : duration_units) {
    if (digits == 0 || suffix != u.suffix)
      continue;
    auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()
                                     / u.nanoseconds);
    auto count = read_whole(rest.substr(0, digits), max);
    if (!count)
      return config_error(quote(str) + " is out of range (at most "
                          + std::to_string(max) + std::string{u.suffix} + ")");
    auto ns = static_cast<int64_t>(*count) * u.nanoseconds;
    return caf::timespan{negative ? -ns : ns};
  }
  return config_error(quote(str)
                      + " is not a duration such as 500ms, 30s, 5min or 1h");
}

caf::expected<caf::config_value> read_scalar(std::string_view str) {
  // A duration: digits and a unit.
  auto last_digit = str.find_last_of("0123456789");
  if (last_digit != std::string_view::npos
      && is_duration_unit(str.substr(last_digit + 1))) {
    auto span = read_duration(str);
    if (!span)
      return span.error();
    return caf::config_value{*span};
  }
  // An integer: digits, perhaps after a '-' (a whole number takes no '+',
  // as on the command line).
  auto digits = str;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (!digits.empty()
      && digits.find_first_not_of("0123456789") == std::string_view::npos) {
    if (str[0] == '+')
      return config_error(quote(str)
                          + " is not a whole number (it takes no '+')");
    // The magnitude of the smallest int64_t is one more than the largest.
    auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               + (negative ? 1 : 0);
    auto magnitude = read_whole(digits, max);
    if (!magnitude)
      return config_error(quote(str) + " is out of range");
    // Negated as unsigned: -2^63 has no positive int64_t.
    auto bits = negative ? ~*magnitude + 1 : *magnitude;
    return caf::config_value{static_cast<caf::config_value::integer>(bits)};
  }
  // Anything else must be a decimal number.
  auto real = read_decimal(str);
  if (!real)
    return real.error();
  return caf::config_value{*real};
}

} // namespace retrain::detail
