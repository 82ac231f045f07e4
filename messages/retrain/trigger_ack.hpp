#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "retrain/job_state.hpp"

namespace retrain {

/// What the dispatcher made of a trigger.
enum class trigger_outcome : uint8_t {
  /// A new job was queued for the line.
  created,
  /// The line had a job queued or running: the trigger counts into it.
  merged,
  /// The trigger came before (a re-send): the job it made or joined.
  repeated,
  /// The model is older than the line's latest version: no job.
  superseded,
};

/// Returns `created`, `merged`, `repeated` or `superseded`.
std::string to_string(trigger_outcome x);

/// The dispatcher's answer to a `retrain_trigger`, sent only once the job
/// it created or merged into is stored: until then the trigger stays in its
/// monitor node's outbox and is sent again.
struct trigger_ack {
  /// The `retrain_trigger::id` acknowledged.
  std::string trigger_id;
  trigger_outcome outcome = trigger_outcome::created;
  /// The job behind the trigger; 0 when superseded.
  uint64_t job_id = 0;
  /// That job's state now: a line is busy while it is queued or running
  /// (unused when superseded).
  job_state state = job_state::queued;
  /// The latest version of the line the coordinator knows, or empty.
  std::string latest;
};

/// @relates trigger_ack
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trigger_ack& x) {
  return f(caf::meta::type_name("trigger_ack"), x.trigger_id, x.outcome,
           x.job_id, x.state, x.latest);
}

} // namespace retrain
