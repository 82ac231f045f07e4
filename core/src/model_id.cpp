#include "retrain/core/model_id.hpp"

#include <optional>

#include "retrain/core/quoted.hpp"

namespace retrain::core {

namespace {

constexpr std::size_t max_id_length = 512;

bool is_part_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
         || c == '.' || c == '-';
}

// Checks project or name `part`, which starts at `offset` in the whole id.
std::optional<std::string>
check_part(std::string_view part, std::string_view what, std::size_t offset) {
  if (part.empty())
    return std::string{what} + " is empty (at column "
           + std::to_string(offset + 1) + ")";
  for (std::size_t i = 0; i < part.size(); ++i)
    if (!is_part_char(part[i]))
      return std::string{what} + " has invalid character "
             + quoted(part.substr(i, 1)) + " at column "
             + std::to_string(offset + i + 1) + " (allowed: [a-z0-9_.-])";
  return std::nullopt;
}

} // namespace

std::string model_id::line() const {
  return project + ':' + name;
}

std::string model_id::str() const {
  return project + ':' + name + ':' + to_string(version);
}

expected<std::string> parse_model_line(std::string_view str) {
  auto prefix = "model line " + quoted(str) + ": ";
  auto colon = str.find(':');
  if (colon == std::string_view::npos
      || str.find(':', colon + 1) != std::string_view::npos)
    return fail(errc::invalid_model_line, prefix + "expected <project>:<name>");
  if (auto err = check_part(str.substr(0, colon), "project", 0))
    return fail(errc::invalid_model_line, prefix + *err);
  if (auto err = check_part(str.substr(colon + 1), "name", colon + 1))
    return fail(errc::invalid_model_line, prefix + *err);
  return std::string{str};
}

namespace {

// The parts of a model id, as views into the checked string.
struct id_parts {
  std::string_view project;
  std::string_view name;
  semver version;
};

// Splits and checks `str`; allocates only to describe a failure.
expected<id_parts> split_model_id(std::string_view str) {
  auto refuse = [](std::string message) {
    return fail(errc::invalid_model_id, std::move(message));
  };
  if (str.size() > max_id_length)
    return refuse("model id of " + std::to_string(str.size())
                  + " bytes is longer than " + std::to_string(max_id_length));
  auto prefix = [str] { return "model id " + quoted(str) + ": "; };
  auto first = str.find(':');
  auto second = first == std::string_view::npos ? first
                                                : str.find(':', first + 1);
  if (second == std::string_view::npos)
    return refuse(prefix()
                  + "expected <project>:<name>:<semver>, e.g. "
                    "cv:anomaly_detector:1.2.0");
  if (str.find(':', second + 1) != std::string_view::npos)
    return refuse(prefix()
                  + "too many ':' (expected <project>:<name>:<semver>)");
  id_parts result;
  result.project = str.substr(0, first);
  result.name = str.substr(first + 1, second - first - 1);
  auto version = str.substr(second + 1);
  if (auto err = check_part(result.project, "project", 0))
    return refuse(prefix() + *err);
  if (auto err = check_part(result.name, "name", first + 1))
    return refuse(prefix() + *err);
  auto parsed = parse_semver(version, second + 1);
  if (!parsed)
    return refuse(prefix() + "version " + quoted(version) + ": "
                  + parsed.error().message);
  result.version = std::move(*parsed);
  return result;
}

} // namespace

expected<model_id> parse_model_id(std::string_view str) {
  auto parts = split_model_id(str);
  if (!parts)
    return std::move(parts.error());
  model_id result;
  result.project = std::string{parts->project};
  result.name = std::string{parts->name};
  result.version = std::move(parts->version);
  return result;
}

failure check_model_id(std::string_view str) {
  auto parts = split_model_id(str);
  if (!parts)
    return std::move(parts.error());
  return {};
}

std::string_view model_line_of(std::string_view id) {
  auto last = id.rfind(':');
  return last == std::string_view::npos ? id : id.substr(0, last);
}

} // namespace retrain::core
