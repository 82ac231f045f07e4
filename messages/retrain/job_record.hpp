#pragma once

#include <cstdint>
#include <string>
#include <tuple>

#include "retrain/field.hpp"
#include "retrain/job_state.hpp"

namespace retrain {

/// A retrain job: the row of the registry's `jobs` table, what
/// `retrain-ctl jobs` lists, and what a worker gets (inside `retrain_job`).
///
/// A new member needs one line in `job_record_fields` below (wire and
/// database both follow it) and a schema migration that adds its column
/// (`actors/src/registry_schema.cpp`).
struct job_record {
  /// Assigned by the database on insert; unique for its life.
  uint64_t id = 0;
  /// The model id whose drift started the job.
  std::string model;
  /// `<project>:<name>` of `model`.
  std::string line;
  /// The version the retrain starts from: the line's latest registered
  /// version, or the version in `model` when the line is new.
  std::string base_version;
  /// The version the registry will give the result.
  std::string next_version;
  /// Where the job is in its life cycle.
  job_state state = job_state::queued;
  /// Attempts started so far.
  uint32_t attempts = 0;
  /// Triggers merged into this job after the one that created it.
  uint64_t merged = 0;
  /// Why the job exists: the reason text of the trigger that created it,
  /// e.g. `ewma_threshold accuracy statistic=0.87 threshold=0.92 samples=40`.
  std::string reason;
  /// Why the last attempt failed, or empty.
  std::string error;
  /// The registered version once succeeded, else empty.
  std::string version;
  /// Unix time in ns of creation.
  int64_t created_at_ns = 0;
  /// Unix time in ns of the last change.
  int64_t updated_at_ns = 0;
};

/// The members of `job_record` with their column names, in wire and column
/// order.
inline constexpr auto job_record_fields = std::make_tuple(
  field{"id", &job_record::id}, field{"model", &job_record::model},
  field{"line", &job_record::line},
  field{"base_version", &job_record::base_version},
  field{"next_version", &job_record::next_version},
  field{"state", &job_record::state}, field{"attempts", &job_record::attempts},
  field{"merged", &job_record::merged}, field{"reason", &job_record::reason},
  field{"error", &job_record::error}, field{"version", &job_record::version},
  field{"created_at_ns", &job_record::created_at_ns},
  field{"updated_at_ns", &job_record::updated_at_ns});

/// @relates job_record
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_record& x) {
  return inspect_fields(f, "job_record", x, job_record_fields);
}

} // namespace retrain
