#pragma once

// Input streams for the detector tests: River's documented examples (written
// by tests/data/river/make_streams.py with CPython's own `random`) and a
// small deterministic generator for long streams.

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "retrain/core/backtest.hpp"
#include "retrain/core/strategy.hpp"

namespace retrain::test {

/// Path of a River example stream in tests/data/river.
inline std::string river_stream(const std::string& name) {
  return std::string{RETRAIN_TEST_DATA} + "/river/" + name;
}

/// Runs `s` over a River example stream through the backtest path.
inline std::vector<core::backtest_row> backtest_file(core::strategy& s,
                                                     const std::string& name) {
  std::ifstream in{river_stream(name)};
  if (!in)
    return {{0, "cannot open " + name, 0.0, core::verdict::none}};
  auto rows = core::backtest(s, in);
  if (!rows)
    return {{0, rows.error().message, 0.0, core::verdict::none}};
  return std::move(*rows);
}

/// What River's docstring loops print: the first warning after the start
/// and after each drift, and every drift, as "warning 1084" / "drift 1334".
inline std::vector<std::string>
river_printout(const std::vector<core::backtest_row>& rows) {
  std::vector<std::string> result;
  bool print_warning = true;
  for (auto& row : rows) {
    if (row.state == core::verdict::warning && print_warning) {
      result.push_back("warning " + std::to_string(row.index));
      print_warning = false;
    } else if (row.state == core::verdict::drift) {
      result.push_back("drift " + std::to_string(row.index));
      print_warning = true;
    }
  }
  return result;
}

/// The indices of the drifts in `rows`.
inline std::vector<uint64_t>
drift_indices(const std::vector<core::backtest_row>& rows) {
  std::vector<uint64_t> result;
  for (auto& row : rows)
    if (row.state == core::verdict::drift)
      result.push_back(row.index);
  return result;
}

/// xorshift64*: fast, deterministic, good enough for test input.
class stream_rng {
public:
  explicit stream_rng(uint64_t seed) : state_(seed ? seed : 1) {
    // nop
  }

  uint64_t next() noexcept {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }

  /// Uniform in [0, 1).
  double uniform() noexcept {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
  }

  /// 1 with probability `p`, else 0.
  double bernoulli(double p) noexcept {
    return uniform() < p ? 1.0 : 0.0;
  }

private:
  uint64_t state_;
};

/// River-like input for strategy `s`: outcomes whose error rate switches
/// between 0.2 and 0.7 every `period` values for binary strategies, else
/// integers from {0, 1} or {4, ..., 7} alternating every `period` values (the
/// shape of River's examples).
inline double river_like(const core::strategy& s, stream_rng& rng, uint64_t i,
                         uint64_t period) {
  bool second = (i / period) % 2 == 1;
  if (s.binary())
    return rng.bernoulli(second ? 0.7 : 0.2);
  return second ? static_cast<double>(4 + rng.next() % 4)
                : static_cast<double>(rng.next() % 2);
}

} // namespace retrain::test
