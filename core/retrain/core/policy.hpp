#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retrain/core/expected.hpp"
#include "retrain/core/strategy_spec.hpp"
#include "retrain/metric_kind.hpp"

namespace retrain::core {

/// The lines a policy applies to: every line (`*`), every line of a
/// project (`fraud:*`) or one line (`cv:anomaly_detector`).
struct policy_pattern {
  /// Empty for `*`.
  std::string project;
  /// Empty for `*` and `project:*`.
  std::string name;

  /// How specific it is: 0 for `*`, 1 for `project:*`, 2 for a line. The
  /// most specific pattern that matches a line wins.
  int specificity() const noexcept {
    return project.empty() ? 0 : (name.empty() ? 1 : 2);
  }

  /// Whether it applies to `line` (`<project>:<name>`).
  bool matches(std::string_view line) const;

  /// The pattern as written: `*`, `fraud:*`, `cv:anomaly_detector`.
  std::string str() const;
};

/// Parses `*`, `PROJECT:*` or `PROJECT:NAME` (the characters of a model
/// line); anything else is refused (`errc::invalid_config`) with a reason.
expected<policy_pattern> parse_policy_pattern(std::string_view text);

/// What a policy sets; what it leaves unset comes from the node
/// configuration. The keys are those of the node configuration's sections:
/// `[retrain.monitor]` `alpha`, `min-samples`, `consecutive-breaches`,
/// `cooldown`; `[retrain.threshold]` and `[retrain.strategy]` per kind;
/// `[retrain.job]` `max-attempts`, `timeout`, `command`.
struct policy {
  /// Per kind: `retrain.threshold.<kind>` as a number, or `off` (empty
  /// optional inside).
  std::array<std::optional<std::optional<double>>, metric_kind_count> threshold;
  /// Per kind: `retrain.strategy.<kind>`, `NAME [KEY=VALUE ...]`.
  std::array<std::optional<strategy_spec>, metric_kind_count> strategy;
  std::optional<double> alpha;
  std::optional<uint64_t> min_samples;
  std::optional<uint64_t> consecutive_breaches;
  std::optional<std::chrono::milliseconds> cooldown;
  std::optional<uint32_t> max_attempts;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<std::vector<std::string>> command;

  /// Whether it sets nothing.
  bool empty() const;
};

/// Reads a policy from INI text with the node configuration's keys, e.g.
/// ```
/// [retrain.threshold]
/// accuracy = 0.8
/// [retrain.strategy]
/// f1_score = "adwin delta=0.01"
/// [retrain.monitor]
/// cooldown = 10min
/// ```
/// `;` and `#` start comments; text values may be in double quotes;
/// `command` is a list of texts (`["python3", "train.py", "{model}"]`);
/// durations are whole numbers with `ms`, `s`, `min` or `h`. Refused as a
/// whole (`errc::invalid_config`), with the line and the key named: an
/// unknown section or key, a node setting that is no part of a policy, a
/// key given twice, a value of the wrong form or out of range, a strategy
/// that does not build, and a policy that sets nothing.
expected<policy> parse_policy(std::string_view text);

/// The policy as INI text that `parse_policy` reads back as the same
/// policy: sections and keys in a fixed order, only what it sets.
std::string to_text(const policy& x);

/// A strategy spec as text: `NAME KEY=VALUE ...`, parameters by name.
std::string to_text(const strategy_spec& x);

/// What a line runs when no policy sets it: the node configuration (the
/// `*` policy of the node). Per kind the strategy as configured, before
/// the EWMA settings are filled in.
struct policy_base {
  std::array<std::optional<strategy_spec>, metric_kind_count> kinds;
  double alpha = 0.2;
  uint64_t min_samples = 1;
  uint64_t consecutive_breaches = 1;
  std::chrono::milliseconds cooldown{0};
  uint32_t max_attempts = 3;
  std::chrono::milliseconds timeout{3'600'000};
  std::vector<std::string> command;
  /// Whether the job settings above are the ones jobs run with: a monitor
  /// node's are not (the coordinator's configuration is), so its
  /// explanations name them only where a policy sets them.
  bool job_known = true;
};

/// A policy in force: its pattern, its version and what it sets.
struct stored_policy {
  policy_pattern pattern;
  uint64_t version = 0;
  policy value;
};

/// What a line runs: the node configuration with the winning policy's
/// settings over it, each strategy complete (the EWMA settings and the
/// direction of `ewma_threshold` filled in).
struct resolved_policy {
  /// The winning pattern, `*` with version 0 for the node configuration.
  std::string pattern = "*";
  uint64_t version = 0;
  std::array<std::optional<strategy_spec>, metric_kind_count> kinds;
  double alpha = 0.2;
  uint64_t min_samples = 1;
  uint64_t consecutive_breaches = 1;
  std::chrono::milliseconds cooldown{0};
  uint32_t max_attempts = 3;
  std::chrono::milliseconds timeout{0};
  std::vector<std::string> command;
};

/// Fills in what `ewma_threshold` takes from the gate and the kind (alpha,
/// min_samples, consecutive_breaches, direction) unless `spec` sets it.
void complete_spec(strategy_spec& spec, metric_kind kind, double alpha,
                   uint64_t min_samples, uint64_t consecutive_breaches);

/// Resolves `base` with `winner` (or none) over it.
resolved_policy resolve(const policy_base& base, const stored_policy* winner);

/// Whether a detector built from `a` may keep the state of one built from
/// `b`: the same strategy with the same parameters, apart from the gate's
/// (`min_samples`, `consecutive_breaches`).
bool same_detector(const strategy_spec& a, const strategy_spec& b);

/// One setting of an explanation: key, value and where it comes from.
struct policy_source {
  std::string key;
  std::string value;
  /// `policy PATTERN vN` or `node config`.
  std::string source;
};

/// Which policy applies to a line and why.
struct policy_explanation {
  std::string line;
  /// Every policy that matches, most specific first, as `PATTERN vN`.
  std::vector<std::string> matched;
  /// The winner (`*`, version 0: the node configuration).
  std::string pattern = "*";
  uint64_t version = 0;
  std::vector<policy_source> settings;
};

/// The policies in force on a node, by pattern.
class policy_book {
public:
  /// Replaces the policy of `x.pattern`.
  void put(stored_policy x);

  /// Removes the policy of `pattern`, if any.
  void erase(const std::string& pattern);

  /// The most specific policy that matches `line`, or null.
  const stored_policy* winner(std::string_view line) const;

  /// What `line` runs with `base` as the node configuration.
  resolved_policy resolve_line(const policy_base& base,
                               std::string_view line) const;

  /// Which policy applies to `line` and why, setting by setting.
  policy_explanation explain(const policy_base& base,
                             std::string_view line) const;

  const std::vector<stored_policy>& entries() const noexcept {
    return entries_;
  }

private:
  std::vector<stored_policy> entries_;
};

/// A duration as `parse_policy` reads it back: `10min`, `1500ms`, `0ms`.
std::string to_text(std::chrono::milliseconds x);

} // namespace retrain::core
