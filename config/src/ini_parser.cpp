#include "ini_parser.hpp"

#include <map>
#include <utility>

#include <caf/atom.hpp>
#include <caf/settings.hpp>

#include "option_text.hpp"
#include "retrain/config_error.hpp"

namespace retrain::detail {

namespace {

// Lists and maps nested deeper than this are refused: each level is one
// recursion of the parser (and of caf::config_value's destructor).
constexpr int max_depth = 32;

// CAF's atoms hold at most 10 characters.
constexpr std::size_t max_atom_size = 10;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9');
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool is_name_start(char c) {
  return is_alnum(c) || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || c == '-';
}

bool is_scalar_start(char c) {
  return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// What a number or duration token may hold; anything more is read along, so
// that a refusal shows the whole token.
bool is_scalar_char(char c) {
  return is_alnum(c) || c == '.' || c == '+' || c == '-' || c == '_';
}

bool is_atom_char(char c) {
  return is_alnum(c) || c == '_' || c == ' ';
}

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// A recursive descent over the text. Each reading function returns false
// once an error is set; the first error is the one reported.
class parser {
public:
  explicit parser(std::string_view text) : text_(text) {
    // nop
  }

  caf::expected<std::vector<ini_entry>> run() {
    std::string section;
    while (ok()) {
      skip_space(true);
      if (at_end())
        break;
      if (peek() == '[')
        read_section_header(section);
      else if (is_name_start(peek()))
        read_key_line(section);
      else
        unexpected();
    }
    if (ok() && pos_ < text_.size())
      unexpected(); // stopped at a NUL byte
    if (!ok())
      return std::move(error_);
    return std::move(entries_);
  }

private:
  // -- position ---------------------------------------------------------------

  // A NUL byte ends the text as far as reading goes; the error then says
  // where it is.
  bool at_end() const {
    return pos_ >= text_.size() || text_[pos_] == '\0';
  }

  char peek() const {
    return at_end() ? '\0' : text_[pos_];
  }

  void advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }

  bool at_newline() const {
    return peek() == '\n'
           || (peek() == '\r' && pos_ + 1 < text_.size()
               && text_[pos_ + 1] == '\n');
  }

  void skip_newline() {
    if (peek() == '\r')
      advance();
    advance();
  }

  void skip_blanks() {
    while (is_blank(peek()))
      advance();
  }

  void skip_comment() {
    while (!at_end() && !at_newline())
      advance();
  }

  // Skips blanks and comments, and line ends too if `newlines`.
  void skip_space(bool newlines) {
    while (true) {
      if (is_blank(peek()))
        advance();
      else if (newlines && at_newline())
        skip_newline();
      else if (peek() == ';')
        skip_comment();
      else
        return;
    }
  }

  // -- errors -----------------------------------------------------------------

  bool ok() const {
    return !error_;
  }

  bool fail(std::string text) {
    if (ok())
      error_ = config_error(std::move(text));
    return false;
  }

  bool syntax_error(const std::string& what) {
    auto column = pos_ - line_start_ + 1;
    return fail("syntax error in line " + std::to_string(line_) + ", column "
                + std::to_string(column) + ": " + what
                + " (text values need quotes, lists use [\"a\", \"b\"])");
  }

  // Refuses what is at the current position.
  bool unexpected() {
    if (pos_ < text_.size() && text_[pos_] == '\0') {
      auto where = "line " + std::to_string(line_);
      if (key_line_ == line_)
        where += " (" + key_ + ")";
      return fail(where + " contains a NUL byte");
    }
    if (at_end())
      return syntax_error("unexpected end of file");
    if (at_newline())
      return syntax_error("unexpected end of line");
    return syntax_error("unexpected character " + quote(text_.substr(pos_, 1)));
  }

  // -- structure --------------------------------------------------------------

  // Reads a section or key name: a letter, digit or '_', then also '-'.
  bool read_name(std::string& name) {
    if (!is_name_start(peek()))
      return unexpected();
    auto start = pos_;
    while (is_name_char(peek()))
      advance();
    name.assign(text_.substr(start, pos_ - start));
    return true;
  }

  // Reads `[name]` or `[name.name...]`; `[global]` is no section, as in CAF.
  bool read_section_header(std::string& section) {
    advance(); // '['
    skip_blanks();
    std::string name;
    std::string part;
    do {
      if (!name.empty())
        advance(); // '.'
      if (!read_name(part))
        return false;
      name = join(name, part);
    } while (peek() == '.');
    skip_blanks();
    if (peek() != ']')
      return unexpected();
    advance();
    section = name == "global" ? std::string{} : name;
    return true;
  }

  // Reads `name=value` or `name {...}`, the key being `prefix.name`.
  bool read_pair(const std::string& prefix, int depth, std::string& name,
                 caf::config_value& value) {
    auto line = line_;
    if (!read_name(name))
      return false;
    // A copy: key_ changes while the value is read.
    auto key = join(prefix, name);
    key_ = key;
    key_line_ = line;
    skip_blanks();
    if (peek() == '=') {
      advance();
      skip_blanks();
    } else if (peek() != '{') {
      return unexpected();
    }
    return read_value(key, value, depth);
  }

  // Reads `key=value` or `key {...}` up to the end of its line.
  bool read_key_line(const std::string& section) {
    auto line = line_;
    std::string name;
    caf::config_value value;
    if (!read_pair(section, 0, name, value))
      return false;
    add(join(section, name), std::move(value), line);
    skip_space(false);
    if (at_newline()) {
      skip_newline();
      return true;
    }
    return pos_ == text_.size() || unexpected();
  }

  // Adds `value` as `key`, or the keys in it if it is a map.
  void add(const std::string& key, caf::config_value value, int line) {
    if (auto dict = caf::get_if<caf::settings>(&value)) {
      for (auto& [name, x] : *dict)
        add(join(key, name), std::move(x), line);
      return;
    }
    auto [i, added] = lines_.emplace(key, line);
    if (!added) {
      fail(key + " is set twice (lines " + std::to_string(i->second) + " and "
           + std::to_string(line) + ")");
      return;
    }
    entries_.push_back(ini_entry{key, std::move(value), line});
  }

  // -- values -----------------------------------------------------------------

  bool read_value(const std::string& key, caf::config_value& out, int depth) {
    auto c = peek();
    if (c == '"')
      return read_text(out);
    if (c == '\'')
      return read_atom(out);
    if (c == '[')
      return read_list(key, out, depth + 1);
    if (c == '{')
      return read_map(key, out, depth + 1);
    if (c == 't' || c == 'f')
      return read_bool(out);
    if (is_scalar_start(c))
      return read_scalar_token(key, out);
    return unexpected();
  }

  // Text in double quotes with CAF's escapes: \n \r \t \\ \".
  bool read_text(caf::config_value& out) {
    advance(); // '"'
    std::string result;
    while (true) {
      if (at_end() || at_newline())
        return unexpected();
      auto c = peek();
      advance();
      if (c == '"')
        break;
      if (c != '\\') {
        result += c;
        continue;
      }
      switch (peek()) {
        case 'n':
          result += '\n';
          break;
        case 'r':
          result += '\r';
          break;
        case 't':
          result += '\t';
          break;
        case '\\':
        case '"':
          result += peek();
          break;
        default:
          if (at_end())
            return unexpected();
          return syntax_error("illegal escape sequence");
      }
      advance();
    }
    out = caf::config_value{std::move(result)};
    return true;
  }

  // An atom in single quotes: letters, digits, '_' and blanks, at most 10.
  bool read_atom(caf::config_value& out) {
    advance(); // '\''
    auto start = pos_;
    while (is_atom_char(peek()))
      advance();
    if (peek() != '\'')
      return unexpected();
    auto text = text_.substr(start, pos_ - start);
    if (text.size() > max_atom_size) {
      pos_ = start;
      return syntax_error("an atom has at most 10 characters");
    }
    advance();
    out = caf::config_value{caf::atom_from_string(text)};
    return true;
  }

  bool read_bool(caf::config_value& out) {
    auto start = pos_;
    while (is_alnum(peek()))
      advance();
    auto word = text_.substr(start, pos_ - start);
    if (word != "true" && word != "false") {
      pos_ = start;
      return unexpected();
    }
    out = caf::config_value{word == "true"};
    return true;
  }

  bool read_scalar_token(const std::string& key, caf::config_value& out) {
    auto start = pos_;
    while (is_scalar_char(peek()))
      advance();
    auto x = read_scalar(text_.substr(start, pos_ - start));
    if (!x)
      return fail("line " + std::to_string(line_) + ": " + key + "="
                  + error_text(x.error()));
    out = std::move(*x);
    return true;
  }

  bool read_list(const std::string& key, caf::config_value& out, int depth) {
    if (depth > max_depth)
      return syntax_error("lists and maps nest deeper than "
                          + std::to_string(max_depth) + " levels");
    advance(); // '['
    caf::config_value::list result;
    while (true) {
      skip_space(true);
      if (peek() == ']')
        break;
      caf::config_value x;
      if (!read_value(key, x, depth))
        return false;
      result.push_back(std::move(x));
      skip_space(true);
      if (peek() == ',')
        advance();
      else if (peek() != ']')
        return unexpected();
    }
    advance(); // ']'
    out = caf::config_value{std::move(result)};
    return true;
  }

  // `{key=value, ...}`, pairs apart by commas or line ends; `key {...}`
  // needs no '='.
  bool read_map(const std::string& key, caf::config_value& out, int depth) {
    if (depth > max_depth)
      return syntax_error("lists and maps nest deeper than "
                          + std::to_string(max_depth) + " levels");
    advance(); // '{'
    caf::settings result;
    while (true) {
      skip_space(true);
      if (peek() == '}')
        break;
      auto line = line_;
      std::string name;
      caf::config_value x;
      if (!read_pair(key, depth, name, x))
        return false;
      if (result.contains(name))
        return fail(join(key, name) + " is set twice (line "
                    + std::to_string(line) + ")");
      result.emplace(name, std::move(x));
      skip_space(false);
      if (peek() == ',')
        advance();
      else if (!at_newline() && peek() != '}')
        return unexpected();
    }
    advance(); // '}'
    out = caf::config_value{std::move(result)};
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  std::size_t line_start_ = 0;
  // The last key read and its line, for naming it in a NUL byte error.
  std::string key_;
  int key_line_ = 0;
  std::vector<ini_entry> entries_;
  // Line of each key read so far.
  std::map<std::string, int> lines_;
  caf::error error_;
};

} // namespace

caf::expected<std::vector<ini_entry>> parse_ini(std::string_view text) {
  return parser{text}.run();
}

} // namespace retrain::detail
