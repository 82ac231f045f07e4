#include "retrain/core/log_fields.hpp"

#include <algorithm>
#include <cctype>

#include "retrain/core/model_id.hpp"

namespace retrain::core {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The number right after the first whole word `word` followed by a space.
std::optional<uint64_t> number_after(std::string_view text,
                                     std::string_view word) {
  for (size_t pos = text.find(word); pos != std::string_view::npos;
       pos = text.find(word, pos + 1)) {
    auto start = pos == 0
                 || !std::isalnum(static_cast<unsigned char>(text[pos - 1]));
    auto digits = pos + word.size() + 1;
    if (!start || digits >= text.size() || text[pos + word.size()] != ' '
        || !is_digit(text[digits]))
      continue;
    uint64_t result = 0;
    for (auto i = digits; i < text.size() && is_digit(text[i]); ++i) {
      auto digit = static_cast<uint64_t>(text[i] - '0');
      if (result > (UINT64_MAX - digit) / 10)
        return std::nullopt; // not a job number anyone issued
      result = result * 10 + digit;
    }
    return result;
  }
  return std::nullopt;
}

// Strips what surrounds an id in prose: `(cv:a:1.0.0),` -> `cv:a:1.0.0`.
std::string_view trim_token(std::string_view token) {
  auto punct = [](char c) {
    return c == '(' || c == ')' || c == ',' || c == ';' || c == ':' || c == '\''
           || c == '"' || c == '[' || c == ']';
  };
  while (!token.empty() && punct(token.front()))
    token.remove_prefix(1);
  while (!token.empty() && punct(token.back()))
    token.remove_suffix(1);
  return token;
}

// Whether `token` is `HOST:PORT` rather than a model line.
bool is_endpoint(std::string_view token) {
  auto colon = token.rfind(':');
  auto port = token.substr(colon + 1);
  return !port.empty() && std::all_of(port.begin(), port.end(), [](char c) {
    return is_digit(c);
  });
}

} // namespace

log_fields find_log_fields(std::string_view text) {
  log_fields result;
  auto first_space = text.find(' ');
  auto head = text.substr(0, first_space);
  if (auto hash = head.find('#');
      hash != std::string_view::npos && hash > 0 && hash + 1 < head.size()
      && std::all_of(head.begin() + hash + 1, head.end(), is_digit))
    result.actor = std::string{head};
  result.job = number_after(text, "job");
  result.attempt = number_after(text, "attempt");
  size_t pos = 0;
  while (pos < text.size() && (result.model.empty() || result.line.empty())) {
    auto end = text.find_first_of(" \t\n", pos);
    auto token = trim_token(text.substr(pos, end - pos));
    auto colons = std::count(token.begin(), token.end(), ':');
    if (colons == 2 && result.model.empty() && !check_model_id(token)) {
      result.model = std::string{token};
      result.line = std::string{model_line_of(token)};
    } else if (colons == 1 && result.line.empty() && !is_endpoint(token)
               && parse_model_line(token)) {
      result.line = std::string{token};
    }
    if (end == std::string_view::npos)
      break;
    pos = end + 1;
  }
  return result;
}

} // namespace retrain::core
