#define CAF_SUITE ini_parser
#include "config_test.hpp"

#include <string>
#include <vector>

#include "ini_parser.hpp"
#include "option_text.hpp"

using namespace retrain;
using namespace retrain::detail;

namespace {

// The entries of `text` as `KEY=VALUE@LINE` (values as `--help` shows
// them), or the error text.
std::vector<std::string> read(const std::string& text) {
  auto entries = parse_ini(text);
  if (!entries)
    return {error_text(entries.error())};
  std::vector<std::string> result;
  for (auto& x : *entries)
    result.push_back(x.key + "=" + show(x.value) + "@"
                     + std::to_string(x.line));
  return result;
}

using strings = std::vector<std::string>;

std::string syntax(int line, int column, const std::string& what) {
  return "syntax error in line " + std::to_string(line) + ", column "
         + std::to_string(column) + ": " + what
         + " (text values need quotes, lists use [\"a\", \"b\"])";
}

} // namespace

CAF_TEST(the values of every type) {
  CAF_CHECK_EQUAL(
    read("[a]\n"
         "text=\"x y\"\n"
         "escapes=\"\\n\\r\\t\\\\\\\"\"\n"
         "atom='sharing'\n"
         "yes=true\n"
         "no=false\n"
         "int=-42\n"
         "real=0.25\n"
         "exp=1e3\n"
         "span=1500ms\n"
         "list=[\"a\", 1, [2], {k=3}]\n"
         "empty=[]\n"),
    (strings{"a.text=x y@2", "a.escapes=\n\r\t\\\"@3", "a.atom=sharing@4",
             "a.yes=true@5", "a.no=false@6", "a.int=-42@7", "a.real=0.25@8",
             "a.exp=1000@9", "a.span=1500ms@10",
             "a.list=[\"a\", 1, [2], {\"k\" = 3}]@11", "a.empty=[]@12"}));
}

CAF_TEST(sections maps and comments) {
  CAF_CHECK_EQUAL(read("; head\n"
                       "top=1\n"
                       "[a] ; a\n"
                       "  x = 1 ; one\n"
                       "[ a.b.c ]\n"
                       "y=2\n"
                       "[global]\n"
                       "z=3\n"
                       "[a] w=4\n"
                       "m {p=1, q={r=2}\n"
                       "   s=3}\n"
                       "l=[1, ; c\n"
                       "  2,]\n"),
                  (strings{"top=1@2", "a.x=1@4", "a.b.c.y=2@6", "z=3@8",
                           "a.w=4@9", "a.m.p=1@10", "a.m.q.r=2@10",
                           "a.m.s=3@10", "a.l=[1, 2]@12"}));
  CAF_CHECK_EQUAL(read(""), strings{});
  CAF_CHECK_EQUAL(read("[a]\n[b]\n; nothing\n"), strings{});
  CAF_CHECK_EQUAL(read("[a]\r\nx=\"1\"\r\ny=2"),
                  (strings{"a.x=1@2", "a.y=2@3"}));
}

CAF_TEST(numbers are read as retrain reads them) {
  CAF_CHECK_EQUAL(read("[a]\nx=010\ny=+5.0\nz=.5\nw=-0\n"),
                  (strings{"a.x=10@2", "a.y=5@3", "a.z=0.5@4", "a.w=0@5"}));
  CAF_CHECK_EQUAL(read("[a]\nx=+5\n"),
                  strings{"line 2: a.x='+5' is not a whole number (it takes "
                          "no '+')"});
  CAF_CHECK_EQUAL(read("[a]\nx=0x10\n"),
                  strings{"line 2: a.x='0x10' is not a decimal number "
                          "(hexadecimal is not accepted)"});
  CAF_CHECK_EQUAL(read("[a]\nx=[1, 0b1]\n"),
                  strings{"line 2: a.x='0b1' is not a number"});
  CAF_CHECK_EQUAL(read("[a]\nx=1e999\n"),
                  strings{"line 2: a.x='1e999' is out of range"});
  CAF_CHECK_EQUAL(read("[a]\nx=-9223372036854775808\n"),
                  strings{"a.x=-9223372036854775808@2"});
  CAF_CHECK_EQUAL(read("[a]\nx=9223372036854775808\n"),
                  strings{"line 2: a.x='9223372036854775808' is out of "
                          "range"});
  CAF_CHECK_EQUAL(read("[a]\nx=3000000h\n"),
                  strings{"line 2: a.x='3000000h' is out of range (at most "
                          "2562047h)"});
  CAF_CHECK_EQUAL(read("[a]\nx=5kg\n"),
                  strings{"line 2: a.x='5kg' is not a number"});
}

CAF_TEST(syntax errors say where) {
  CAF_CHECK_EQUAL(read("[a]\nx=y\n"),
                  strings{syntax(2, 3, "unexpected character 'y'")});
  CAF_CHECK_EQUAL(read("[a]\nx=trueish\n"),
                  strings{syntax(2, 3, "unexpected character 't'")});
  CAF_CHECK_EQUAL(read("[a]\nx\n"),
                  strings{syntax(2, 2, "unexpected end of line")});
  CAF_CHECK_EQUAL(read("[a]\nx=\"open\n"),
                  strings{syntax(2, 8, "unexpected end of line")});
  CAF_CHECK_EQUAL(read("[a]\nx=\"open"),
                  strings{syntax(2, 8, "unexpected end of file")});
  CAF_CHECK_EQUAL(read("[a]\nx=1 2\n"),
                  strings{syntax(2, 5, "unexpected character '2'")});
  CAF_CHECK_EQUAL(read("[a.]\n"),
                  strings{syntax(1, 4, "unexpected character ']'")});
  CAF_CHECK_EQUAL(read("[a]\nx='toolongatom'\n"),
                  strings{syntax(2, 4, "an atom has at most 10 characters")});
  CAF_CHECK_EQUAL(read("[a]\nx={p=1 q=2}\n"),
                  strings{syntax(2, 8, "unexpected character 'q'")});
  CAF_CHECK_EQUAL(read("[a]\nx=<http://x>\n"),
                  strings{syntax(2, 3, "unexpected character '<'")});
  CAF_CHECK_EQUAL(read("[a]\nx=\"\x1b\"y\n"),
                  strings{syntax(2, 6, "unexpected character 'y'")});
  CAF_CHECK_EQUAL(read("[a]\nx=\x7f\n"),
                  strings{syntax(2, 3, "unexpected character '\\x7f'")});
}

CAF_TEST(nul bytes and keys set twice) {
  CAF_CHECK_EQUAL(read(std::string{"[a]\nx=1\0y=2\n", 12}),
                  strings{"line 2 (a.x) contains a NUL byte"});
  CAF_CHECK_EQUAL(read(std::string{"[a]\n; \0\n", 8}),
                  strings{"line 2 contains a NUL byte"});
  CAF_CHECK_EQUAL(read(std::string{"\0", 1}),
                  strings{"line 1 contains a NUL byte"});
  CAF_CHECK_EQUAL(read("[a]\nx=1\n[a]\nx=2\n"),
                  strings{"a.x is set twice (lines 2 and 4)"});
  CAF_CHECK_EQUAL(read("[a]\nm={x=1, x=2}\n"),
                  strings{"a.m.x is set twice (line 2)"});
  CAF_CHECK_EQUAL(read("[a.b]\nx=1\n[a]\nb={x=1}\n"),
                  strings{"a.b.x is set twice (lines 2 and 4)"});
}
