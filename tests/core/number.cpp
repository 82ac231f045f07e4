#define CAF_SUITE number
#include <caf/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "retrain/core/number.hpp"

using namespace retrain::core;

namespace {

// The error message for `str`, or "ok".
std::string decimal_error(std::string_view str) {
  auto result = parse_decimal(str);
  return result ? std::string{"ok"} : result.error().message;
}

std::string whole_error(std::string_view str,
                        uint64_t max = std::numeric_limits<uint64_t>::max()) {
  auto result = parse_whole(str, max);
  return result ? std::string{"ok"} : result.error().message;
}

} // namespace

CAF_TEST(decimal numbers in every written form) {
  struct {
    const char* text;
    double value;
  } cases[] = {
    {"0", 0.0},
    {"0.9", 0.9},
    {"-3", -3.0},
    {"+2.5", 2.5},
    {"1.", 1.0},
    {".5", 0.5},
    {"-.25", -0.25},
    {"1e-3", 1e-3},
    {"2.5E+4", 2.5e4},
    {"007", 7.0},
    {"1e308", 1e308},
    {"0.000", 0.0},
    {"4.9e-324", 4.9e-324},
    {"1.7976931348623157e308", std::numeric_limits<double>::max()},
  };
  for (auto& c : cases) {
    auto x = parse_decimal(c.text);
    CAF_CHECK(x);
    if (x)
      CAF_CHECK_EQUAL(*x, c.value);
    else
      CAF_MESSAGE(c.text << ": " << x.error().message);
  }
}

CAF_TEST(the whole field must be the number) {
  using namespace std::string_literals;
  CAF_CHECK_EQUAL(decimal_error("0.9\0junk"s),
                  "'0.9\\x00junk' is not a number");
  CAF_CHECK_EQUAL(decimal_error("0.9\0"s), "'0.9\\x00' is not a number");
  CAF_CHECK_EQUAL(decimal_error(""), "'' is not a number");
  CAF_CHECK_EQUAL(decimal_error("abc"), "'abc' is not a number");
  CAF_CHECK_EQUAL(decimal_error("0.9,123"), "'0.9,123' is not a number");
  CAF_CHECK_EQUAL(decimal_error(" 1"), "' 1' is not a number");
  CAF_CHECK_EQUAL(decimal_error("1 "), "'1 ' is not a number");
  CAF_CHECK_EQUAL(decimal_error("1ms"), "'1ms' is not a number");
  CAF_CHECK_EQUAL(decimal_error("."), "'.' is not a number");
  CAF_CHECK_EQUAL(decimal_error("-"), "'-' is not a number");
  CAF_CHECK_EQUAL(decimal_error("+-1"), "'+-1' is not a number");
  CAF_CHECK_EQUAL(decimal_error("1e"), "'1e' is not a number");
  CAF_CHECK_EQUAL(decimal_error("1e+"), "'1e+' is not a number");
  CAF_CHECK_EQUAL(decimal_error("e5"), "'e5' is not a number");
  CAF_CHECK_EQUAL(decimal_error("1.2.3"), "'1.2.3' is not a number");
  CAF_CHECK_EQUAL(decimal_error("1_000"), "'1_000' is not a number");
  CAF_CHECK_EQUAL(decimal_error("\x1b[31m1"), "'\\x1b[31m1' is not a number");
}

CAF_TEST(hexadecimal nan and inf are refused by name) {
  for (auto hex : {"0x1p-1", "0X10", "-0x1", "0x"})
    CAF_CHECK_EQUAL(decimal_error(hex),
                    "'" + std::string{hex}
                      + "' is not a decimal number (hexadecimal is not "
                        "accepted)");
  for (auto word : {"nan", "NaN", "-nan", "inf", "+inf", "-Infinity", "INF"})
    CAF_CHECK_EQUAL(decimal_error(word),
                    "'" + std::string{word} + "' is not a finite number");
  CAF_CHECK_EQUAL(decimal_error("nan(1)"), "'nan(1)' is not a number");
}

CAF_TEST(overflow is out of range and underflow rounds to zero) {
  CAF_CHECK_EQUAL(decimal_error("1e309"), "'1e309' is out of range");
  CAF_CHECK_EQUAL(decimal_error("-1e309"), "'-1e309' is out of range");
  CAF_CHECK_EQUAL(decimal_error("1.7976931348623159e308"),
                  "'1.7976931348623159e308' is out of range");
  CAF_CHECK_EQUAL(decimal_error("0.001e312"), "'0.001e312' is out of range");
  CAF_CHECK_EQUAL(decimal_error("1e99999999999999999999"),
                  "'1e99999999999999999999' is out of range");
  CAF_CHECK_EQUAL(decimal_error(std::string(400, '9')),
                  "'" + std::string(64, '9')
                    + "'... (400 bytes) is out of range");
  for (auto tiny : {"1e-400", "0.0000001e-320", "1e-99999999999999999999"}) {
    auto x = parse_decimal(tiny);
    CAF_REQUIRE(x);
    CAF_CHECK_EQUAL(*x, 0.0);
    CAF_CHECK(!std::signbit(*x));
  }
  auto x = parse_decimal("-1e-400");
  CAF_REQUIRE(x);
  CAF_CHECK_EQUAL(*x, 0.0);
  CAF_CHECK(std::signbit(*x));
}

CAF_TEST(long fields are echoed cut short) {
  auto long_text = std::string(1000, '1') + "x";
  CAF_CHECK_EQUAL(decimal_error(long_text), "'" + std::string(64, '1')
                                              + "'... (1001 bytes) is not a "
                                                "number");
}

CAF_TEST(whole numbers are digits only) {
  auto x = parse_whole("1700000000000000000");
  CAF_REQUIRE(x);
  CAF_CHECK_EQUAL(*x, 1700000000000000000u);
  x = parse_whole("0042");
  CAF_REQUIRE(x);
  CAF_CHECK_EQUAL(*x, 42u);
  x = parse_whole("18446744073709551615");
  CAF_REQUIRE(x);
  CAF_CHECK_EQUAL(*x, std::numeric_limits<uint64_t>::max());
  using namespace std::string_literals;
  for (auto bad : {"", "-1", "+1", "1.0", "1e3", " 1", "1 ", "0x10", "soon"})
    CAF_CHECK_EQUAL(whole_error(bad),
                    "'" + std::string{bad} + "' is not a whole number");
  CAF_CHECK_EQUAL(whole_error("12\0"s), "'12\\x00' is not a whole number");
  CAF_CHECK_EQUAL(whole_error("18446744073709551616"),
                  "'18446744073709551616' is out of range (at most "
                  "18446744073709551615)");
  CAF_CHECK_EQUAL(whole_error("9223372036854775808",
                              std::numeric_limits<int64_t>::max()),
                  "'9223372036854775808' is out of range (at most "
                  "9223372036854775807)");
  CAF_CHECK_EQUAL(whole_error("9223372036854775807",
                              std::numeric_limits<int64_t>::max()),
                  "ok");
}
