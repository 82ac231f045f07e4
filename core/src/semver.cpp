#include "retrain/core/semver.hpp"

#include <limits>
#include <optional>
#include <vector>

#include "retrain/core/quoted.hpp"

namespace retrain::core {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_ident_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || c == '-';
}

// Says where: `offset` is the column offset of the version within the text
// the user wrote, so that errors point into a whole model id.
std::string at(std::string_view what, std::size_t pos, std::size_t offset) {
  return std::string{what} + " at column " + std::to_string(pos + offset + 1);
}

// Every failure of a version is an invalid value.
failure refuse(std::string message) {
  return fail(errc::invalid_value, std::move(message));
}

// Parses a numeric core field of at most `max` starting at `pos`; advances
// `pos`.
expected<uint64_t>
parse_number(std::string_view str, std::size_t& pos, std::string_view field,
             std::size_t offset,
             uint64_t max = std::numeric_limits<uint64_t>::max()) {
  auto first = pos;
  uint64_t result = 0;
  while (pos < str.size() && is_digit(str[pos])) {
    auto digit = static_cast<uint64_t>(str[pos] - '0');
    if (result > (max - digit) / 10)
      return refuse(at(std::string{field} + " is too large", first, offset));
    result = result * 10 + digit;
    ++pos;
  }
  if (pos == first) {
    auto found = pos < str.size() ? quoted(str.substr(pos, 1))
                                  : std::string{"end of input"};
    return refuse(
      at("expected " + std::string{field} + " number, found " + found, pos,
         offset));
  }
  if (pos - first > 1 && str[first] == '0')
    return refuse(
      at(std::string{field} + " has a leading zero", first, offset));
  return result;
}

// Checks dot-separated identifiers in str[first, last).
std::optional<std::string>
check_identifiers(std::string_view str, std::size_t first, std::size_t last,
                  std::string_view what, bool numeric_no_leading_zero,
                  std::size_t offset) {
  auto begin = first;
  for (auto i = first; i <= last; ++i) {
    if (i == last || str[i] == '.') {
      if (i == begin)
        return at("empty " + std::string{what} + " identifier", begin, offset);
      if (numeric_no_leading_zero && i - begin > 1 && str[begin] == '0') {
        bool numeric = true;
        for (auto j = begin; j < i; ++j)
          numeric = numeric && is_digit(str[j]);
        if (numeric)
          return at("numeric " + std::string{what}
                      + " identifier has a leading zero",
                    begin, offset);
      }
      begin = i + 1;
    } else if (!is_ident_char(str[i])) {
      return at("invalid character " + quoted(str.substr(i, 1)) + " in "
                  + std::string{what} + " (allowed: [0-9A-Za-z-.])",
                i, offset);
    }
  }
  return std::nullopt;
}

// Returns the dot-separated identifiers of `str`.
std::vector<std::string_view> split_dots(std::string_view str) {
  std::vector<std::string_view> result;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= str.size(); ++i) {
    if (i == str.size() || str[i] == '.') {
      result.push_back(str.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  return result;
}

bool all_digits(std::string_view str) {
  for (auto c : str)
    if (!is_digit(c))
      return false;
  return !str.empty();
}

int compare_identifier(std::string_view x, std::string_view y) {
  auto xn = all_digits(x);
  auto yn = all_digits(y);
  if (xn && yn) {
    if (x.size() != y.size())
      return x.size() < y.size() ? -1 : 1;
    return x.compare(y) < 0 ? -1 : (x == y ? 0 : 1);
  }
  if (xn != yn)
    return xn ? -1 : 1; // numeric identifiers have lower precedence
  auto c = x.compare(y);
  return c < 0 ? -1 : (c == 0 ? 0 : 1);
}

} // namespace

expected<semver> parse_semver(std::string_view str) {
  return parse_semver(str, 0);
}

expected<semver> parse_semver(std::string_view str, std::size_t offset) {
  if (str.empty())
    return refuse("empty version (expected MAJOR.MINOR.PATCH, e.g. 1.2.0)");
  semver result;
  std::size_t pos = 0;
  auto expect_dot = [&](std::string_view after) -> failure {
    if (pos < str.size() && str[pos] == '.') {
      ++pos;
      return {};
    }
    return refuse(at("expected '.' after " + std::string{after}
                       + " (format MAJOR.MINOR.PATCH)",
                     pos, offset));
  };
  auto major = parse_number(str, pos, "major", offset);
  if (!major)
    return major.error();
  result.major = *major;
  if (auto err = expect_dot("major"))
    return err;
  auto minor = parse_number(str, pos, "minor", offset);
  if (!minor)
    return minor.error();
  result.minor = *minor;
  if (auto err = expect_dot("minor"))
    return err;
  // A retrain bumps the patch (`next_version`): the largest one has no next
  // and would wrap to 0, below the version it retrains.
  auto patch = parse_number(str, pos, "patch", offset,
                            std::numeric_limits<uint64_t>::max() - 1);
  if (!patch)
    return patch.error();
  result.patch = *patch;
  if (pos < str.size() && str[pos] == '-') {
    auto first = ++pos;
    while (pos < str.size() && str[pos] != '+')
      ++pos;
    if (auto err = check_identifiers(str, first, pos, "pre-release", true,
                                     offset))
      return refuse(std::move(*err));
    result.pre_release = std::string{str.substr(first, pos - first)};
  }
  if (pos < str.size() && str[pos] == '+') {
    auto first = ++pos;
    pos = str.size();
    if (auto err = check_identifiers(str, first, pos, "build metadata", false,
                                     offset))
      return refuse(std::move(*err));
    result.build = std::string{str.substr(first, pos - first)};
  }
  if (pos != str.size())
    return refuse(at("unexpected " + quoted(str.substr(pos, 1))
                       + " after patch (expected '-', '+' or end)",
                     pos, offset));
  return result;
}

std::string to_string(const semver& x) {
  auto result = std::to_string(x.major) + '.' + std::to_string(x.minor) + '.'
                + std::to_string(x.patch);
  if (!x.pre_release.empty())
    result += '-' + x.pre_release;
  if (!x.build.empty())
    result += '+' + x.build;
  return result;
}

int compare(const semver& x, const semver& y) noexcept {
  auto cmp = [](uint64_t a, uint64_t b) { return a < b ? -1 : (a > b); };
  if (auto c = cmp(x.major, y.major))
    return c;
  if (auto c = cmp(x.minor, y.minor))
    return c;
  if (auto c = cmp(x.patch, y.patch))
    return c;
  if (x.pre_release.empty() || y.pre_release.empty()) {
    if (x.pre_release.empty() == y.pre_release.empty())
      return 0;
    return x.pre_release.empty() ? 1 : -1; // a release outranks a pre-release
  }
  auto xs = split_dots(x.pre_release);
  auto ys = split_dots(y.pre_release);
  for (std::size_t i = 0; i < xs.size() && i < ys.size(); ++i)
    if (auto c = compare_identifier(xs[i], ys[i]))
      return c;
  return cmp(xs.size(), ys.size());
}

semver retrain_base(const std::optional<semver>& latest,
                    const semver& trigger) {
  if (latest && compare(trigger, *latest) <= 0)
    return *latest;
  return trigger;
}

bool raise_version(std::unordered_map<std::string, semver>& highest,
                   const std::string& line, std::string_view version) {
  if (version.empty())
    return false;
  auto v = parse_semver(version);
  if (!v)
    return false;
  auto i = highest.find(line);
  if (i == highest.end()) {
    highest.emplace(line, std::move(*v));
    return true;
  }
  if (compare(i->second, *v) >= 0)
    return false;
  i->second = std::move(*v);
  return true;
}

semver next_version(const semver& x) {
  return semver{x.major, x.minor, x.patch + 1, {}, {}};
}

} // namespace retrain::core
