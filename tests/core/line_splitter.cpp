#define CAF_SUITE line_splitter
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/core/line_splitter.hpp"

using namespace retrain::core;

namespace {

// Splits `input` fed in chunks of `chunk` bytes; each line as
// "NUMBER:TEXT", or "NUMBER:too long (LENGTH)".
std::vector<std::string> split(const std::string& input, std::size_t chunk,
                               std::size_t max_length = 1024) {
  std::vector<std::string> result;
  line_splitter lines{max_length};
  auto take = [&] {
    while (auto line = lines.next()) {
      auto prefix = std::to_string(line->number) + ":";
      if (line->too_long)
        result.push_back(prefix + "too long (" + std::to_string(line->length)
                         + ")");
      else
        result.push_back(prefix + std::string{line->text});
      if (!line->too_long)
        CAF_CHECK_EQUAL(line->length, line->text.size());
    }
  };
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    lines.feed(std::string_view{input}.substr(pos, chunk));
    take();
  }
  lines.finish();
  take();
  return result;
}

using lines = std::vector<std::string>;

} // namespace

CAF_TEST(lf crlf and cr end lines in chunks of any size) {
  for (std::size_t chunk : {1, 2, 3, 5, 7, 1000}) {
    CAF_MESSAGE("chunks of " << chunk);
    CAF_CHECK_EQUAL(split("a,b\nc\n", chunk), (lines{"1:a,b", "2:c"}));
    CAF_CHECK_EQUAL(split("a,b\r\nc\r\n", chunk), (lines{"1:a,b", "2:c"}));
    CAF_CHECK_EQUAL(split("model,kind\ra,b\rc\r", chunk),
                    (lines{"1:model,kind", "2:a,b", "3:c"}));
    // Mixed, with empty lines: CR CR LF is an empty line between.
    CAF_CHECK_EQUAL(split("a\r\rb\n\nc\r\n\r\nd", chunk),
                    (lines{"1:a", "2:", "3:b", "4:", "5:c", "6:", "7:d"}));
    // LF CR is two line ends.
    CAF_CHECK_EQUAL(split("a\n\rb", chunk), (lines{"1:a", "2:", "3:b"}));
  }
}

CAF_TEST(a last line without a line end comes at finish) {
  CAF_CHECK_EQUAL(split("a\nlast", 3), (lines{"1:a", "2:last"}));
  CAF_CHECK_EQUAL(split("", 3), lines{});
  CAF_CHECK_EQUAL(split("\n", 3), lines{"1:"});
  CAF_CHECK_EQUAL(split("\r", 3), lines{"1:"});
  line_splitter s{10};
  s.feed("abc");
  CAF_CHECK(!s.next());
  s.finish();
  auto line = s.next();
  CAF_REQUIRE(line);
  CAF_CHECK_EQUAL(line->text, "abc");
  CAF_CHECK(!s.next());
}

CAF_TEST(lines over the limit are reported by length not kept) {
  for (std::size_t chunk : {1, 4, 100}) {
    CAF_MESSAGE("chunks of " << chunk);
    CAF_CHECK_EQUAL(split("12345678\n123456789\nok\r\n", chunk, 8),
                    (lines{"1:12345678", "2:too long (9)", "3:ok"}));
    CAF_CHECK_EQUAL(split(std::string(50, 'x') + "\r" + "y", chunk, 8),
                    (lines{"1:too long (50)", "2:y"}));
    CAF_CHECK_EQUAL(split(std::string(50, 'x'), chunk, 8),
                    (lines{"1:too long (50)"}));
  }
}

CAF_TEST(nul bytes stay inside a line) {
  using namespace std::string_literals;
  CAF_CHECK_EQUAL(split("a\0b\nc"s, 2), (lines{"1:a\0b"s, "2:c"}));
}
