#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// A registered model version.
struct model_version {
  /// `<project>:<name>`.
  std::string line;
  std::string version;
  /// The version it was retrained from.
  std::string parent;
  uint64_t job_id = 0;
  /// Unix time in ns.
  int64_t created_at_ns = 0;
  std::string reason;
  std::string artifact;
};

/// @relates model_version
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_version& x) {
  return f(caf::meta::type_name("model_version"), x.line, x.version, x.parent,
           x.job_id, x.created_at_ns, x.reason, x.artifact);
}

} // namespace retrain
