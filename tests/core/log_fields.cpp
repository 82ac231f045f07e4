#define CAF_SUITE log_fields
#include <caf/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "retrain/core/log_fields.hpp"

using namespace retrain::core;

namespace {

struct row {
  std::string text;
  std::string actor;
  std::optional<uint64_t> job;
  std::optional<uint64_t> attempt;
  std::string model;
  std::string line;
};

} // namespace

CAF_TEST(fields are found where the line names them) {
  std::vector<row> rows{
    // What the actors log.
    {"dispatcher#12 job 5 cv:a:1.0.0: attempt 2 on worker 0x1@host",
     "dispatcher#12", 5, 2, "cv:a:1.0.0", "cv:a"},
    {"retrain_worker#40 job 7 attempt 1 started: model "
     "fraud:scorer:1.0.0-rc.1, "
     "log /x/7-1.log",
     "retrain_worker#40", 7, 1, "fraud:scorer:1.0.0-rc.1", "fraud:scorer"},
    {"monitor#34 cv:anomaly_detector:1.2.0: trigger: ewma_threshold accuracy "
     "statistic=0.5 threshold=0.92 samples=5",
     "monitor#34", std::nullopt, std::nullopt, "cv:anomaly_detector:1.2.0",
     "cv:anomaly_detector"},
    {"registry#8 registered cv:a 1.0.1 (parent 1.0.0, job 5)", "registry#8", 5,
     std::nullopt, "", "cv:a"},
    // An endpoint is no model line; a number after a word that merely ends
    // in "job" is no job.
    {"coordinator_link#3 cannot reach the coordinator at 127.0.0.1:4243",
     "coordinator_link#3", std::nullopt, std::nullopt, "", ""},
    {"retrain-node ready (role all, data dir ./d, jemalloc malloc)", "",
     std::nullopt, std::nullopt, "", ""},
    {"subjob 5 of (cv:b:2.0.0)", "", std::nullopt, std::nullopt, "cv:b:2.0.0",
     "cv:b"},
    // Malformed ids are not taken for models.
    {"model CV:a:1.0.0 and x:y:1.0 refused", "", std::nullopt, std::nullopt, "",
     ""},
    {"job 99999999999999999999999 overflows", "", std::nullopt, std::nullopt,
     "", ""},
    {"", "", std::nullopt, std::nullopt, "", ""},
    {"a#b job", "", std::nullopt, std::nullopt, "", ""},
  };
  for (auto& r : rows) {
    CAF_MESSAGE(r.text);
    auto f = find_log_fields(r.text);
    CAF_CHECK_EQUAL(f.actor, r.actor);
    CAF_CHECK_EQUAL(f.job, r.job);
    CAF_CHECK_EQUAL(f.attempt, r.attempt);
    CAF_CHECK_EQUAL(f.model, r.model);
    CAF_CHECK_EQUAL(f.line, r.line);
  }
}
