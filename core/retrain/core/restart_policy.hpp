#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace retrain::core {

/// What happens to a model whose monitor crashed: it is restarted, until
/// the crash after `max_restarts` restarts within `window` quarantines it.
/// One per model that ever crashed; time is passed in.
class restart_policy {
public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::steady_clock::time_point;

  /// What to do after a crash.
  enum class verdict {
    restart,
    quarantine,
  };

  restart_policy(uint32_t max_restarts, duration window)
    : max_restarts_(max_restarts), window_(window) {
    // nop
  }

  /// Records a crash at `now` and decides. Crashes that left the window
  /// before `now` no longer count.
  verdict crashed(time_point now) {
    auto recent = std::find_if(crashes_.begin(), crashes_.end(),
                               [&](time_point t) { return t + window_ > now; });
    crashes_.erase(crashes_.begin(), recent);
    crashes_.push_back(now);
    return crashes_.size() > max_restarts_ ? verdict::quarantine
                                           : verdict::restart;
  }

  /// Crashes within the window as of the last one, that one included.
  std::size_t recent_crashes() const noexcept {
    return crashes_.size();
  }

private:
  uint32_t max_restarts_;
  duration window_;
  /// Crash times within the window, oldest first.
  std::vector<time_point> crashes_;
};

} // namespace retrain::core
