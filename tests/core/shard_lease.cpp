#define CAF_SUITE shard_lease
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/core/shard_lease.hpp"

using namespace retrain::core;
using namespace std::chrono_literals;

namespace {

using tp = shard_lease::time_point;

tp at(std::chrono::milliseconds ms) {
  return tp{std::chrono::seconds{1000}} + ms;
}

} // namespace

CAF_TEST(
  a node stops applying before the coordinator may give its shards away) {
  struct row {
    std::chrono::milliseconds timeout;
    std::chrono::milliseconds term;
    std::chrono::milliseconds renew;
    std::chrono::milliseconds margin;
  };
  std::vector<row> rows{
    {3000ms, 1500ms, 375ms, 1500ms},
    {1000ms, 500ms, 125ms, 500ms},
    {10000ms, 5000ms, 1250ms, 5000ms},
    {200ms, 100ms, 25ms, 100ms},
  };
  for (auto& x : rows) {
    CAF_MESSAGE("connection timeout " << x.timeout.count() << " ms");
    shard_lease_timing t{x.timeout};
    CAF_CHECK_EQUAL(t.term().count(), x.term.count());
    CAF_CHECK_EQUAL(t.renew_interval().count(), x.renew.count());
    CAF_CHECK_EQUAL(t.margin().count(), x.margin.count());
    CAF_CHECK_EQUAL(t.settle().count(), x.term.count());
    // Three renewals may fail before the node stops, and it stops strictly
    // before the coordinator may reassign.
    CAF_CHECK_GREATER_OR_EQUAL(t.term().count(),
                               4 * t.renew_interval().count());
    CAF_CHECK_LESS(t.term().count(), t.timeout.count());
    // The renewal the coordinator heard last was sent at `sent`; it heard
    // it at `sent` or later, so it reassigns at `sent + timeout` at the
    // earliest; the node is done strictly before.
    shard_lease lease{t};
    lease.renewed(at(0ms), 1);
    CAF_CHECK(lease.holds(at(x.term - 1ms), 1));
    CAF_CHECK(!lease.holds(at(x.term), 1));
    CAF_CHECK(!lease.holds(at(x.timeout), 1));
    CAF_CHECK(lease.deadline() == at(x.term));
  }
}

CAF_TEST(
  the lease holds between renewal and term under a map as new as the renewal) {
  struct row {
    const char* what;
    std::vector<std::pair<std::chrono::milliseconds, uint64_t>> renewals;
    bool revoked;
    std::chrono::milliseconds now;
    uint64_t map_version;
    bool holds;
  };
  // Connection timeout 3 s: term 1.5 s.
  std::vector<row> rows{
    {"never renewed", {}, false, 0ms, 0, false},
    {"fresh", {{0ms, 4}}, false, 10ms, 4, true},
    {"last moment", {{0ms, 4}}, false, 1499ms, 4, true},
    {"expired", {{0ms, 4}}, false, 1500ms, 4, false},
    {"stopped long (SIGSTOP)", {{0ms, 4}}, false, 9000ms, 4, false},
    {"map older than the renewal", {{0ms, 5}}, false, 10ms, 4, false},
    {"map newer than the renewal", {{0ms, 5}}, false, 10ms, 6, true},
    {"renewed again", {{0ms, 4}, {1000ms, 4}}, false, 2000ms, 4, true},
    {"late answer to an older renewal",
     {{1000ms, 4}, {0ms, 4}},
     false,
     2000ms,
     4,
     true},
    {"revoked (link lost)", {{0ms, 4}}, true, 10ms, 4, false},
  };
  for (auto& x : rows) {
    CAF_MESSAGE(x.what);
    shard_lease lease{shard_lease_timing{3000ms}};
    for (auto& [sent, version] : x.renewals)
      lease.renewed(at(sent), version);
    if (x.revoked)
      lease.revoke();
    CAF_CHECK_EQUAL(lease.holds(at(x.now), x.map_version), x.holds);
  }
  shard_lease free{shard_lease_timing{3000ms}, false};
  CAF_CHECK(free.holds(at(1h), 0));
  CAF_CHECK(free.deadline() == tp::max());
  // Without a coordinator nothing settles either.
  free.take_map({true, true}, {1, 1}, {}, false, at(0ms));
  CAF_CHECK_EQUAL(to_string(free.access(0, 0, at(0ms))), "apply");
  shard_lease local{shard_lease_timing{3000ms}};
  local.hold_forever();
  CAF_CHECK(local.holds(at(1h), 0));
  local.revoke();
  CAF_CHECK(!local.holds(at(0ms), 0));
}

CAF_TEST(a gained shard settles for a term unless nobody owned it before) {
  shard_lease_timing t{3000ms};
  struct row {
    const char* what;
    bool had_map;
    std::vector<bool> mine_before;
    std::vector<uint64_t> epochs_before;
    std::vector<bool> mine;
    std::vector<uint64_t> epochs;
    std::vector<bool> unowned_before;
    bool alone;
    // Access to shards 0..2 at 10 ms and at 1,600 ms after the map.
    std::vector<shard_access> early;
    std::vector<shard_access> later;
  };
  using a = shard_access;
  std::vector<row> rows{
    {"first map, alone: nothing to wait for",
     false,
     {},
     {},
     {true, true, true},
     {1, 1, 1},
     {},
     true,
     {a::apply, a::apply, a::apply},
     {a::apply, a::apply, a::apply}},
    {"first map among others: every shard settles",
     false,
     {},
     {},
     {true, false, true},
     {2, 1, 3},
     {},
     false,
     {a::settling, a::elsewhere, a::settling},
     {a::apply, a::elsewhere, a::apply}},
    {"same owner, same epoch: no pause",
     true,
     {true, false, true},
     {1, 1, 1},
     {true, false, true},
     {1, 2, 1},
     {false, false, false},
     false,
     {a::apply, a::elsewhere, a::apply},
     {a::apply, a::elsewhere, a::apply}},
    {"taken over from another node: settles",
     true,
     {true, false, false},
     {1, 1, 1},
     {true, true, false},
     {1, 2, 1},
     {false, false, false},
     false,
     {a::apply, a::settling, a::elsewhere},
     {a::apply, a::apply, a::elsewhere}},
    {"taken when nobody had it: at once",
     true,
     {true, false, false},
     {1, 1, 1},
     {true, true, false},
     {1, 2, 1},
     {false, true, false},
     false,
     {a::apply, a::apply, a::elsewhere},
     {a::apply, a::apply, a::elsewhere}},
    {"back at a new epoch (lost and rejoined): settles",
     true,
     {true, true, true},
     {1, 1, 1},
     {true, true, true},
     {3, 3, 1},
     {false, false, false},
     false,
     {a::settling, a::settling, a::apply},
     {a::apply, a::apply, a::apply}},
  };
  for (auto& x : rows) {
    CAF_MESSAGE(x.what);
    shard_lease lease{t};
    lease.renewed(at(0ms), 1);
    if (x.had_map)
      lease.take_map(x.mine_before, x.epochs_before, {}, true, at(-5000ms));
    lease.take_map(x.mine, x.epochs, x.unowned_before, x.alone, at(0ms));
    // Renewed so that only settling decides at the later time.
    lease.renewed(at(1000ms), 1);
    for (uint32_t s = 0; s < 3; ++s) {
      CAF_CHECK_EQUAL(to_string(lease.access(s, 1, at(10ms))),
                      to_string(x.early[s]));
      CAF_CHECK_EQUAL(to_string(lease.access(s, 1, at(1600ms))),
                      to_string(x.later[s]));
    }
  }
}

CAF_TEST(the only monitor node goes on applying without the lease) {
  shard_lease lease{shard_lease_timing{3000ms}};
  lease.take_map({true, true}, {1, 1}, {}, true, at(0ms));
  CAF_CHECK(lease.alone());
  CAF_CHECK_EQUAL(to_string(lease.access(0, 1, at(9000ms))), "apply");
  CAF_CHECK(lease.deadline() == tp::max());
  // A second member joins: the lease decides again.
  lease.take_map({true, false}, {1, 2}, {false, false}, false, at(0ms));
  CAF_CHECK(!lease.alone());
  CAF_CHECK_EQUAL(to_string(lease.access(0, 1, at(9000ms))), "no_lease");
  CAF_CHECK(lease.deadline() == tp::min());
}

CAF_TEST(without the lease an owned shard waits and others still go elsewhere) {
  shard_lease lease{shard_lease_timing{3000ms}};
  lease.take_map({true, false}, {1, 1}, {}, false, at(-5000ms));
  CAF_CHECK_EQUAL(to_string(lease.access(0, 1, at(0ms))), "no_lease");
  CAF_CHECK_EQUAL(to_string(lease.access(1, 1, at(0ms))), "elsewhere");
  CAF_CHECK_EQUAL(to_string(lease.access(7, 1, at(0ms))), "elsewhere");
  lease.renewed(at(0ms), 1);
  CAF_CHECK_EQUAL(to_string(lease.access(0, 1, at(0ms))), "apply");
  CAF_CHECK_EQUAL(to_string(lease.access(0, 0, at(0ms))), "no_lease");
  CAF_CHECK_EQUAL(to_string(lease.access(0, 1, at(1500ms))), "no_lease");
}
