#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "retrain/core/expected.hpp"
#include "retrain/core/strategy.hpp"

namespace retrain::core {

/// Strategy parameters by name, as written in config or on the command line.
using param_map = std::map<std::string, std::string, std::less<>>;

/// One parameter a strategy accepts.
struct param_info {
  std::string_view name;
  /// Default as text; empty when the parameter is required.
  std::string_view default_value;
  std::string_view help;
};

/// A strategy known to `make_strategy`.
struct strategy_info {
  std::string_view name;
  std::string_view summary;
  /// Whether it takes per-prediction outcomes (0 or 1).
  bool binary;
  std::vector<param_info> params;
  std::function<expected<std::unique_ptr<strategy>>(const param_map&)> make;
};

/// Every strategy, in the order the docs list them.
const std::vector<strategy_info>& strategies();

/// Finds a strategy by name, or nullptr.
const strategy_info* find_strategy(std::string_view name);

/// Builds strategy `name` from `params`. Unknown strategy names, unknown
/// parameters, unparsable values and values out of range are refused
/// (`errc::invalid_config`) with a message that names the strategy, the
/// parameter and the allowed range.
expected<std::unique_ptr<strategy>> make_strategy(std::string_view name,
                                                  const param_map& params);

/// Reads typed parameters from a `param_map`, collecting the first error.
/// Used by the strategies' factory functions.
class param_reader {
public:
  param_reader(std::string_view strategy, const param_map& params);

  /// Reads a real number within [min, max].
  double real(std::string_view key, double fallback, double min, double max);

  /// Reads a real number within (min, max] (exclusive lower bound).
  double real_above(std::string_view key, double fallback, double min,
                    double max);

  /// Reads a required real number within [min, max].
  double required_real(std::string_view key, double min, double max);

  /// Reads an integer within [min, max].
  uint64_t integer(std::string_view key, uint64_t fallback, uint64_t min,
                   uint64_t max);

  /// Reads one of `choices`; returns its index.
  std::size_t choice(std::string_view key, std::size_t fallback,
                     const std::vector<std::string_view>& choices);

  /// Returns the first failure (`errc::invalid_config`), including
  /// parameters that no call read, or no failure.
  failure finish(const std::vector<param_info>& known);

private:
  const std::string* find(std::string_view key);
  void error(std::string msg);

  std::string strategy_;
  const param_map& params_;
  failure error_;
};

} // namespace retrain::core
