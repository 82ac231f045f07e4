#define CAF_SUITE shard_map
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/core/shard_map.hpp"

using namespace retrain::core;

namespace {

// Shards whose owner differs between `a` and `b`.
size_t differing(const shard_map& a, const shard_map& b) {
  size_t n = 0;
  for (uint32_t s = 0; s < a.shards(); ++s)
    n += a.owner(s) != b.owner(s) ? 1 : 0;
  return n;
}

// Whether the counts of the members differ by at most one and every shard
// has an owner among them.
bool even(const shard_map& m, size_t members) {
  auto c = m.counts();
  if (c.size() != members)
    return false;
  uint32_t lo = UINT32_MAX, hi = 0, sum = 0;
  for (auto& [node, n] : c) {
    lo = std::min(lo, n);
    hi = std::max(hi, n);
    sum += n;
  }
  return hi - lo <= 1 && sum == m.shards();
}

} // namespace

CAF_TEST(the hash is FNV - 1a 64 and never changes) {
  // Published test vectors of FNV-1a 64.
  struct row {
    const char* text;
    uint64_t hash;
  };
  for (auto [text, hash] : std::vector<row>{{"", 0xcbf29ce484222325ULL},
                                            {"a", 0xaf63dc4c8601ec8cULL},
                                            {"foobar", 0x85944171f73967e8ULL}})
    CAF_CHECK_EQUAL(fnv1a64(text), hash);
  // Shards stored by earlier releases: these must stay where they are.
  struct placed {
    const char* line;
    uint32_t shard;
  };
  for (auto [line, shard] : std::vector<placed>{
         {"cv:anomaly_detector", 38}, {"fraud:scorer", 1}, {"", 37}})
    CAF_CHECK_EQUAL(shard_of_line(line, 256), shard);
  CAF_CHECK_EQUAL(shard_of_line("foobar", 256), 0xe8u);
  CAF_CHECK_EQUAL(shard_of_line("a", 7), 0xaf63dc4c8601ec8cULL % 7);
}

CAF_TEST(every version of a line lands in one shard) {
  for (auto shards : {1u, 7u, 256u, 4096u}) {
    auto s = shard_of_line("cv:anomaly_detector", shards);
    CAF_CHECK_EQUAL(shard_of_model("cv:anomaly_detector:1.2.0", shards), s);
    CAF_CHECK_EQUAL(shard_of_model("cv:anomaly_detector:10.0.1", shards), s);
    CAF_CHECK_LESS(s, shards);
  }
}

CAF_TEST(lines spread over the shards) {
  std::vector<uint32_t> hits(256);
  for (int i = 0; i < 25600; ++i)
    ++hits[shard_of_line("project:model_" + std::to_string(i), 256)];
  for (auto h : hits) {
    CAF_CHECK_GREATER(h, 50u);
    CAF_CHECK_LESS(h, 170u);
  }
}

CAF_TEST(one member owns every shard) {
  shard_map m{256};
  CAF_CHECK_EQUAL(m.owner(0), "");
  CAF_CHECK_EQUAL(m.epoch(0), 0u);
  auto moved = m.rebalance({"a"});
  CAF_CHECK_EQUAL(moved.size(), 256u);
  CAF_CHECK_EQUAL(m.shards_of("a").size(), 256u);
  CAF_CHECK_EQUAL(m.epoch(17), 1u);
  CAF_CHECK_EQUAL(m.version(), 256u);
  // Nothing changes: nothing moves, no epoch or version grows.
  CAF_CHECK(m.rebalance({"a", "a"}).empty());
  CAF_CHECK_EQUAL(m.epoch(17), 1u);
  CAF_CHECK_EQUAL(m.version(), 256u);
}

CAF_TEST(joins and leaves move as few shards as an even spread allows) {
  // members before -> members after, shards moved (the least any even
  // spread needs).
  struct row {
    uint32_t shards;
    std::vector<std::string> before;
    std::vector<std::string> after;
    size_t moved;
  };
  std::vector<row> rows{
    {256, {"a"}, {"a", "b"}, 128},
    {256, {"a", "b"}, {"a", "b", "c"}, 85},
    {256, {"a", "b", "c"}, {"a", "b", "c", "d"}, 64},
    {256, {"a", "b", "c", "d"}, {"a", "b", "c"}, 64},
    {256, {"a", "b", "c"}, {"a", "c"}, 85},
    {256, {"a", "b"}, {"b"}, 128},
    {256, {"a", "b"}, {"c", "d"}, 256},
    {256, {"a", "b", "c"}, {"b", "c", "a"}, 0},
    {256, {"a"}, {}, 256},
    {3, {"a", "b"}, {"a", "b", "c", "d", "e"}, 1},
    {1, {"a"}, {"a", "b"}, 0},
    {10, {"a", "b", "c"}, {"a", "b", "c", "d"}, 2},
    // The larger quotas go to the members holding most, whatever their
    // names: b keeps 3 and c 2 of their 4 and 3, a new a gets 2.
    {7, {"b", "c"}, {"a", "b", "c"}, 2},
  };
  for (auto& r : rows) {
    shard_map m{r.shards};
    m.rebalance(r.before);
    auto before = m;
    auto moved = m.rebalance(r.after);
    CAF_MESSAGE(r.before.size() << " -> " << r.after.size() << " members");
    CAF_CHECK_EQUAL(moved.size(), r.moved);
    CAF_CHECK_EQUAL(differing(before, m), r.moved);
    auto members = std::min<size_t>(r.after.size(), r.shards);
    if (!r.after.empty())
      CAF_CHECK(even(m, members));
    // Exactly the shards that moved are in a new epoch.
    for (uint32_t s = 0; s < m.shards(); ++s) {
      bool did_move = before.owner(s) != m.owner(s);
      CAF_CHECK_EQUAL(m.epoch(s), before.epoch(s) + (did_move ? 1 : 0));
    }
  }
}

CAF_TEST(the same members in any order give the same map) {
  shard_map a{256}, b{256};
  a.rebalance({"n1", "n2", "n3"});
  b.rebalance({"n3", "n1", "n2"});
  CAF_CHECK_EQUAL(differing(a, b), 0u);
  a.rebalance({"n1", "n2", "n3", "n4"});
  b.rebalance({"n4", "n2", "n3", "n1"});
  CAF_CHECK_EQUAL(differing(a, b), 0u);
}

CAF_TEST(a restored map rebalances like the one it was stored from) {
  shard_map m{16};
  m.rebalance({"a", "b", "c"});
  shard_map r{16};
  for (uint32_t s = 0; s < 16; ++s)
    r.restore(s, m.owner(s), m.epoch(s));
  CAF_CHECK_EQUAL(differing(m, r), 0u);
  CAF_CHECK_EQUAL(m.rebalance({"a", "c"}), r.rebalance({"a", "c"}));
  CAF_CHECK_EQUAL(m.version(), r.version());
  for (uint32_t s = 0; s < 16; ++s)
    CAF_CHECK_EQUAL(m.epoch(s), r.epoch(s));
}

CAF_TEST(a node that leaves and comes back gets new epochs) {
  shard_map m{8};
  m.rebalance({"a", "b"});
  auto of_b = m.shards_of("b");
  auto e = m.epoch(of_b.front());
  m.rebalance({"a"});
  m.rebalance({"a", "b"});
  // Whatever b owns again, it owns in an epoch its earlier tenure never
  // had, so a message from that tenure is stale.
  for (auto s : m.shards_of("b"))
    CAF_CHECK_GREATER(m.epoch(s), e);
}

CAF_TEST(a node restores the shards it gains and forgets those it loses) {
  using slots = std::vector<shard_slot>;
  struct row {
    const char* what;
    slots before;
    slots after;
    std::vector<uint32_t> gained;
    std::vector<uint32_t> lost;
  };
  std::vector<row> rows{
    {"first map", {}, {{"a", 1}, {"b", 1}, {"a", 1}}, {0, 2}, {}},
    {"unchanged", {{"a", 1}, {"b", 1}}, {{"a", 1}, {"b", 1}}, {}, {}},
    {"gives one away", {{"a", 1}, {"a", 1}}, {{"a", 1}, {"b", 2}}, {}, {1}},
    {"takes one over", {{"b", 1}, {"a", 1}}, {{"a", 2}, {"a", 1}}, {0}, {}},
    {"back in a later epoch", {{"a", 1}}, {{"a", 3}}, {0}, {0}},
    {"to no owner", {{"a", 4}, {"b", 1}}, {{"", 5}, {"b", 1}}, {}, {0}},
    {"others move", {{"b", 1}, {"c", 1}}, {{"c", 2}, {"b", 2}}, {}, {}},
    {"fewer shards", {{"a", 1}, {"a", 1}}, {{"a", 1}}, {}, {1}},
  };
  for (auto& x : rows) {
    CAF_MESSAGE(x.what);
    auto moves = moves_of("a", x.before, x.after);
    CAF_CHECK_EQUAL(moves.gained, x.gained);
    CAF_CHECK_EQUAL(moves.lost, x.lost);
  }
}

CAF_TEST(snapshots of an epoch before the shards are refused) {
  shard_map m{4};
  m.restore(1, "a", 3);
  struct row {
    uint32_t shard;
    uint64_t epoch;
    bool accepted;
  };
  for (auto x : std::vector<row>{{1, 3, true},
                                 {1, 4, true},
                                 {1, 2, false},
                                 {1, 0, false},
                                 {0, 0, true},
                                 {4, 9, false}}) {
    CAF_MESSAGE("shard " << x.shard << " epoch " << x.epoch);
    CAF_CHECK_EQUAL(m.accepts_snapshot(x.shard, x.epoch), x.accepted);
  }
}
