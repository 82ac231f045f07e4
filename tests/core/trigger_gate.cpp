#define CAF_SUITE trigger_gate
#include <caf/test/unit_test.hpp>

#include "retrain/core/trigger_gate.hpp"

using namespace retrain::core;
using namespace std::chrono_literals;

CAF_TEST(cooldown closes the gate after a trigger) {
  trigger_gate gate{10s};
  trigger_gate::time_point t0{};
  CAF_CHECK(gate.open(t0));
  gate.fired(t0);
  gate.line_busy(false); // the job finished at once
  CAF_CHECK(!gate.open(t0 + 9s));
  CAF_CHECK_EQUAL(gate.cooldown_left(t0 + 9s), trigger_gate::duration{1s});
  CAF_CHECK(gate.open(t0 + 10s));
}

CAF_TEST(an active job closes the gate beyond the cooldown) {
  trigger_gate gate{1s};
  trigger_gate::time_point t0{};
  gate.fired(t0);
  CAF_CHECK(!gate.open(t0 + 1h)); // still busy: the job runs
  gate.line_busy(false);
  CAF_CHECK(gate.open(t0 + 1h));
  gate.line_busy(true); // another monitor's trigger made a job
  CAF_CHECK(!gate.open(t0 + 2h));
}

CAF_TEST(zero cooldown only waits for the job) {
  trigger_gate gate;
  trigger_gate::time_point t0{};
  gate.fired(t0);
  CAF_CHECK(!gate.open(t0));
  gate.line_busy(false);
  CAF_CHECK(gate.open(t0));
}
