#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// One attempt of a retrain job, as the dispatcher hands it to a worker.
struct retrain_job {
  /// Unique for the life of the registry database.
  uint64_t id = 0;
  /// The model id whose drift started the job.
  std::string model;
  /// Version the retrain starts from: the line's latest registered version,
  /// or the version in `model` when the line is new.
  std::string version;
  /// The version the registry will give the result.
  std::string next_version;
  /// 1 for the first attempt.
  uint32_t attempt = 1;
  /// Why the job exists, as the registry records it, e.g.
  /// `ewma_threshold accuracy statistic=0.87 threshold=0.92 samples=40`.
  std::string reason;
};

/// @relates retrain_job
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retrain_job& x) {
  return f(caf::meta::type_name("retrain_job"), x.id, x.model, x.version,
           x.next_version, x.attempt, x.reason);
}

} // namespace retrain
