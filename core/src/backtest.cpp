#include "retrain/core/backtest.hpp"

#include "retrain/core/number.hpp"

namespace retrain::core {

namespace {

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
         || c == '\v';
}

std::string trim(const std::string& line) {
  std::size_t first = 0;
  auto last = line.size();
  while (first < last && blank(line[first]))
    ++first;
  while (last > first && blank(line[last - 1]))
    --last;
  return line.substr(first, last - first);
}

} // namespace

expected<std::vector<backtest_row>> backtest(strategy& s, std::istream& in) {
  std::vector<backtest_row> rows;
  std::string line;
  uint64_t line_no = 0;
  uint64_t index = 0;
  while (std::getline(in, line)) {
    ++line_no;
    auto text = trim(line);
    if (text.empty())
      continue;
    auto at_line = [line_no](failure err) {
      err.message = "line " + std::to_string(line_no) + ": " + err.message;
      return err;
    };
    auto parsed = parse_decimal(text);
    if (!parsed)
      return at_line(std::move(parsed.error()));
    auto x = *parsed;
    if (auto err = s.check(x))
      return at_line(std::move(err));
    auto result = s.update(x);
    if (result.state != verdict::none)
      rows.push_back({index, std::move(text), x, result.state});
    ++index;
  }
  if (in.bad())
    return fail(errc::storage_failure,
                "read error after line " + std::to_string(line_no));
  return rows;
}

std::string to_text(const std::vector<backtest_row>& rows) {
  std::string result;
  for (auto& row : rows) {
    result += to_string(row.state);
    result += ' ';
    result += std::to_string(row.index);
    result += ' ';
    result += row.value;
    result += '\n';
  }
  return result;
}

} // namespace retrain::core
