// Fuzz target: a strategy as a user writes it, `NAME [KEY=VALUE ...]`
// (retrain.strategy.<kind>, backtest's --strategy and --param), up to the
// first 0xff byte; each byte after it is one value fed to the strategy
// built from it (0 or 1 for per-prediction strategies, byte / 16
// otherwise).
//
// Checked: what parses has a name and KEY=VALUE parameters without
// blanks or control bytes; every refusal is printable ASCII; a built
// strategy survives any value it accepts, and a snapshot restores into a
// clone that then reports the same state.

#include <cmath>
#include <cstring>

#include "fuzz_check.hpp"
#include "retrain/core/strategy_factory.hpp"
#include "retrain/core/strategy_spec.hpp"

using namespace retrain;

namespace {

bool same_bits(const std::vector<double>& xs, const std::vector<double>& ys) {
  return xs.size() == ys.size()
         && (xs.empty()
             || std::memcmp(xs.data(), ys.data(), xs.size() * sizeof(double))
                  == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = fuzz::as_text(data, size);
  auto end = input.find('\xff');
  auto spec = core::parse_strategy_spec(input.substr(0, end));
  if (!spec) {
    RETRAIN_FUZZ_CHECK(fuzz::printable(spec.error().message));
    return 0;
  }
  RETRAIN_FUZZ_CHECK(!spec->name.empty());
  for (auto& [key, value] : spec->params) {
    RETRAIN_FUZZ_CHECK(!key.empty());
    RETRAIN_FUZZ_CHECK(key.find('=') == std::string::npos);
    RETRAIN_FUZZ_CHECK(key.find(' ') == std::string::npos);
    RETRAIN_FUZZ_CHECK(value.find(' ') == std::string::npos);
  }
  auto made = core::make_strategy(spec->name, spec->params);
  if (!made) {
    RETRAIN_FUZZ_CHECK(fuzz::printable(made.error().message));
    return 0;
  }
  auto& s = **made;
  auto values = end == std::string_view::npos ? std::string_view{}
                                              : input.substr(end + 1);
  for (auto byte : values) {
    auto b = static_cast<unsigned char>(byte);
    double x = s.binary() ? (b & 1) : b / 16.0;
    if (s.check(x))
      continue;
    auto result = s.update(x);
    RETRAIN_FUZZ_CHECK(result.state == core::verdict::none
                       || result.state == core::verdict::warning
                       || result.state == core::verdict::drift);
  }
  RETRAIN_FUZZ_CHECK(s.memory_bound() > 0);
  auto snapshot = s.snapshot();
  RETRAIN_FUZZ_CHECK(snapshot.strategy == s.name());
  auto copy = core::make_strategy(spec->name, spec->params);
  RETRAIN_FUZZ_CHECK(copy);
  RETRAIN_FUZZ_CHECK((*copy)->restore(snapshot));
  RETRAIN_FUZZ_CHECK((*copy)->samples() == s.samples());
  RETRAIN_FUZZ_CHECK(same_bits((*copy)->snapshot().values, snapshot.values));
  auto clone = s.clone();
  RETRAIN_FUZZ_CHECK(same_bits(clone->snapshot().values, snapshot.values));
  return 0;
}
