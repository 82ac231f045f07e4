#include "retrain/core/duration_histogram.hpp"

#include <algorithm>

namespace retrain::core {

duration_histogram::duration_histogram() : counts_(bounds.size() + 1, 0) {
  // nop
}

void duration_histogram::observe(std::chrono::nanoseconds d) noexcept {
  auto ns = std::max(d.count(), std::chrono::nanoseconds::rep{0});
  auto seconds = static_cast<double>(ns) / 1e9;
  // The first bound the duration does not exceed (`le` in Prometheus).
  auto i = std::lower_bound(bounds.begin(), bounds.end(), seconds)
           - bounds.begin();
  ++counts_[static_cast<std::size_t>(i)];
  sum_ms_ += static_cast<uint64_t>(ns / 1'000'000);
}

} // namespace retrain::core
