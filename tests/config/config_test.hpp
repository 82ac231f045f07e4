#pragma once

// Shared pieces of the config tests: a node config parsed from a command line
// and an INI text, in a temp dir that also holds the data dir.

#include <fstream>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/test/unit_test.hpp>

#include "actors/temp_dir.hpp"
#include "retrain/ec.hpp"
#include "retrain/node_config.hpp"

namespace retrain::test {

/// A temp dir for the config file and the data dir.
struct config_fixture {
  temp_dir dir{"retrain-config-test"};

  /// Writes `text` to `name` in the temp dir; returns its path.
  std::string write(const std::string& name, const std::string& text) {
    auto path = (dir.path() / name).string();
    std::ofstream{path, std::ios::binary} << text;
    return path;
  }

  /// `args` with a data dir inside the temp dir first, so that nothing is
  /// created in the working directory.
  std::vector<std::string> with_data_dir(std::vector<std::string> args) {
    args.insert(args.begin(), "--retrain.data-dir=" + dir.str() + "/data");
    return args;
  }

  /// Parses `args` (plus the data dir) with a fresh node config.
  caf::expected<node_settings> parse(std::vector<std::string> args = {}) {
    node_config cfg;
    return cfg.parse_settings(with_data_dir(std::move(args)));
  }

  /// Parses `ini` as the config file, then `args`.
  caf::expected<node_settings> parse_ini(const std::string& ini,
                                         std::vector<std::string> args = {}) {
    args.insert(args.begin(), "--config=" + write("node.ini", ini));
    return parse(std::move(args));
  }

  /// The text of the error of `args` (with `ini` as the config file unless
  /// empty), or "ok".
  std::string error_of(std::vector<std::string> args,
                       const std::string& ini = "") {
    auto res = ini.empty() ? parse(std::move(args))
                           : parse_ini(ini, std::move(args));
    return res ? std::string{"ok"} : error_text(res.error());
  }
};

/// Whether `err` is `ec::invalid_config`.
inline bool is_invalid_config(const caf::error& err) {
  return err.category() == caf::atom("retrain")
         && err.code() == static_cast<uint8_t>(ec::invalid_config);
}

} // namespace retrain::test
