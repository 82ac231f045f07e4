#include "retrain/core/coordinator_lease.hpp"

namespace retrain::core {

std::string to_string(lease_verdict x) {
  switch (x) {
    case lease_verdict::free:
      return "free";
    case lease_verdict::held:
      return "held";
    case lease_verdict::expired:
      return "expired";
    case lease_verdict::holder_gone:
      return "holder_gone";
  }
  return "?";
}

lease_verdict judge(const lease_view& x, std::chrono::milliseconds timeout) {
  if (x.holder.empty() || x.epoch == 0)
    return lease_verdict::free;
  // The database's clock decides, never this machine's: both sides of a
  // takeover compare against one clock.
  auto timeout_us
    = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  if (x.age_us > timeout_us)
    return lease_verdict::expired;
  if (!x.holder_session_alive)
    return lease_verdict::holder_gone;
  return lease_verdict::held;
}

} // namespace retrain::core
