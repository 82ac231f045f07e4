#define CAF_SUITE snapshot_sweep
#include <caf/test/unit_test.hpp>

#include <vector>

#include "retrain/snapshot_sweep.hpp"

using namespace retrain;

namespace {

using next = snapshot_sweep::next;

struct fixture {
  snapshot_sweep sweep;
  std::vector<uint32_t> asked;

  next step() {
    return sweep.step([this](uint32_t slot) { asked.push_back(slot); });
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(snapshot_sweep_tests, fixture)

CAF_TEST(the first change starts the timer and the sweep asks each once) {
  CAF_CHECK(!sweep.scheduled());
  CAF_CHECK(sweep.mark(5));
  CAF_CHECK(!sweep.mark(2));
  CAF_CHECK(!sweep.mark(5)); // marked already
  CAF_CHECK(sweep.scheduled());
  CAF_CHECK_EQUAL(step(), next::idle);
  CAF_CHECK_EQUAL(asked, (std::vector<uint32_t>{5, 2}));
  CAF_CHECK(!sweep.scheduled());
  // Nothing changed: the next sweep asks nobody.
  CAF_CHECK_EQUAL(step(), next::idle);
  CAF_CHECK_EQUAL(asked.size(), 2u);
}

CAF_TEST(a monitor changed during a sweep waits for the next) {
  sweep.mark(1);
  step();
  CAF_CHECK(sweep.mark(1)); // a new timer: nothing is scheduled
  asked.clear();
  CAF_CHECK_EQUAL(step(), next::idle);
  CAF_CHECK_EQUAL(asked, (std::vector<uint32_t>{1}));
}

CAF_TEST(a long sweep goes a chunk at a time) {
  auto n = static_cast<uint32_t>(2 * snapshot_sweep::chunk + 10);
  for (uint32_t slot = 0; slot < n; ++slot)
    sweep.mark(slot);
  CAF_CHECK_EQUAL(step(), next::step);
  CAF_CHECK_EQUAL(asked.size(), snapshot_sweep::chunk);
  // Changes meanwhile: not part of this sweep, and no second timer.
  CAF_CHECK(!sweep.mark(3));
  CAF_CHECK(!sweep.mark(n + 7));
  CAF_CHECK_EQUAL(step(), next::step);
  CAF_CHECK_EQUAL(step(), next::timer);
  CAF_CHECK_EQUAL(asked.size(), n);
  CAF_CHECK(sweep.scheduled());
  asked.clear();
  CAF_CHECK_EQUAL(step(), next::idle);
  CAF_CHECK_EQUAL(asked, (std::vector<uint32_t>{3, n + 7}));
}

CAF_TEST_FIXTURE_SCOPE_END()
