#define CAF_SUITE scalar_text
#include "config_test.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include "option_text.hpp"
#include "scalar_text.hpp"

using namespace retrain;
using namespace retrain::detail;
using namespace std::chrono_literals;

namespace {

// `x` as `--help` shows it, or the error text.
template <class T>
std::string text_of(const caf::expected<T>& x) {
  if (!x)
    return error_text(x.error());
  return show(caf::config_value{*x});
}

} // namespace

CAF_TEST(quoting escapes what is not printable ascii) {
  CAF_CHECK_EQUAL(quote("a b"), "'a b'");
  CAF_CHECK_EQUAL(quote(""), "''");
  CAF_CHECK_EQUAL(quote(std::string{"\x1b[2J\n\0\x7f\xc3\xa9", 9}),
                  "'\\x1b[2J\\x0a\\x00\\x7f\\xc3\\xa9'");
}

CAF_TEST(durations) {
  struct row {
    const char* input;
    const char* expected;
  };
  row rows[] = {
    {"0ms", "0ms"},
    {"1500us", "1500us"},
    {"90s", "90s"},
    {"5min", "5min"},
    {"+2h", "2h"},
    {"-1s", "-1s"},
    {"0090s", "90s"},
    {"9223372036854775807ns", "9223372036854775807ns"},
    {"2562047h", "2562047h"},
    {"2562048h", "'2562048h' is out of range (at most 2562047h)"},
    {"153722868min", "'153722868min' is out of range (at most 153722867min)"},
    {"99999999999999999999s",
     "'99999999999999999999s' is out of range (at most 9223372036s)"},
    {"5", "'5' is not a duration such as 500ms, 30s, 5min or 1h"},
    {"s", "'s' is not a duration such as 500ms, 30s, 5min or 1h"},
    {"1.5s", "'1.5s' is not a duration such as 500ms, 30s, 5min or 1h"},
    {"0x1s", "'0x1s' is not a duration such as 500ms, 30s, 5min or 1h"},
    {" 1s", "' 1s' is not a duration such as 500ms, 30s, 5min or 1h"},
    {"1 s", "'1 s' is not a duration such as 500ms, 30s, 5min or 1h"},
    {"1sec", "'1sec' is not a duration such as 500ms, 30s, 5min or 1h"},
  };
  for (auto& r : rows) {
    CAF_MESSAGE(r.input);
    CAF_CHECK_EQUAL(text_of(read_duration(r.input)), r.expected);
  }
}

CAF_TEST(scalars) {
  struct row {
    const char* input;
    const char* expected;
  };
  row rows[] = {
    {"12", "12"},
    {"-12", "-12"},
    {"+12", "'+12' is not a whole number (it takes no '+')"},
    {"+1.5", "1.5"},
    {"007", "7"},
    {"1.5", "1.5"},
    {"1e-400", "0"},
    {"30s", "30s"},
    {"0x10", "'0x10' is not a decimal number (hexadecimal is not accepted)"},
    {"010.5e", "'010.5e' is not a number"},
    {"1e309", "'1e309' is out of range"},
    {"nan", "'nan' is not a finite number"},
    {"-", "'-' is not a number"},
    {"", "'' is not a number"},
  };
  for (auto& r : rows) {
    CAF_MESSAGE(r.input);
    CAF_CHECK_EQUAL(text_of(read_scalar(r.input)), r.expected);
  }
  // Integers stay integers, decimals are exact.
  auto x = read_scalar("-9223372036854775808");
  CAF_REQUIRE(x);
  CAF_CHECK_EQUAL(caf::get<caf::config_value::integer>(*x),
                  std::numeric_limits<int64_t>::min());
  x = read_scalar("0.978428");
  CAF_REQUIRE(x);
  CAF_CHECK_EQUAL(caf::get<double>(*x), 0.978428);
}

CAF_TEST(option values on the command line) {
  struct row {
    const char* type;
    const char* input;
    const char* expected;
  };
  row rows[] = {
    {"uint16", "4242", "4242"},
    {"uint16", "65536", "k='65536' is not a whole number within [0, 65535]"},
    {"uint16", "-1", "k='-1' is not a whole number within [0, 65535]"},
    {"uint64", "18446744073709551615",
     "k='18446744073709551615' is not a whole number within [0, "
     "18446744073709551615]"},
    {"uint32", "010", "10"},
    {"real64", "0.5", "0.5"},
    {"real64", "5", "5"},
    {"real64", "0x1p-1",
     "k='0x1p-1' is not a decimal number (hexadecimal is not accepted)"},
    {"timespan", "2s", "2s"},
    {"timespan", "2", "k='2' is not a duration such as 500ms, 30s, 5min or 1h"},
    {"number|off", "off", "off"},
    {"number|off", "0.9", "0.9"},
    {"number|off", "Off", "k='Off' is not a number"},
  };
  for (auto& r : rows) {
    CAF_MESSAGE(r.type << " " << r.input);
    CAF_CHECK(is_scalar_type(r.type));
    CAF_CHECK_EQUAL(text_of(read_option_value("k", r.type, r.input)),
                    r.expected);
  }
  CAF_CHECK(!is_scalar_type("string"));
  CAF_CHECK(!is_scalar_type("atom"));
  CAF_CHECK(!is_scalar_type("list of uint64"));
  CAF_CHECK(!is_scalar_type("HOST:PORT"));
}

CAF_TEST(decimals are formatted to read back exactly) {
  CAF_CHECK_EQUAL(format_decimal(0.2), "0.2");
  CAF_CHECK_EQUAL(format_decimal(0.92), "0.92");
  CAF_CHECK_EQUAL(format_decimal(250), "250");
  CAF_CHECK_EQUAL(format_decimal(0.287309123), "0.287309123");
  CAF_CHECK_EQUAL(format_decimal(-1e-300), "-1e-300");
  for (double x : {0.1, 1.0 / 3, 0.978428, 2.2250738585072014e-308,
                   1.7976931348623157e308, 123456789.125}) {
    auto back = read_decimal(format_decimal(x));
    CAF_REQUIRE(back);
    CAF_CHECK_EQUAL(*back, x);
  }
}
