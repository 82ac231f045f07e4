#pragma once

// Shared by the fuzz targets of the node's configuration: a node config
// parsed from arguments (and a config file holding the input), in a temp dir
// that outlives every input, and the invariants of what it read.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <caf/config_option_set.hpp>
#include <caf/settings.hpp>

#include "fuzz_check.hpp"
#include "retrain/config_error.hpp"
#include "retrain/ec.hpp"
#include "retrain/node_config.hpp"

namespace retrain::fuzz {

/// A node config that shows its options.
struct config_probe : node_config {
  const caf::config_option_set& options() const {
    return custom_options_;
  }

  /// The option of a dotted key such as `retrain.monitor.alpha` (CAF's own
  /// lookup splits at the first dot).
  const caf::config_option* option(const std::string& key) const {
    auto dot = key.rfind('.');
    if (dot == std::string::npos)
      return custom_options_.qualified_name_lookup("global", key);
    caf::string_view str{key};
    return custom_options_.qualified_name_lookup(str.substr(0, dot),
                                                 str.substr(dot + 1));
  }
};

/// A temp dir for the config file and the data dir, made once per process.
class config_dir {
public:
  config_dir() {
    char tmpl[] = "/tmp/retrain-fuzz-config-XXXXXX";
    RETRAIN_FUZZ_CHECK(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
    std::filesystem::create_directories(path_ / "data");
  }

  ~config_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  /// Writes `text` into the config file; returns its path.
  std::string write(std::string_view text) const {
    auto file = (path_ / "node.ini").string();
    std::ofstream out{file, std::ios::binary | std::ios::trunc};
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    RETRAIN_FUZZ_CHECK(out.good());
    return file;
  }

  /// `--retrain.data-dir=` of the data dir, last on a command line so that
  /// no input makes the node create directories elsewhere.
  std::string data_dir_arg() const {
    return "--retrain.data-dir=" + (path_ / "data").string();
  }

  static const config_dir& get() {
    static config_dir dir;
    return dir;
  }

private:
  std::filesystem::path path_;
};

/// A refusal is `ec::invalid_config` with a printable, non-empty text.
inline void check_refusal(const caf::error& err) {
  RETRAIN_FUZZ_CHECK(err.category() == caf::atom("retrain"));
  RETRAIN_FUZZ_CHECK(err.code() == static_cast<uint8_t>(ec::invalid_config));
  auto text = error_text(err);
  RETRAIN_FUZZ_CHECK(!text.empty());
  RETRAIN_FUZZ_CHECK(printable(text));
}

/// After a successful parse, every option field holds what `content` holds
/// for its key: storing that value again changes nothing a user sees.
inline void check_fields(config_probe& cfg) {
  auto before = cfg.values();
  for (auto& [key, shown] : before) {
    auto value = caf::get_if(&cfg.content, key);
    if (value == nullptr)
      continue;
    auto opt = cfg.option(key);
    RETRAIN_FUZZ_CHECK(opt != nullptr);
    auto stored = *value;
    if (opt->type_name() == "real64")
      if (auto i = caf::get_if<caf::config_value::integer>(&stored))
        stored = caf::config_value{static_cast<double>(*i)};
    RETRAIN_FUZZ_CHECK(!opt->check(stored));
    opt->store(stored);
  }
  RETRAIN_FUZZ_CHECK(cfg.values() == before);
}

} // namespace retrain::fuzz
