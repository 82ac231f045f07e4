#include "option_text.hpp"

#include <chrono>
#include <cstdint>
#include <limits>

#include <caf/pec.hpp>
#include <caf/settings.hpp>
#include <caf/string_algorithms.hpp>

#include "retrain/config_error.hpp"

namespace retrain::detail {

namespace {

// The largest value of an option of CAF type `uintN`.
uint64_t max_of_uint(caf::string_view type_name) {
  auto digits = type_name.substr(4);
  auto bits = std::stoi(std::string{digits.begin(), digits.end()});
  return bits >= 64 ? std::numeric_limits<uint64_t>::max()
                    : (uint64_t{1} << bits) - 1;
}

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

bool is_scalar_type(caf::string_view type_name) {
  return caf::starts_with(type_name, "uint")
         || caf::starts_with(type_name, "int") || type_name == "real64"
         || type_name == "timespan" || type_name == "number|off"
         || type_name == "boolean";
}

caf::expected<caf::config_value> read_option_value(const std::string& key,
                                                   caf::string_view type_name,
                                                   std::string_view str) {
  if (caf::starts_with(type_name, "uint")) {
    auto x = read_whole(str, max_of_uint(type_name));
    if (!x)
      return config_error(value_error(key, std::string{str}, type_name));
    // CAF holds every integer as int64_t; no declared option is wider.
    if (*x > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return config_error(value_error(key, std::string{str}, type_name));
    return caf::config_value{static_cast<caf::config_value::integer>(*x)};
  }
  // CAF takes a flag only as `--key`: `--key=false` turns one off.
  if (type_name == "boolean") {
    if (str == "true" || str == "false")
      return caf::config_value{str == "true"};
    return config_error(key + "=" + quote(std::string{str})
                        + " is not one of true, false");
  }
  if (type_name == "timespan") {
    auto x = read_duration(str);
    if (!x)
      return config_error(key + "=" + error_text(x.error()));
    return caf::config_value{*x};
  }
  if (type_name == "number|off" && str == "off")
    return caf::config_value{std::string{str}};
  if (type_name == "real64" || type_name == "number|off") {
    auto x = read_decimal(str);
    if (!x)
      return config_error(key + "=" + error_text(x.error()));
    return caf::config_value{*x};
  }
  // Signed integers: CAF declares none, retrain neither.
  auto x = read_scalar(str);
  if (!x || !caf::holds_alternative<caf::config_value::integer>(*x))
    return config_error(value_error(key, std::string{str}, type_name));
  return x;
}

std::string show(const caf::config_value& x) {
  if (auto str = caf::get_if<std::string>(&x))
    return str->empty() ? "\"\"" : *str;
  if (auto real = caf::get_if<double>(&x))
    return format_decimal(*real);
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
  if (type == "HOST:PORT[,HOST:PORT...]")
    return "HOST:PORT with a port within [1, 65535], or several "
           "comma-separated";
  if (caf::starts_with(type_name, "list of "))
    return "a list such as [\"a\", \"b\"]";
  if (caf::starts_with(type_name, "uint"))
    return "a whole number within [0, " + std::to_string(max_of_uint(type_name))
           + "]";
  if (caf::starts_with(type_name, "int"))
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
  return key + "=" + quote(value) + " is not " + expectation(type);
}

std::string describe_parse_error(const caf::error& err,
                                 const caf::config_option_set& options) {
  if (err.category() != caf::atom("parser"))
    return "bad option: " + caf::to_string(err);
  auto code = static_cast<caf::pec>(err.code());
  caf::settings context;
  if (err.context().match_elements<caf::settings>())
    context = err.context().get_as<caf::settings>(0);
  auto arg = caf::get_or(context, "argument", std::string{});
  if (code == caf::pec::not_an_option)
    return "unknown option " + quote(arg) + " (see --help)";
  auto body = arg.compare(0, 2, "--") == 0 ? arg.substr(2) : arg;
  auto eq = body.find('=');
  auto opt = options.cli_long_name_lookup(body.substr(0, eq));
  if (opt == nullptr)
    return "bad option " + quote(arg) + " (see --help)";
  if (opt->is_flag())
    return full_name(*opt) + " takes no value on the command line (--"
           + full_name(*opt) + " sets it)";
  if (eq == std::string::npos || eq + 1 == body.size())
    return full_name(*opt) + " needs a value: " + expectation(opt->type_name());
  return value_error(full_name(*opt), body.substr(eq + 1), opt->type_name());
}

} // namespace retrain::detail
