#define CAF_SUITE flush_window
#include <caf/test/unit_test.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "retrain/core/flush_window.hpp"

using namespace retrain::core;
using namespace std::chrono_literals;
using change = flush_window::change;

namespace {

// One flush: how long its oldest event waited, whether input waited for
// the owner, what the window does, the window after it, how long the
// monitors took to apply an earlier flush, and what this flush carried.
struct step {
  flush_window::duration waited;
  bool input_waiting;
  change expected;
  flush_window::duration after;
  flush_window::duration drain = flush_window::duration::zero();
  flush_load load = {};
};

struct scenario {
  std::string name;
  flush_window::duration min;
  flush_window::duration max;
  std::vector<step> steps;
};

} // namespace

CAF_TEST(the window follows the lateness of its flushes) {
  std::vector<scenario> cases{
    {"on time: stays at the flush interval",
     2ms,
     250ms,
     {{2ms, true, change::none, 2ms}, {2400us, true, change::none, 2ms}}},
    {"half a window late: doubles",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms}, {6ms, true, change::grew, 8ms}}},
    {"late while growing: reaches the maximum and stays there",
     2ms,
     20ms,
     {{3ms, true, change::grew, 4ms},
      {6ms, true, change::grew, 8ms},
      {12ms, true, change::grew, 16ms},
      {24ms, true, change::grew, 20ms},
      {40ms, true, change::none, 20ms},
      {500ms, true, change::none, 20ms}}},
    {"a maximum not a power of two times the minimum is reached exactly",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms},
      {6ms, true, change::grew, 8ms},
      {12ms, true, change::grew, 16ms},
      {24ms, true, change::grew, 32ms},
      {48ms, true, change::grew, 64ms},
      {96ms, true, change::grew, 128ms},
      {192ms, true, change::grew, 250ms},
      {375ms, true, change::none, 250ms}}},
    {"keeping up again: halves back to the flush interval",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms},
      {6ms, true, change::grew, 8ms},
      {8ms, true, change::shrank, 4ms},
      {4ms, true, change::shrank, 2ms},
      {2ms, true, change::none, 2ms}}},
    {"between a quarter and half a window late: holds",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms},
      {5ms, true, change::none, 4ms},
      {5900us, true, change::none, 4ms},
      {6ms, true, change::grew, 8ms}}},
    {"a flush before the window is over changes nothing",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms},
      {1ms, true, change::none, 4ms},
      {0ms, true, change::none, 4ms},
      {3999us, true, change::none, 4ms}}},
    {"late with no input waiting (a busy machine, an idle node): shrinks",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms},
      {6ms, true, change::grew, 8ms},
      {12ms, false, change::shrank, 4ms},
      {6ms, false, change::shrank, 2ms},
      {3ms, false, change::none, 2ms},
      {50ms, false, change::none, 2ms}}},
    {"input waiting but on time: shrinks",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms}, {4500us, true, change::shrank, 2ms}}},
    {"no flush interval: never holds, never grows",
     0ms,
     250ms,
     {{0ms, true, change::none, 0ms}, {1s, true, change::none, 0ms}}},
    {"maximum equal to the minimum: fixed",
     5ms,
     5ms,
     {{50ms, true, change::none, 5ms}, {5ms, true, change::none, 5ms}}},
    {"shrinking never goes below the flush interval",
     3ms,
     250ms,
     {{5ms, true, change::grew, 6ms},
      {9ms, true, change::grew, 12ms},
      {12ms, true, change::shrank, 6ms},
      {6ms, true, change::shrank, 3ms},
      {3ms, true, change::none, 3ms}}},
    {"monitors four windows behind: doubles, though no input waits",
     2ms,
     250ms,
     {{2ms, false, change::grew, 4ms, 8ms},
      {4ms, false, change::grew, 8ms, 17ms},
      {8ms, false, change::grew, 16ms, 32ms}}},
    {"a drain between half a window and four windows: stays",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms},
      {4ms, false, change::none, 4ms, 2ms},
      {4ms, false, change::none, 4ms, 15900us},
      {4ms, false, change::shrank, 2ms, 1999us}}},
    {"monitors behind keep the window from shrinking",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms},
      {6ms, true, change::grew, 8ms},
      {8ms, false, change::none, 8ms, 4ms},
      {8ms, false, change::grew, 16ms, 32ms},
      {16ms, false, change::shrank, 8ms}}},
    {"at the maximum monitors behind change nothing",
     2ms,
     8ms,
     {{2ms, false, change::grew, 4ms, 8ms},
      {4ms, false, change::grew, 8ms, 16ms},
      {8ms, false, change::none, 8ms, 80ms}}},
    {"short runs, input waiting, monitors busy a whole window: doubles",
     2ms,
     250ms,
     {{2ms, true, change::grew, 4ms, 2ms, {3000, 1000, 3000}},
      {4ms, true, change::grew, 8ms, 4ms, {3000, 1000, 3000}},
      {8ms, true, change::none, 8ms, 7900us, {3000, 1000, 3000}}}},
    {"runs of short_run events or more: a drain of a window holds",
     2ms,
     250ms,
     {{2ms, true, change::none, 2ms, 2ms, {4000, 1000, 4000}},
      {2ms, true, change::none, 2ms, 7ms, {40000, 1000, 40000}}}},
    {"short runs with no input waiting: a drain of a window holds",
     2ms,
     250ms,
     {{2ms, false, change::none, 2ms, 3ms, {1000, 1000, 1000}}}},
    {"the drain of a smaller flush is scaled up to this one",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms},
      {6ms, true, change::grew, 8ms},
      // 1 ms for 100 events: about 10 ms for these 1,000; no shrink.
      {8ms, false, change::none, 8ms, 1ms, {1000, 100, 100}},
      // 2 ms for 100 events: 20 ms for 1,000, over a window of short runs.
      {8ms, true, change::grew, 16ms, 2ms, {1000, 1000, 100}},
      // 9 ms for 100 events: 90 ms for 1,000, four windows and more.
      {16ms, false, change::grew, 32ms, 9ms, {1000, 10, 100}}}},
    {"the drain of a larger flush is taken as it is",
     2ms,
     250ms,
     {{3ms, true, change::grew, 4ms},
      {6ms, true, change::grew, 8ms},
      {8ms, false, change::none, 8ms, 6ms, {100, 100, 10000}},
      {8ms, false, change::shrank, 4ms, 3ms, {100, 100, 10000}}}},
  };
  for (auto& c : cases) {
    CAF_MESSAGE(c.name);
    flush_window w{c.min, c.max};
    CAF_CHECK_EQUAL(w.current(), c.min);
    for (std::size_t i = 0; i < c.steps.size(); ++i) {
      auto& s = c.steps[i];
      auto got = w.flushed(s.waited, s.input_waiting, s.drain, s.load);
      CAF_CHECK_EQUAL(static_cast<int>(got), static_cast<int>(s.expected));
      CAF_CHECK_EQUAL(w.current().count(), s.after.count());
      CAF_CHECK(w.current() <= w.max());
      CAF_CHECK(w.current() >= w.min());
    }
  }
}

CAF_TEST(a maximum below the minimum is the minimum) {
  flush_window w{10ms, 1ms};
  CAF_CHECK_EQUAL(w.max().count(), flush_window::duration{10ms}.count());
  CAF_CHECK_EQUAL(static_cast<int>(w.flushed(100ms, true)),
                  static_cast<int>(change::none));
  CAF_CHECK_EQUAL(w.current().count(), flush_window::duration{10ms}.count());
}
