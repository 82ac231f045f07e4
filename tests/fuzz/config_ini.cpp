// Fuzz target: the INI text of a node's config file (`--config=FILE`), read
// by node_config as retrain-node reads it: the INI parser, the check of every
// key and value, the command line over it, the range checks.
//
// Checked: every refusal is `invalid_config` in printable ASCII; an
// accepted file leaves every key it sets in the node's settings with the
// value it was read as (nothing dropped, as CAF drops values of the wrong
// type), and every option field agrees with those settings.

#include <string>

#include "config_check.hpp"
#include "ini_parser.hpp"

using namespace retrain;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  // The node refuses what the parser refuses at its first step
  // (node_config::read_file). A node config costs a hundred times as much
  // as the parse, and most inputs do not parse: those stop here.
  auto entries = detail::parse_ini(text);
  if (!entries) {
    fuzz::check_refusal(entries.error());
    return 0;
  }
  auto& dir = fuzz::config_dir::get();
  fuzz::config_probe cfg;
  auto settings
    = cfg.parse_settings({"--config=" + dir.write(text), dir.data_dir_arg()});
  if (!settings) {
    fuzz::check_refusal(settings.error());
    return 0;
  }
  for (auto& x : *entries) {
    // The command line sets the data dir; CAF renames app-identifier.
    if (x.key == "retrain.data-dir" || x.key == "middleman.app-identifier")
      continue;
    auto opt = cfg.option(x.key);
    RETRAIN_FUZZ_CHECK(opt != nullptr);
    auto value = caf::get_if(&cfg.content, x.key);
    RETRAIN_FUZZ_CHECK(value != nullptr);
    auto expected = x.value;
    if (opt->type_name() == "real64")
      if (auto i = caf::get_if<caf::config_value::integer>(&expected))
        expected = caf::config_value{static_cast<double>(*i)};
    RETRAIN_FUZZ_CHECK(*value == expected);
  }
  fuzz::check_fields(cfg);
  return 0;
}
