#define CAF_SUITE slot_index
#include <caf/test/unit_test.hpp>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "retrain/core/slot_index.hpp"

using namespace retrain::core;

namespace {

// The owner's table: keys by slot.
struct table {
  std::vector<std::string> keys;
  slot_index index;

  uint32_t find(const std::string& key) const {
    return index.find(hash_key(key),
                      [&](uint32_t slot) { return keys[slot] == key; });
  }

  uint32_t add(std::string key) {
    auto slot = static_cast<uint32_t>(keys.size());
    index.insert(hash_key(key), slot);
    keys.push_back(std::move(key));
    return slot;
  }
};

} // namespace

CAF_TEST(finds every key it holds and none it does not) {
  table t;
  CAF_CHECK_EQUAL(t.find("cv:a:1.0.0"), slot_index::npos);
  for (int i = 0; i < 10'000; ++i)
    t.add("cv:model-" + std::to_string(i) + ":1.0.0");
  CAF_CHECK_EQUAL(t.index.size(), 10'000u);
  for (uint32_t i = 0; i < 10'000; ++i)
    CAF_REQUIRE_EQUAL(t.find(t.keys[i]), i);
  CAF_CHECK_EQUAL(t.find("cv:model-10000:1.0.0"), slot_index::npos);
  // Load stays at most 1/2: 8 bytes per bucket, at most 32 per entry.
  CAF_CHECK_LESS_OR_EQUAL(t.index.memory(), 32u * 10'000u);
}

CAF_TEST(colliding hashes are told apart by the keys) {
  std::vector<int> keys{1, 2, 3, 4};
  slot_index index;
  for (uint32_t i = 0; i < keys.size(); ++i)
    index.insert(42, i); // all in one probe run
  for (uint32_t i = 0; i < keys.size(); ++i)
    CAF_CHECK_EQUAL(index.find(42, [&](uint32_t s) { return keys[s] == keys[i]; }),
                    i);
  CAF_CHECK(index.erase(42, 1));
  CAF_CHECK(!index.erase(42, 1));
  CAF_CHECK_EQUAL(index.find(42, [](uint32_t s) { return s == 1; }),
                  slot_index::npos);
  CAF_CHECK_EQUAL(index.find(42, [](uint32_t s) { return s == 3; }), 3u);
}

CAF_TEST(erase keeps every other entry reachable) {
  // Random inserts and erases of integer keys, checked against
  // std::unordered_map after every step; small tables wrap around often.
  std::mt19937_64 rng{7};
  std::vector<uint64_t> key_of; // by slot
  std::unordered_map<uint64_t, uint32_t> model;
  slot_index index;
  auto find = [&](uint64_t key) {
    return index.find(hash_key(key),
                      [&](uint32_t s) { return key_of[s] == key; });
  };
  for (int step = 0; step < 20'000; ++step) {
    auto key = rng() % 300;
    if (auto i = model.find(key); i != model.end()) {
      CAF_REQUIRE(index.erase(hash_key(key), i->second));
      model.erase(i);
    } else {
      auto slot = static_cast<uint32_t>(key_of.size());
      key_of.push_back(key);
      index.insert(hash_key(key), slot);
      model.emplace(key, slot);
    }
    if (step % 97 == 0) {
      for (uint64_t k = 0; k < 300; ++k) {
        auto i = model.find(k);
        CAF_REQUIRE_EQUAL(find(k), i == model.end() ? slot_index::npos
                                                    : i->second);
      }
    }
  }
  CAF_CHECK_EQUAL(index.size(), model.size());
}

CAF_TEST(a hash set holds what was inserted) {
  hash_set set;
  CAF_CHECK(!set.contains(0));
  for (uint64_t i = 0; i < 5000; ++i)
    set.insert(hash_key(i * 2));
  set.insert(hash_key(uint64_t{0})); // again
  CAF_CHECK_EQUAL(set.size(), 5000u);
  for (uint64_t i = 0; i < 5000; ++i) {
    CAF_REQUIRE(set.contains(hash_key(i * 2)));
    CAF_REQUIRE(!set.contains(hash_key(i * 2 + 1)));
  }
  set.insert(0); // the value that marks empty buckets works too
  CAF_CHECK(set.contains(0));
}
