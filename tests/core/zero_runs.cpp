#define CAF_SUITE zero_runs
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/core/zero_runs.hpp"

using namespace retrain::core;

namespace {

std::vector<char> bytes(std::initializer_list<int> xs) {
  std::vector<char> result;
  for (auto x : xs)
    result.push_back(static_cast<char>(x));
  return result;
}

} // namespace

CAF_TEST(runs of zeros shrink and everything reads back) {
  struct row {
    std::vector<char> plain;
    std::vector<char> packed;
  };
  std::vector<row> rows{
    {{}, {}},
    {bytes({1, 2, 3}), bytes({1, 2, 3})},
    {bytes({0}), bytes({0, 1})},
    {bytes({0, 0, 0, 0, 0, 0, 0, 1}), bytes({0, 7, 1})},
    {bytes({5, 0, 0, 6, 0}), bytes({5, 0, 2, 6, 0, 1})},
    {bytes({-1, 0, -128}), bytes({-1, 0, 1, -128})},
    // 300 zeros: a full run of 255, then one of 45.
    {std::vector<char>(300, 0), bytes({0, -1, 0, 45})},
    {std::vector<char>(255, 0), bytes({0, -1})},
  };
  for (auto& x : rows) {
    auto packed = pack_zero_runs(x.plain);
    CAF_CHECK_EQUAL(packed, x.packed);
    CAF_CHECK_EQUAL(packed.capacity(), packed.size());
    auto back = unpack_zero_runs(packed);
    CAF_REQUIRE(back.has_value());
    CAF_CHECK_EQUAL(*back, x.plain);
  }
}

CAF_TEST(what pack_zero_runs cannot have written is refused) {
  // A zero without a length, and a run of no zeros.
  CAF_CHECK(!unpack_zero_runs(bytes({0})).has_value());
  CAF_CHECK(!unpack_zero_runs(bytes({1, 0})).has_value());
  CAF_CHECK(!unpack_zero_runs(bytes({0, 0})).has_value());
  CAF_CHECK(!unpack_zero_runs(bytes({7, 0, 0, 1})).has_value());
}

CAF_TEST(a snapshot like record of counters shrinks by more than a third) {
  // Eight uint64 counters, all small, as a binary serializer writes them.
  std::vector<char> record;
  for (int i = 0; i < 8; ++i) {
    record.insert(record.end(), 7, 0);
    record.push_back(static_cast<char>(i + 1));
  }
  auto packed = pack_zero_runs(record);
  CAF_CHECK_LESS(packed.size() * 3, record.size() * 2);
  auto back = unpack_zero_runs(packed);
  CAF_REQUIRE(back.has_value());
  CAF_CHECK_EQUAL(*back, record);
}
