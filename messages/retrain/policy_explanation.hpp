#pragma once

#include <caf/meta/type_name.hpp>

#include "retrain/core/policy.hpp"

// Which policy applies to a line and why travels as the core's own value
// (`core::policy_explanation`), as `core::strategy_snapshot` does.

namespace retrain::core {

/// @relates policy_source
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_source& x) {
  return f(caf::meta::type_name("policy_source"), x.key, x.value, x.source);
}

/// @relates policy_explanation
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, policy_explanation& x) {
  return f(caf::meta::type_name("policy_explanation"), x.line, x.matched,
           x.pattern, x.version, x.settings);
}

} // namespace retrain::core
