#define CAF_SUITE validate
#include "config_test.hpp"

#include <chrono>
#include <functional>

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

// The text of `err`, or "ok".
std::string text_of(const caf::error& err) {
  if (!err)
    return "ok";
  CAF_CHECK(is_invalid_config(err));
  return error_text(err);
}

template <class Settings>
struct row {
  std::function<void(Settings&)> change;
  const char* expected;
};

template <class Settings>
void check_rows(const Settings& base,
                std::initializer_list<row<Settings>> rows) {
  CAF_CHECK_EQUAL(text_of(base.validate()), "ok");
  for (auto& r : rows) {
    auto x = base;
    r.change(x);
    CAF_CHECK_EQUAL(text_of(x.validate()), r.expected);
  }
}

} // namespace

CAF_TEST(monitor config) {
  using m = monitor_config;
  check_rows<m>(m::defaults(),
                {
                  {[](m& x) { x.alpha = 1.0; }, "ok"},
                  {[](m& x) { x.alpha = 1e-300; }, "ok"},
                  // An EWMA that never moves is no EWMA.
                  {[](m& x) { x.alpha = 0.0; },
                   "retrain.monitor.alpha=0 is outside (0, 1]"},
                  {[](m& x) { x.alpha = 1.5; },
                   "retrain.monitor.alpha=1.5 is outside (0, 1]"},
                  {[](m& x) { x.alpha = -0.1; },
                   "retrain.monitor.alpha=-0.1 is outside (0, 1]"},
                  {[](m& x) { x.min_samples = 0; },
                   "retrain.monitor.min-samples must be at least 1"},
                  {[](m& x) { x.consecutive_breaches = 0; },
                   "retrain.monitor.consecutive-breaches must be at least 1"},
                  {[](m& x) { x.cooldown = -1ms; },
                   "retrain.monitor.cooldown must not be negative"},
                  {[](m& x) { x.cooldown = 0ms; }, "ok"},
                  {[](m& x) { x.snapshot_interval = 0ms; },
                   "retrain.monitor.snapshot-interval must be greater than 0"},
                  {[](m& x) { x.flush_interval = -1ms; },
                   "retrain.monitor.flush-interval must not be negative"},
                  {[](m& x) { x.restart_window = 0ms; },
                   "retrain.monitor.restart-window must be greater than 0"},
                  {[](m& x) { x.history_points = 0; }, "ok"},
                  {[](m& x) { x.history_points = 100'000; }, "ok"},
                  {[](m& x) { x.history_points = 100'001; },
                   "retrain.history.points must be in [0, 100000]"},
                  {[](m& x) { x.history_resolution = 0ms; }, "ok"},
                  {[](m& x) { x.history_resolution = -1ms; },
                   "retrain.history.resolution must not be negative"},
                  {[](m& x) {
                     x.flush_interval = 20ms;
                     x.max_flush_delay = 10ms;
                   },
                   "retrain.monitor.max-flush-delay=10ms is shorter than "
                   "retrain.monitor.flush-interval=20ms; it must be at "
                   "least as long"},
                  {[](m& x) {
                     x.flush_interval = 20ms;
                     x.max_flush_delay = 20ms;
                   },
                   "ok"},
                  {[](m& x) { x.kinds = {}; },
                   "no metric kind is watched: set at least one "
                   "retrain.threshold.<kind> or retrain.strategy.<kind>"},
                });
  // An unknown strategy is named with the key of its kind.
  auto x = m::defaults();
  x.kinds[static_cast<std::size_t>(metric_kind::recall)]
    = kind_watch{"no_such_strategy", {}};
  CAF_CHECK_EQUAL(text_of(x.validate()).rfind("retrain.strategy.recall: ", 0),
                  0u);
}

CAF_TEST(a threshold watches the side of its kind) {
  // Quality kinds breach under their threshold, latency over it.
  auto x = monitor_config::defaults();
  x.alpha = 1.0; // the EWMA is the last value
  x.watch_threshold(metric_kind::latency_ms, 100.0);
  auto latency = x.make_strategy(metric_kind::latency_ms);
  CAF_REQUIRE(latency);
  CAF_CHECK(!(*latency)->update(50.0).breach);
  CAF_CHECK((*latency)->update(150.0).breach);
  auto accuracy = x.make_strategy(metric_kind::accuracy);
  CAF_REQUIRE(accuracy);
  CAF_CHECK((*accuracy)->update(0.5).breach);
  CAF_CHECK(!(*accuracy)->update(0.95).breach);
}

CAF_TEST(job config) {
  using j = job_config;
  check_rows<j>(
    j{}, {
           {[](j& x) { x.simulated_duration = -1ms; },
            "retrain.job.simulated-duration must not be negative"},
           {[](j& x) { x.simulated_duration = 0ms; }, "ok"},
           {[](j& x) { x.timeout = 0ms; },
            "retrain.job.timeout must be greater than 0"},
           {[](j& x) { x.max_attempts = 0; },
            "retrain.job.max-attempts must be within [1, 100]"},
           {[](j& x) { x.max_attempts = 100; }, "ok"},
           {[](j& x) { x.max_attempts = 101; },
            "retrain.job.max-attempts must be within [1, 100]"},
           {[](j& x) { x.retry_delay = -1ms; },
            "retrain.job.retry-delay must not be negative"},
           {[](j& x) { x.retry_cap = x.retry_delay - 1ms; },
            "retrain.job.retry-cap must be at least retrain.job.retry-delay"},
           {[](j& x) { x.retry_cap = x.retry_delay; }, "ok"},
           {[](j& x) {
              x.command = {"", "x"};
            },
            "retrain.job.command: the program name is empty"},
           {[](j& x) { x.command = {"train.sh"}; }, "ok"},
         });
}

CAF_TEST(node settings) {
  using n = node_settings;
  check_rows<n>(n{},
                {
                  {[](n& x) { x.workers = 1024; }, "ok"},
                  {[](n& x) { x.workers = 1025; },
                   "retrain.workers=1025 is outside [0, 1024]"},
                  {[](n& x) { x.request_timeout = 0ms; },
                   "retrain.request-timeout must be greater than 0"},
                  {[](n& x) { x.log_level = "loud"; },
                   "retrain.log-level='loud' is not one of trace, debug, info, "
                   "warn, error, critical, off"},
                  // Control bytes of a value reach no terminal.
                  {[](n& x) { x.log_format = "\x1b[2J"; },
                   "retrain.log-format='\\x1b[2J' is not one of text, json"},
                  {[](n& x) { x.coordinator.port = 0; },
                   "retrain.coordinator='127.0.0.1:0' is not HOST:PORT with a "
                   "port within [1, 65535]"},
                  // The monitor config is checked where monitors run ...
                  {[](n& x) { x.monitor.alpha = 2; },
                   "retrain.monitor.alpha=2 is outside (0, 1]"},
                  {[](n& x) {
                     x.role = node_role::worker;
                     x.monitor.alpha = 2;
                   },
                   "ok"},
                  // ... and the job config where jobs are dispatched or run.
                  {[](n& x) { x.job.max_attempts = 0; },
                   "retrain.job.max-attempts must be within [1, 100]"},
                  {[](n& x) {
                     x.role = node_role::coordinator;
                     x.job.max_attempts = 0;
                   },
                   "retrain.job.max-attempts must be within [1, 100]"},
                  {[](n& x) {
                     x.role = node_role::monitor;
                     x.job.max_attempts = 0;
                   },
                   "ok"},
                });
}

CAF_TEST(endpoints) {
  auto ep = parse_endpoint("db1:4243", "x");
  CAF_REQUIRE(ep);
  CAF_CHECK_EQUAL(ep->host, "db1");
  CAF_CHECK_EQUAL(ep->port, 4243u);
  CAF_CHECK_EQUAL(to_string(*ep), "db1:4243");
  struct row {
    const char* input;
    const char* expected;
  };
  row rows[] = {
    {"db1", "--node='db1' is not HOST:PORT"},
    {":1", "--node=':1' is not HOST:PORT"},
    {"db1:", "--node='db1:' is not HOST:PORT"},
    {"db1:0", "--node='db1:0': port must be within [1, 65535]"},
    {"db1:65536", "--node='db1:65536': port must be within [1, 65535]"},
    {"db1:12x", "--node='db1:12x': port must be within [1, 65535]"},
    // The port is a whole decimal field: no sign, no blank, no hex.
    {"db1:+12", "--node='db1:+12': port must be within [1, 65535]"},
    {"db1: 12", "--node='db1: 12': port must be within [1, 65535]"},
    {"db1:0x10", "--node='db1:0x10': port must be within [1, 65535]"},
    {"db1\x1b:0", "--node='db1\\x1b:0': port must be within [1, 65535]"},
  };
  for (auto& r : rows) {
    auto res = parse_endpoint(r.input, "--node");
    CAF_REQUIRE(!res);
    CAF_CHECK(is_invalid_config(res.error()));
    CAF_CHECK_EQUAL(error_text(res.error()), r.expected);
  }
}

CAF_TEST(roles) {
  for (auto x : {node_role::all, node_role::coordinator, node_role::monitor,
                 node_role::worker})
    CAF_CHECK(parse_node_role(to_string(x)) == x);
  CAF_CHECK(!parse_node_role("everything"));
  CAF_CHECK(!parse_node_role(""));
}
