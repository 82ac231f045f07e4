#include "retrain/core/storage_health.hpp"

namespace retrain::core {

bool storage_health::failed(std::string reason, time_point now) {
  reason_ = std::move(reason);
  if (failures_++ > 0)
    return false;
  since_ = now;
  return true;
}

bool storage_health::succeeded() noexcept {
  if (failures_ == 0)
    return false;
  failures_ = 0;
  reason_.clear();
  return true;
}

std::string storage_health::describe() const {
  if (!degraded())
    return "ok";
  return "degraded (" + reason_ + ")";
}

} // namespace retrain::core
