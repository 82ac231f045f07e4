#define CAF_SUITE string_pool
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/core/string_pool.hpp"

using namespace retrain::core;

CAF_TEST(the same string gets the same number and reads back) {
  struct row {
    std::string text;
    uint32_t id;
  };
  // In order: a repeat keeps its first number; the empty string is one too.
  std::vector<row> rows{
    {"ewma_threshold", 0},
    {"ewma_threshold alpha=0.2 direction=below threshold=0.92", 1},
    {"ewma_threshold", 0},
    {"", 2},
    {"ddm", 3},
    {"ewma_threshold alpha=0.2 direction=below threshold=0.92", 1},
    {"", 2},
  };
  string_pool pool;
  for (auto& x : rows) {
    CAF_CHECK_EQUAL(pool.intern(x.text), x.id);
    auto back = pool.find(x.id);
    CAF_REQUIRE(back.has_value());
    CAF_CHECK_EQUAL(std::string{*back}, x.text);
  }
  CAF_CHECK_EQUAL(pool.size(), 4u);
}

CAF_TEST(a number never given finds nothing) {
  string_pool pool;
  CAF_CHECK(!pool.find(0).has_value());
  pool.intern("ddm");
  CAF_CHECK(pool.find(0).has_value());
  CAF_CHECK(!pool.find(1).has_value());
  CAF_CHECK(!pool.find(UINT32_MAX).has_value());
}

CAF_TEST(strings read back stay valid as the pool grows) {
  string_pool pool;
  std::string first = "ddm";
  auto id = pool.intern(first);
  auto view = *pool.find(id);
  for (int i = 0; i < 10'000; ++i)
    pool.intern("spec-" + std::to_string(i));
  CAF_CHECK_EQUAL(std::string{view}, first);
  CAF_CHECK_EQUAL(pool.intern(first), id);
}
