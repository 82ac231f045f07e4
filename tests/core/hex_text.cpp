#define CAF_SUITE hex_text
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/core/hex_text.hpp"

using namespace retrain::core;

CAF_TEST(bytes and their hex text round trip) {
  struct row {
    std::vector<char> bytes;
    std::string text;
  };
  std::vector<row> rows{
    {{}, ""},
    {{'\0'}, "00"},
    {{'\x01', '\x7f', '\x80', '\xff'}, "017f80ff"},
    {{'a', 'Z', '\0', '\n'}, "615a000a"},
  };
  for (auto& x : rows) {
    CAF_CHECK_EQUAL(to_hex(x.bytes), x.text);
    auto back = from_hex(x.text);
    CAF_REQUIRE(back.has_value());
    CAF_CHECK(*back == x.bytes);
  }
}

CAF_TEST(upper case digits read like lower case ones) {
  auto x = from_hex("ABcdEF");
  CAF_REQUIRE(x.has_value());
  CAF_CHECK(*x == (std::vector<char>{'\xab', '\xcd', '\xef'}));
}

CAF_TEST(text that is no hex spelling of bytes is refused) {
  for (auto text : {"0", "abc", "0g", "zz", "1 ", "-1", "0x00"})
    CAF_CHECK(!from_hex(text).has_value());
}
