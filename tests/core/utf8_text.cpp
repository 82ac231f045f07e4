#define CAF_SUITE utf8_text
#include <caf/test/unit_test.hpp>

#include <string>

#include "retrain/core/utf8_text.hpp"

using namespace retrain::core;

CAF_TEST(valid text stays and the rest becomes the replacement character) {
  struct row {
    std::string in;
    std::string out;
  };
  const std::string r = "\xEF\xBF\xBD";
  const row rows[] = {
    {"", ""},
    {"exit code 3", "exit code 3"},
    {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
     "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
    {"\xEF\xBF\xBD", "\xEF\xBF\xBD"},
    {std::string{"a\0b", 3}, "a" + r + "b"},
    {"a\x80"
     "b",
     "a" + r + "b"},
    {"\xC3", r},
    {"\xC3(", r + "("},
    {"\xE2\x82", r + r},
    {"\xC0\xAF", r + r},
    {"\xE0\x80\xAF", r + r + r},
    {"\xED\xA0\x80", r + r + r},
    {"\xF4\x90\x80\x80", r + r + r + r},
    {"\xF5\x80", r + r},
    {"\xFF", r},
    {"\x7F\x01", "\x7F\x01"},
  };
  for (auto& x : rows)
    CAF_CHECK_EQUAL(to_storable_text(x.in), x.out);
}
