#define CAF_SUITE retrain_ini
#include "config_test.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <caf/settings.hpp>

using namespace retrain;
using namespace retrain::test;

namespace {

const std::string shipped_ini = RETRAIN_SOURCE_DIR "/config/retrain.ini";

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void leaves(const caf::settings& xs, const std::string& prefix,
            std::set<std::string>& out) {
  for (auto& [name, value] : xs) {
    auto key = prefix.empty() ? name : prefix + "." + name;
    if (auto dict = caf::get_if<caf::settings>(&value))
      leaves(*dict, key, out);
    else
      out.insert(key);
  }
}

// What keeps the INI file at `path` from showing every key of a node with
// its default: one line per problem.
std::vector<std::string> differences(const std::string& path) {
  std::vector<std::string> result;
  node_config defaults;
  node_config cfg;
  if (auto err = cfg.read({"--config-file=" + path}))
    return {"not readable: " + error_text(err)};
  auto expected = defaults.values();
  auto actual = cfg.values();
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (actual[i] != expected[i])
      result.push_back(actual[i].first + " is " + actual[i].second
                       + ", its default is " + expected[i].second);
  // Each key written out, not merely left at its default ...
  std::istringstream in{read_text(path)};
  auto raw = caf::actor_system_config::parse_config(in);
  std::set<std::string> written;
  leaves(*raw, "", written);
  std::set<std::string> known;
  for (auto& [key, value] : expected) {
    known.insert(key);
    if (written.count(key) == 0)
      result.push_back(key + " is missing");
  }
  // ... and none that is not a node's key or default.
  for (auto& key : written)
    if (known.count(key) == 0)
      result.push_back(key + " is not a key with a node default");
  return result;
}

struct fixture : config_fixture {
  // The shipped file with `from` replaced by `to`.
  std::string doctored(const std::string& from, const std::string& to) {
    auto text = read_text(shipped_ini);
    auto pos = text.find(from);
    if (pos == std::string::npos)
      CAF_FAIL("retrain.ini has no " << from);
    text.replace(pos, from.size(), to);
    return write("doctored.ini", text);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(retrain_ini_tests, fixture)

CAF_TEST(the shipped retrain.ini shows every key with its default) {
  CAF_CHECK_EQUAL(differences(shipped_ini), std::vector<std::string>{});
}

CAF_TEST(a changed missing or unknown key is found) {
  using strings = std::vector<std::string>;
  CAF_CHECK_EQUAL(differences(doctored("\nworkers=2\n", "\nworkers=3\n")),
                  strings{"retrain.workers is 3, its default is 2"});
  CAF_CHECK_EQUAL(differences(doctored("\ncooldown=60s\n", "\ncooldown=61s\n")),
                  strings{"retrain.monitor.cooldown is 61s, its default is "
                          "1min"});
  CAF_CHECK_EQUAL(differences(doctored("\nrecall=\"off\"\n", "\n")),
                  strings{"retrain.threshold.recall is missing"});
  CAF_CHECK_EQUAL(
    differences(doctored("policy='sharing'", "policy='stealing'")),
    strings{"scheduler.policy is stealing, its default is "
            "sharing"});
  CAF_CHECK_EQUAL(differences(doctored("[middleman]\n", "[middleman]\n"
                                                        "workers=2\n")),
                  strings{"middleman.workers is not a key with a node "
                          "default"});
}

CAF_TEST_FIXTURE_SCOPE_END()
