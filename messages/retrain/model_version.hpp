#pragma once

#include <cstdint>
#include <string>
#include <tuple>

#include "retrain/field.hpp"

namespace retrain {

/// A registered model version: the row of the registry's `versions` table.
///
/// A new member needs one line in `model_version_fields` below (wire and
/// database both follow it) and a schema migration that adds its column
/// (`actors/src/registry_schema.cpp`).
struct model_version {
  /// `<project>:<name>`.
  std::string line;
  /// The version itself, e.g. `1.2.1`.
  std::string version;
  /// The version it was retrained from.
  std::string parent;
  /// The job that produced it; a job produces at most one version.
  uint64_t job_id = 0;
  /// Unix time in ns.
  int64_t created_at_ns = 0;
  /// The reason text of the job.
  std::string reason;
  /// Where the trainer put the result, or empty.
  std::string artifact;
};

/// The members of `model_version` with their column names, in wire and
/// column order.
inline constexpr auto model_version_fields
  = std::make_tuple(field{"line", &model_version::line},
                    field{"version", &model_version::version},
                    field{"parent", &model_version::parent},
                    field{"job_id", &model_version::job_id},
                    field{"created_at_ns", &model_version::created_at_ns},
                    field{"reason", &model_version::reason},
                    field{"artifact", &model_version::artifact});

/// @relates model_version
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_version& x) {
  return inspect_fields(f, "model_version", x, model_version_fields);
}

} // namespace retrain
