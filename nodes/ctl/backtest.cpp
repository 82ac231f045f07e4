// `retrain-ctl backtest`: runs a strategy offline over one value per line.

#include <boost/json.hpp>

#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "ctl/commands.hpp"
#include "retrain/core/backtest.hpp"
#include "retrain/core/strategy_factory.hpp"

namespace retrain::ctl {

namespace {

constexpr const char* backtest_usage
  = "usage: retrain-ctl backtest --strategy NAME [--param KEY=VALUE ...] "
    "[--json] FILE\n"
    "  FILE holds one number per line ('-' reads stdin); prints\n"
    "  'warning INDEX VALUE' / 'drift INDEX VALUE' for each update in that\n"
    "  state (0-based INDEX, VALUE as written)\n";

struct backtest_options {
  std::string strategy;
  core::param_map params;
  bool json = false;
  bool help = false;
  std::vector<std::string> files;
};

/// Parses the arguments after `backtest`; returns an error message or "".
std::string parse(const std::vector<std::string>& args,
                  backtest_options& opts) {
  auto starts = [](const std::string& x, const char* prefix) {
    return x.rfind(prefix, 0) == 0;
  };
  auto add_param = [&](const std::string& kv) -> std::string {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return "--param needs KEY=VALUE, got '" + kv + "'";
    auto key = kv.substr(0, eq);
    if (!opts.params.emplace(key, kv.substr(eq + 1)).second)
      return "parameter " + key + " given twice";
    return "";
  };
  bool only_files = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto& arg = args[i];
    auto next = [&](std::string& out) {
      if (i + 1 >= args.size())
        return false;
      out = args[++i];
      return true;
    };
    std::string value;
    if (only_files || arg == "-" || !starts(arg, "-")) {
      opts.files.push_back(arg);
    } else if (arg == "--") {
      only_files = true;
    } else if (arg == "-h" || arg == "--help") {
      opts.help = true;
    } else if (arg == "--json") {
      opts.json = true;
    } else if (arg == "--strategy") {
      if (!next(opts.strategy))
        return "--strategy needs a name";
    } else if (starts(arg, "--strategy=")) {
      opts.strategy = arg.substr(11);
    } else if (arg == "--param") {
      if (!next(value))
        return "--param needs KEY=VALUE";
      if (auto err = add_param(value); !err.empty())
        return err;
    } else if (starts(arg, "--param=")) {
      if (auto err = add_param(arg.substr(8)); !err.empty())
        return err;
    } else {
      return "unknown option '" + arg + "'";
    }
  }
  if (opts.help)
    return "";
  if (opts.strategy.empty())
    return "--strategy is required";
  if (opts.files.size() != 1)
    return "expected exactly one FILE, got "
           + std::to_string(opts.files.size());
  return "";
}

/// Lists the strategies and their parameters for `--help`.
void print_strategies(std::ostream& out) {
  out << "\nstrategies:\n";
  for (auto& info : core::strategies()) {
    out << "  " << info.name << (info.binary ? " (outcomes 0/1)" : "") << ": "
        << info.summary << '\n';
    for (auto& p : info.params)
      out << "    " << p.name << " (default "
          << (p.default_value.empty() ? "required" : p.default_value)
          << "): " << p.help << '\n';
  }
}

boost::json::value json_number(const std::string& text, double x) {
  // Integers as integers, so that "5" prints as 5 rather than 5E0.
  if (text.find_first_not_of("+-0123456789") == std::string::npos
      && x >= -9.0e15 && x <= 9.0e15)
    return static_cast<int64_t>(x);
  return x;
}

void print_json(const std::vector<core::backtest_row>& rows,
                std::ostream& out) {
  boost::json::array result;
  result.reserve(rows.size());
  for (auto& row : rows) {
    result.push_back(boost::json::object{
      {"index", row.index},
      {"value", json_number(row.value, row.number)},
      {"state", std::string{core::to_string(row.state)}},
    });
  }
  out << boost::json::serialize(result) << '\n';
}

} // namespace

int run_backtest_command(const std::vector<std::string>& args,
                         std::ostream& out, std::ostream& err) {
  backtest_options opts;
  if (auto msg = parse(args, opts); !msg.empty()) {
    err << "retrain-ctl backtest: " << msg << '\n' << backtest_usage;
    return usage;
  }
  if (opts.help) {
    out << backtest_usage;
    print_strategies(out);
    return ok;
  }
  auto strategy = core::make_strategy(opts.strategy, opts.params);
  if (!strategy) {
    err << "retrain-ctl backtest: " << strategy.error().message << '\n';
    return usage;
  }
  auto& file = opts.files.front();
  std::ifstream in_file;
  if (file != "-") {
    in_file.open(file);
    if (!in_file) {
      err << "retrain-ctl backtest: cannot open " << file << '\n';
      return usage;
    }
  }
  auto rows = core::backtest(**strategy, file == "-" ? std::cin : in_file);
  if (!rows) {
    err << "retrain-ctl backtest: " << (file == "-" ? "stdin" : file) << ": "
        << rows.error().message << '\n';
    return usage;
  }
  if (opts.json)
    print_json(*rows, out);
  else
    out << core::to_text(*rows);
  return ok;
}

} // namespace retrain::ctl
