#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace retrain {

/// Life cycle of a retrain job.
enum class job_state : uint8_t {
  queued,
  running,
  succeeded,
  failed,
};

/// Returns `queued`, `running`, `succeeded` or `failed`.
std::string to_string(job_state x);

/// Parses the names `to_string` returns.
std::optional<job_state> parse_job_state(std::string_view str);

/// Whether a job in state `x` still occupies its model line.
inline bool is_active(job_state x) {
  return x == job_state::queued || x == job_state::running;
}

} // namespace retrain
