#include "retrain/core/shard_lease.hpp"

#include <algorithm>

namespace retrain::core {

std::string to_string(shard_access x) {
  switch (x) {
    case shard_access::apply:
      return "apply";
    case shard_access::elsewhere:
      return "elsewhere";
    case shard_access::no_lease:
      return "no_lease";
    case shard_access::settling:
      return "settling";
    case shard_access::moving:
      return "moving";
  }
  return "?";
}

shard_lease::shard_lease(shard_lease_timing timing, bool required)
  : timing_(timing), required_(required), forever_(!required) {
}

void shard_lease::renewed(time_point sent, uint64_t version) {
  until_ = std::max(until_, sent + timing_.term());
  version_ = std::max(version_, version);
}

void shard_lease::revoke() noexcept {
  forever_ = false;
  until_ = time_point::min();
}

void shard_lease::hold_forever() noexcept {
  forever_ = true;
}

bool shard_lease::holds(time_point now, uint64_t map_version) const noexcept {
  if (forever_)
    return true;
  // Strictly before the end: at `until_` the coordinator's margin is all
  // that is left.
  return now < until_ && map_version >= version_;
}

shard_lease::time_point shard_lease::deadline() const noexcept {
  return forever_ || alone_ ? time_point::max() : until_;
}

void shard_lease::take_map(const std::vector<bool>& mine,
                           const std::vector<uint64_t>& epochs,
                           const std::vector<bool>& unowned_before, bool alone,
                           time_point now) {
  auto n = mine.size();
  std::vector<time_point> usable(n, time_point::min());
  for (size_t s = 0; s < n; ++s) {
    if (!mine[s])
      continue;
    auto epoch = s < epochs.size() ? epochs[s] : 0;
    bool had = s < mine_.size() && mine_[s] && epochs_[s] == epoch;
    if (had) {
      usable[s] = usable_[s];
      continue;
    }
    bool free_before = unowned_before.empty()
                         ? alone
                         : s < unowned_before.size() && unowned_before[s];
    if (!free_before && required_)
      usable[s] = now + timing_.settle();
  }
  alone_ = alone;
  mine_ = mine;
  epochs_ = epochs;
  epochs_.resize(n);
  usable_ = std::move(usable);
}

shard_access shard_lease::access(uint32_t shard, uint64_t map_version,
                                 time_point now) const {
  if (shard >= mine_.size() || !mine_[shard])
    return shard_access::elsewhere;
  if (!alone_ && !holds(now, map_version))
    return shard_access::no_lease;
  if (now < usable_[shard])
    return shard_access::settling;
  return shard_access::apply;
}

shard_lease::time_point shard_lease::settles_at(uint32_t shard) const {
  return shard < usable_.size() ? usable_[shard] : time_point::min();
}

} // namespace retrain::core
