#pragma once

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/config_error.hpp"
#include "retrain/metric_kind.hpp"
#include "retrain/node_settings.hpp"

namespace retrain {

/// `retrain.threshold.<kind>` as written: the threshold of `ewma_threshold`,
/// or "off".
struct threshold_setting {
  /// Nothing: "off", the kind is not watched (unless
  /// `retrain.strategy.<kind>` names a strategy for it).
  std::optional<double> value;
};

/// The node's `caf::actor_system_config`: registers the messages, declares
/// every `retrain.*` option bound to the field it fills (command line
/// `--retrain.key=value` or the INI file given with `--config-file=FILE`;
/// the command line wins) and turns them into validated `node_settings`.
class node_config : public caf::actor_system_config {
public:
  /// Declares the options; they point into this object, which CAF's base
  /// class makes impossible to copy.
  node_config();

  /// Parses the command line and the config file, refusing unknown keys,
  /// values of the wrong type and values out of range, and makes sure the
  /// data dir is writable where the role needs one. Errors are
  /// `ec::invalid_config` and name the key.
  caf::expected<node_settings> parse_settings(int argc, char** argv);

  /// Same as above, for the arguments after the program name.
  caf::expected<node_settings> parse_settings(std::vector<std::string> args);

  /// First half of `parse_settings`: reads the command line and the config
  /// file into the bound fields, refusing unknown keys and values of the
  /// wrong type; no range checks yet. Prints the help text for `-h`,
  /// `--help` and `--long-help`.
  caf::error read(std::vector<std::string> args);

  /// Every `retrain.*` key and every CAF key whose default the node
  /// changes, in the order of `--help`, each with the value it holds now as
  /// `--help` shows it.
  std::vector<std::pair<std::string, std::string>> values() const;

  /// Whether `--help` was given (the help text is printed by `read`).
  bool help_requested() const noexcept {
    return cli_helptext_printed;
  }

private:
  // One declared `retrain.*` option: its key and how to show its field.
  struct bound_option {
    std::string key;
    std::string (*show)(const void* field);
    const void* field;
  };

  class binder;

  // The one list of `retrain.*` keys: each with its field and its help.
  void declare_options();

  // Reads the INI `text` of the config file at `path` into `content` and
  // the bound fields, refusing what `read` refuses.
  caf::error read_file(const std::string& path, const std::string& text);

  // Reads the numbers and durations of the command line `args` into
  // `content` and the bound fields, and leaves the other arguments.
  caf::error read_numbers(std::vector<std::string>& args);

  // Stores `value` as `key` of `opt` in `content` and in its field, if its
  // type and range are right.
  caf::error store(const caf::config_option& opt, const std::string& key,
                   const caf::config_value& value);

  // Fills what follows from the bound fields: the watched kinds, the
  // request timeout of the monitors, the data dir of the jobs.
  caf::error complete_settings();

  node_settings settings_;
  std::array<threshold_setting, metric_kind_count> thresholds_;
  std::array<std::string, metric_kind_count> strategies_;
  std::vector<bound_option> bound_;
};

} // namespace retrain
