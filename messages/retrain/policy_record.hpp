#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// One version of the policy of a pattern, as the coordinator stores it:
/// every change is a new version, and a removal too.
struct policy_record {
  /// `*`, `PROJECT:*` or `PROJECT:NAME`.
  std::string pattern;
  /// 1 for the first version of the pattern, then one more per change.
  uint64_t version = 0;
  /// The change's number among all policy changes of the coordinator: the
  /// epoch of the policy set it made.
  uint64_t epoch = 0;
  /// The policy as INI text (empty for a removal).
  std::string text;
  /// Whether this version removed the pattern's policy.
  bool removed = false;
  /// Who made the change and why, as they said (free text).
  std::string by;
  std::string reason;
  /// When it was stored, Unix time in ns.
  int64_t created_at_ns = 0;
};

/// @relates policy_record
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_record& x) {
  return f(caf::meta::type_name("policy_record"), x.pattern, x.version, x.epoch,
           x.text, x.removed, x.by, x.reason, x.created_at_ns);
}

/// A change of the policy of a pattern that `retrain-ctl policy set|rm` or
/// the HTTP API asks the coordinator for.
struct policy_change {
  std::string pattern;
  /// The new policy as INI text; ignored for a removal.
  std::string text;
  std::string by;
  std::string reason;
  /// Removes the pattern's policy (its history stays).
  bool remove = false;
};

/// @relates policy_change
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_change& x) {
  return f(caf::meta::type_name("policy_change"), x.pattern, x.text, x.by,
           x.reason, x.remove);
}

/// The policies in force, as the coordinator pushes them to monitor nodes
/// on every change and every (re)connect. A node applies a set only if its
/// epoch is newer than the one it runs.
struct policy_set {
  /// The number of the last change; 0 before any.
  uint64_t epoch = 0;
  /// The current version of every pattern that has a policy.
  std::vector<policy_record> policies;
};

/// @relates policy_set
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_set& x) {
  return f(caf::meta::type_name("policy_set"), x.epoch, x.policies);
}

} // namespace retrain
