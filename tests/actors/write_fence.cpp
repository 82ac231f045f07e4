#define CAF_SUITE write_fence
#include <caf/test/dsl.hpp>

#include <memory>
#include <string>

#include "retrain/job_store.hpp"
#include "retrain/version_store.hpp"
#include "retrain/write_fence.hpp"

#include "store_support.hpp"
#include "temp_dir.hpp"

using namespace retrain;
using namespace retrain::test;

namespace {

job_record queued_job(const std::string& model) {
  job_record job;
  job.model = model;
  job.line = mid(model).line();
  job.base_version = "1.0.0";
  job.next_version = "1.0.1";
  job.state = job_state::queued;
  job.reason = "ewma_threshold accuracy";
  job.created_at_ns = 1;
  job.updated_at_ns = 1;
  return job;
}

// Another coordinator takes the lease over at `epoch`.
void take_over(const std::string& where, int epoch) {
  raw_exec(where, "UPDATE coordinator_lease SET holder = 'other', epoch = "
                    + std::to_string(epoch) + " WHERE id = 1");
}

struct fixture {
  temp_dir dir{"retrain-fence"};
  std::string url = retrain::test::registry_url(dir.str());
  std::shared_ptr<write_fence> fence = std::make_shared<write_fence>();
  std::unique_ptr<job_store> jobs;
  std::unique_ptr<version_store> versions;

  fixture() {
    auto j = job_store::open(dir.str(), url, fence);
    auto v = version_store::open(dir.str(), url, fence);
    if (!j || !v)
      CAF_FAIL("open failed");
    jobs = std::move(*j);
    versions = std::move(*v);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(write_fence_tests, fixture)

CAF_TEST(a fenced store writes only while the lease is at the held epoch) {
  if (!on_postgresql()) {
    // One coordinator owns a SQLite file: there is no lease, and a fence
    // holding no epoch stops nothing.
    CAF_CHECK(jobs->insert_job(queued_job("cv:a:1.0.0")));
    return;
  }
  // Holding no epoch (a standby): nothing is written.
  auto refused = jobs->insert_job(queued_job("cv:a:1.0.0"));
  CAF_REQUIRE(!refused);
  CAF_CHECK_NOT_EQUAL(context_text(refused.error()).find("does not hold"),
                      std::string::npos);
  CAF_CHECK(raw_rows(url, "SELECT id FROM jobs").empty());
  // The lease at epoch 3, held: single writes and transactions go through.
  take_over(url, 3);
  fence->hold(3);
  auto job = queued_job("cv:a:1.0.0");
  auto id = jobs->insert_job(job);
  CAF_REQUIRE(id);
  job.id = *id;
  job.state = job_state::running;
  CAF_CHECK(!jobs->update_job(job));
  CAF_CHECK(versions->register_version(*id, mid("cv:a:1.0.0"), "r", "", 2));
  // Another coordinator took over at epoch 4: every write fails, changes
  // nothing, and the fence says to which epoch it was lost.
  take_over(url, 4);
  job.state = job_state::succeeded;
  auto err = jobs->update_job(job);
  CAF_REQUIRE(err);
  CAF_CHECK(has_code(err, ec::storage_failure));
  CAF_CHECK_NOT_EQUAL(context_text(err).find("fenced"), std::string::npos);
  CAF_CHECK_EQUAL(fence->lost_to(), 4);
  CAF_CHECK_EQUAL(fence->epoch(), 0);
  CAF_CHECK_EQUAL(raw_rows(url, "SELECT state FROM jobs"),
                  std::vector<std::string>{"running"});
  CAF_CHECK(
    !versions->register_version(*id + 1, mid("cv:b:1.0.0"), "r", "", 3));
  CAF_CHECK_EQUAL(raw_rows(url, "SELECT COUNT(*) FROM versions"),
                  std::vector<std::string>{"1"});
  // Reads still work: a standby answers what it can.
  CAF_CHECK(jobs->jobs());
}

CAF_TEST_FIXTURE_SCOPE_END()
