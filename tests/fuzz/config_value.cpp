// Fuzz target: one `--KEY=VALUE` of retrain-node's command line (the input
// without the leading `--`), read by node_config as retrain-node reads it:
// numbers and durations by retrain's strict readers, the rest by CAF, then
// the range checks and validate(). Options of CAF's `global` category
// (help, config-file, ...) are skipped: they print or open files, and are
// no values.
//
// Checked: every refusal is `invalid_config` in printable ASCII, and names
// the key when the key exists; an accepted value is in the node's settings
// under its key, and every option field agrees with those settings.

#include <string>

#include "config_check.hpp"

using namespace retrain;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = fuzz::as_text(data, size);
  auto name = input.substr(0, input.find('='));
  auto& dir = fuzz::config_dir::get();
  fuzz::config_probe cfg;
  auto opt = cfg.options().cli_long_name_lookup(
    caf::string_view{name.data(), name.size()});
  if (opt != nullptr && opt->category() == "global")
    return 0;
  auto arg = "--" + std::string{input};
  auto settings = cfg.parse_settings({arg, dir.data_dir_arg()});
  if (!settings) {
    fuzz::check_refusal(settings.error());
    if (opt != nullptr) {
      auto full = opt->full_name();
      RETRAIN_FUZZ_CHECK(
        error_text(settings.error()).find(std::string{full.begin(), full.end()})
        != std::string::npos);
    }
    return 0;
  }
  RETRAIN_FUZZ_CHECK(opt != nullptr);
  auto full = opt->full_name();
  RETRAIN_FUZZ_CHECK(
    caf::get_if(&cfg.content, std::string{full.begin(), full.end()}));
  fuzz::check_fields(cfg);
  return 0;
}
