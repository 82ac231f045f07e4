#include "retrain/core/shard_map.hpp"

#include <algorithm>

#include "retrain/core/model_id.hpp"

namespace retrain::core {

uint64_t fnv1a64(std::string_view text) noexcept {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (auto c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint32_t shard_of_line(std::string_view line, uint32_t shards) noexcept {
  return shards == 0 ? 0 : static_cast<uint32_t>(fnv1a64(line) % shards);
}

uint32_t shard_of_model(std::string_view model, uint32_t shards) noexcept {
  return shard_of_line(model_line_of(model), shards);
}

shard_map::shard_map(uint32_t shards)
  : owners_(std::max<uint32_t>(shards, 1)),
    epochs_(std::max<uint32_t>(shards, 1), 0) {
  // nop
}

void shard_map::restore(uint32_t shard, std::string owner, uint64_t epoch) {
  owners_.at(shard) = std::move(owner);
  version_ -= epochs_.at(shard);
  epochs_[shard] = epoch;
  version_ += epoch;
}

std::vector<uint32_t> shard_map::rebalance(std::vector<std::string> members) {
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  members.erase(std::remove(members.begin(), members.end(), std::string{}),
                members.end());
  auto n = static_cast<uint32_t>(owners_.size());
  std::vector<std::string> next = owners_;
  // Shards of nodes that left are free.
  for (auto& x : next)
    if (!x.empty() && !std::binary_search(members.begin(), members.end(), x))
      x.clear();
  if (!members.empty()) {
    std::map<std::string, uint32_t> held;
    for (auto& m : members)
      held[m] = 0;
    for (auto& x : next)
      if (!x.empty())
        ++held[x];
    // The members holding most get the larger quotas, so fewer shards move.
    auto order = members;
    std::stable_sort(order.begin(), order.end(),
                     [&](const std::string& a, const std::string& b) {
                       return held[a] > held[b];
                     });
    auto m = static_cast<uint32_t>(order.size());
    std::map<std::string, uint32_t> quota;
    for (uint32_t i = 0; i < m; ++i)
      quota[order[i]] = n / m + (i < n % m ? 1 : 0);
    // Owners over their quota give up their highest shards.
    for (uint32_t s = n; s-- > 0;) {
      auto& x = next[s];
      if (!x.empty() && held[x] > quota[x]) {
        --held[x];
        x.clear();
      }
    }
    // Free shards, lowest first, go to members under quota, in order.
    size_t i = 0;
    for (uint32_t s = 0; s < n; ++s) {
      if (!next[s].empty())
        continue;
      while (held[order[i]] >= quota[order[i]])
        ++i;
      next[s] = order[i];
      ++held[order[i]];
    }
  }
  std::vector<uint32_t> moved;
  for (uint32_t s = 0; s < n; ++s) {
    if (next[s] != owners_[s]) {
      owners_[s] = std::move(next[s]);
      ++epochs_[s];
      moved.push_back(s);
    }
  }
  version_ += moved.size();
  return moved;
}

std::map<std::string, uint32_t> shard_map::counts() const {
  std::map<std::string, uint32_t> result;
  for (auto& x : owners_)
    if (!x.empty())
      ++result[x];
  return result;
}

std::vector<uint32_t> shard_map::shards_of(std::string_view node) const {
  std::vector<uint32_t> result;
  for (uint32_t s = 0; s < owners_.size(); ++s)
    if (owners_[s] == node)
      result.push_back(s);
  return result;
}

shard_moves moves_of(std::string_view node,
                     const std::vector<shard_slot>& before,
                     const std::vector<shard_slot>& after) {
  shard_moves result;
  auto n = std::max(before.size(), after.size());
  for (size_t s = 0; s < n; ++s) {
    bool had = s < before.size() && before[s].owner == node;
    bool has = s < after.size() && after[s].owner == node;
    bool same = had && has && before[s].epoch == after[s].epoch;
    if (same)
      continue;
    if (had)
      result.lost.push_back(static_cast<uint32_t>(s));
    if (has)
      result.gained.push_back(static_cast<uint32_t>(s));
  }
  return result;
}

} // namespace retrain::core
