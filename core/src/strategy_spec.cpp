#include "retrain/core/strategy_spec.hpp"

#include "retrain/core/quoted.hpp"

namespace retrain::core {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
         || c == '\v';
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 || u == 0x7f) && !is_blank(c);
}

} // namespace

expected<strategy_spec> parse_strategy_spec(std::string_view text) {
  auto refuse = [](std::string message) {
    return fail(errc::invalid_config, std::move(message));
  };
  for (std::size_t i = 0; i < text.size(); ++i)
    if (is_control(text[i]))
      return refuse("strategy " + quoted(text, echo_limit)
                    + " has control byte " + quoted(text.substr(i, 1))
                    + " at column " + std::to_string(i + 1));
  strategy_spec result;
  std::size_t pos = 0;
  bool first = true;
  while (true) {
    while (pos < text.size() && is_blank(text[pos]))
      ++pos;
    if (pos == text.size())
      break;
    auto end = pos;
    while (end < text.size() && !is_blank(text[end]))
      ++end;
    auto word = text.substr(pos, end - pos);
    pos = end;
    if (first) {
      result.name = std::string{word};
      first = false;
      continue;
    }
    auto eq = word.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return refuse(quoted(word, echo_limit) + " is not KEY=VALUE");
    auto key = word.substr(0, eq);
    if (!result.params
           .emplace(std::string{key}, std::string{word.substr(eq + 1)})
           .second)
      return refuse("parameter " + quoted(key, echo_limit) + " is given twice");
  }
  if (first)
    return refuse("strategy is empty (expected NAME [KEY=VALUE ...])");
  return result;
}

} // namespace retrain::core
