#include "option_text.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <sstream>

#include <caf/pec.hpp>
#include <caf/settings.hpp>

namespace retrain::detail {

namespace {

std::string show_duration(caf::timespan x) {
  // The largest unit that shows the value exactly: 60s is 1min.
  using namespace std::chrono;
  if (x.count() == 0)
    return "0ms";
  struct unit {
    nanoseconds size;
    const char* suffix;
  };
  const unit units[] = {{hours{1}, "h"},         {minutes{1}, "min"},
                        {seconds{1}, "s"},       {milliseconds{1}, "ms"},
                        {microseconds{1}, "us"}, {nanoseconds{1}, "ns"}};
  for (auto& u : units)
    if (x.count() % u.size.count() == 0)
      return std::to_string(x.count() / u.size.count()) + u.suffix;
  return std::to_string(x.count()) + "ns";
}

std::string full_name(const caf::config_option& opt) {
  auto name = opt.full_name();
  return std::string{name.begin(), name.end()};
}

} // namespace

std::string show(const caf::config_value& x) {
  if (auto str = caf::get_if<std::string>(&x))
    return str->empty() ? "\"\"" : *str;
  if (auto real = caf::get_if<double>(&x)) {
    std::ostringstream out;
    out << *real;
    return out.str();
  }
  if (auto integer = caf::get_if<caf::config_value::integer>(&x))
    return std::to_string(*integer);
  if (auto span = caf::get_if<caf::timespan>(&x))
    return show_duration(*span);
  if (auto atom = caf::get_if<caf::atom_value>(&x))
    return to_string(*atom);
  if (auto xs = caf::get_if<caf::config_value::list>(&x)) {
    std::string result = "[";
    for (auto& element : *xs) {
      if (result.size() > 1)
        result += ", ";
      result += caf::to_string(element); // quotes text
    }
    return result + "]";
  }
  return caf::to_string(x);
}

std::string expectation(caf::string_view type_name) {
  std::string type{type_name.begin(), type_name.end()};
  auto starts_with = [&](const char* prefix) {
    return type.rfind(prefix, 0) == 0;
  };
  if (type == "string")
    return "a text (in double quotes in the INI file)";
  if (type == "real64")
    return "a number";
  if (type == "timespan")
    return "a duration such as 500ms, 30s, 5min or 1h";
  if (type == "atom")
    return "an atom (in single quotes in the INI file)";
  if (type == "boolean")
    return "true or false";
  if (type == "number|off")
    return "a number or \"off\"";
  if (type == "HOST:PORT")
    return "HOST:PORT with a port within [1, 65535]";
  if (starts_with("list of "))
    return "a list such as [\"a\", \"b\"]";
  if (starts_with("uint")) {
    auto bits = std::stoi(type.substr(4));
    auto max = bits >= 64 ? std::numeric_limits<uint64_t>::max()
                          : (uint64_t{1} << bits) - 1;
    return "a whole number within [0, " + std::to_string(max) + "]";
  }
  if (starts_with("int"))
    return "a whole number";
  if (type.find('|') != std::string::npos) {
    std::string result = "one of ";
    for (auto c : type)
      result += c == '|' ? std::string{", "} : std::string(1, c);
    return result;
  }
  return type;
}

std::string value_error(const std::string& key, const std::string& value,
                        caf::string_view type) {
  return key + "='" + value + "' is not " + expectation(type);
}

std::string describe_parse_error(const caf::error& err,
                                 const caf::config_option_set& options,
                                 const std::string& file) {
  if (err.category() != caf::atom("parser"))
    return "bad option: " + caf::to_string(err);
  auto code = static_cast<caf::pec>(err.code());
  caf::settings context;
  if (err.context().match_elements<caf::settings>())
    context = err.context().get_as<caf::settings>(0);
  if (auto line = caf::get_if<caf::config_value::integer>(&context, "line")) {
    auto words = to_string(code);
    for (auto& c : words)
      if (c == '_')
        c = ' ';
    auto column = caf::get_or(context, "column", caf::config_value::integer{0});
    return "config file '" + file + "': syntax error in line "
           + std::to_string(*line) + ", column " + std::to_string(column) + ": "
           + words + " (text values need quotes, lists use [\"a\", \"b\"])";
  }
  auto arg = caf::get_or(context, "argument", std::string{});
  if (code == caf::pec::not_an_option)
    return "unknown option '" + arg + "' (see --help)";
  auto body = arg.compare(0, 2, "--") == 0 ? arg.substr(2) : arg;
  auto eq = body.find('=');
  auto opt = options.cli_long_name_lookup(body.substr(0, eq));
  if (opt == nullptr)
    return "bad option '" + arg + "' (see --help)";
  if (eq == std::string::npos || eq + 1 == body.size())
    return full_name(*opt) + " needs a value: " + expectation(opt->type_name());
  return value_error(full_name(*opt), body.substr(eq + 1), opt->type_name());
}

} // namespace retrain::detail
