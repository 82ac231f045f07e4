#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace retrain::core {

/// A hash index over positions ("slots") of a table its owner keeps, e.g. a
/// `std::deque` of per-model records: 8 bytes per bucket and no allocation
/// per entry, where a `std::unordered_map<std::string, T>` costs a node, a
/// copy of the key and a bucket pointer per entry.
///
/// The index stores each slot with the low 32 bits of its key's hash; a
/// lookup compares keys (through the caller's `eq`) only when those match.
/// Open addressing with linear probing, load at most 1/2, backward-shift
/// erase.
class slot_index {
public:
  static constexpr uint32_t npos = UINT32_MAX;

  /// The slot whose key has `hash` and satisfies `eq(slot)`, or `npos`.
  template <class Eq>
  uint32_t find(uint64_t hash, Eq&& eq) const {
    if (size_ == 0)
      return npos;
    auto h = static_cast<uint32_t>(hash);
    for (auto i = h & mask(); buckets_[i].slot != npos; i = (i + 1) & mask())
      if (buckets_[i].hash == h && eq(buckets_[i].slot))
        return buckets_[i].slot;
    return npos;
  }

  /// Adds `slot` under `hash`; the caller makes sure its key is not there.
  void insert(uint64_t hash, uint32_t slot);

  /// Removes `slot`, stored under `hash`; returns whether it was there.
  bool erase(uint64_t hash, uint32_t slot);

  std::size_t size() const noexcept {
    return size_;
  }

  /// Bytes allocated.
  std::size_t memory() const noexcept {
    return buckets_.capacity() * sizeof(bucket);
  }

private:
  struct bucket {
    uint32_t slot = npos;
    uint32_t hash = 0;
  };

  uint32_t mask() const noexcept {
    return static_cast<uint32_t>(buckets_.size() - 1);
  }

  void place(bucket b);

  void grow();

  std::vector<bucket> buckets_;
  std::size_t size_ = 0;
};

/// A set of 64-bit hashes, 16 bytes per entry: remembers keys already
/// checked where a false positive is caught later anyway.
class hash_set {
public:
  /// Whether `hash` is in the set.
  bool contains(uint64_t hash) const noexcept;

  /// Adds `hash`.
  void insert(uint64_t hash);

  std::size_t size() const noexcept {
    return size_;
  }

private:
  static uint64_t stored(uint64_t hash) noexcept {
    return hash == 0 ? 1 : hash; // 0 marks an empty bucket
  }

  void place(uint64_t stored_hash);

  std::vector<uint64_t> buckets_;
  std::size_t size_ = 0;
};

/// Hash of a string key for `slot_index`.
uint64_t hash_key(std::string_view key) noexcept;

/// Hash of an integer key for `slot_index` (a full avalanche, so sequential
/// ids spread over the buckets).
uint64_t hash_key(uint64_t key) noexcept;

} // namespace retrain::core
