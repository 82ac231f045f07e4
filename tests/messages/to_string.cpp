#define CAF_SUITE to_string
#include <caf/test/unit_test.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "retrain/messages.hpp"

using namespace retrain;

CAF_TEST(a trigger reason names each number) {
  // The text goes to logs and to the registry's `reason` column.
  trigger_reason x{"ewma_threshold", metric_kind::f1_score, 0.85, 0.9, 40};
  CAF_CHECK_EQUAL(to_string(x), "ewma_threshold f1_score statistic=0.85 "
                                "threshold=0.9 samples=40");
}

CAF_TEST(job states round trip through their names) {
  for (auto x : {job_state::queued, job_state::running, job_state::succeeded,
                 job_state::failed}) {
    auto parsed = parse_job_state(to_string(x));
    CAF_REQUIRE(parsed);
    CAF_CHECK(*parsed == x);
  }
  CAF_CHECK(!parse_job_state("done"));
  CAF_CHECK(is_active(job_state::queued));
  CAF_CHECK(is_active(job_state::running));
  CAF_CHECK(!is_active(job_state::succeeded));
  CAF_CHECK(!is_active(job_state::failed));
}

CAF_TEST(errors render with their code and their text) {
  caf::actor_system_config cfg;
  register_messages(cfg);
  caf::actor_system sys{cfg};
  CAF_CHECK_EQUAL(sys.render(caf::make_error(ec::storage_failure,
                                             "registry db x: disk full")),
                  "retrain::storage_failure: registry db x: disk full");
  CAF_CHECK_EQUAL(sys.render(caf::make_error(ec::no_such_job)),
                  "retrain::no_such_job");
}
