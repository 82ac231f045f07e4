#include "retrain/core/slot_index.hpp"

#include <functional>
#include <utility>

namespace retrain::core {

void slot_index::place(bucket b) {
  auto i = b.hash & mask();
  while (buckets_[i].slot != npos)
    i = (i + 1) & mask();
  buckets_[i] = b;
}

void slot_index::grow() {
  std::vector<bucket> old(buckets_.empty() ? 16 : buckets_.size() * 2);
  old.swap(buckets_);
  for (auto& b : old)
    if (b.slot != npos)
      place(b);
}

void slot_index::insert(uint64_t hash, uint32_t slot) {
  if ((size_ + 1) * 2 > buckets_.size())
    grow();
  place(bucket{slot, static_cast<uint32_t>(hash)});
  ++size_;
}

bool slot_index::erase(uint64_t hash, uint32_t slot) {
  if (size_ == 0)
    return false;
  auto h = static_cast<uint32_t>(hash);
  auto i = h & mask();
  while (buckets_[i].slot != slot) {
    if (buckets_[i].slot == npos)
      return false;
    i = (i + 1) & mask();
  }
  // Backward shift: move up every later entry of the probe run that may
  // live at the hole, so that no lookup stops early.
  auto hole = i;
  for (auto j = (i + 1) & mask(); buckets_[j].slot != npos;
       j = (j + 1) & mask()) {
    auto home = buckets_[j].hash & mask();
    // Whether `home` lies cyclically outside (hole, j].
    bool movable = hole <= j ? (home <= hole || home > j)
                             : (home <= hole && home > j);
    if (movable) {
      buckets_[hole] = buckets_[j];
      hole = j;
    }
  }
  buckets_[hole] = bucket{};
  --size_;
  return true;
}

bool hash_set::contains(uint64_t hash) const noexcept {
  if (size_ == 0)
    return false;
  auto h = stored(hash);
  auto mask = buckets_.size() - 1;
  for (auto i = h & mask; buckets_[i] != 0; i = (i + 1) & mask)
    if (buckets_[i] == h)
      return true;
  return false;
}

void hash_set::place(uint64_t stored_hash) {
  auto mask = buckets_.size() - 1;
  auto i = stored_hash & mask;
  while (buckets_[i] != 0)
    i = (i + 1) & mask;
  buckets_[i] = stored_hash;
}

void hash_set::insert(uint64_t hash) {
  if (contains(hash))
    return;
  if ((size_ + 1) * 2 > buckets_.size()) {
    std::vector<uint64_t> old(buckets_.empty() ? 16 : buckets_.size() * 2);
    old.swap(buckets_);
    for (auto h : old)
      if (h != 0)
        place(h);
  }
  place(stored(hash));
  ++size_;
}

uint64_t hash_key(std::string_view key) noexcept {
  return std::hash<std::string_view>{}(key);
}

uint64_t hash_key(uint64_t key) noexcept {
  // splitmix64's finalizer.
  key ^= key >> 30;
  key *= 0xbf58476d1ce4e5b9ULL;
  key ^= key >> 27;
  key *= 0x94d049bb133111ebULL;
  key ^= key >> 31;
  return key;
}

} // namespace retrain::core
