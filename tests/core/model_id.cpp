#define CAF_SUITE model_id
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "retrain/core/model_id.hpp"

using namespace retrain::core;

namespace {

// Returns the error message for `str`, or "ok".
std::string error_of(const std::string& str) {
  auto result = parse_model_id(str);
  return result ? std::string{"ok"} : result.error().message;
}

} // namespace

CAF_TEST(valid ids parse into project name and version) {
  auto id = parse_model_id("cv:anomaly_detector:1.2.0");
  CAF_REQUIRE(id);
  CAF_CHECK_EQUAL(id->project, "cv");
  CAF_CHECK_EQUAL(id->name, "anomaly_detector");
  CAF_CHECK_EQUAL(id->version.major, 1u);
  CAF_CHECK_EQUAL(id->version.minor, 2u);
  CAF_CHECK_EQUAL(id->version.patch, 0u);
  CAF_CHECK_EQUAL(id->line(), "cv:anomaly_detector");
  CAF_CHECK_EQUAL(id->str(), "cv:anomaly_detector:1.2.0");
}

CAF_TEST(valid ids round trip) {
  for (auto str :
       {"vision:lane_detector:0.9.3", "a:b:0.0.0", "p-1.x:name.v2_b:10.20.30",
        "cv:det:1.0.0-alpha.1+build.5", "cv:det:1.0.0+20130313144700",
        "cv:det:1.0.0-x-y-z.--", "proj:model-7:1.0.0-0.3.7"}) {
    auto id = parse_model_id(str);
    CAF_CHECK(id);
    if (id)
      CAF_CHECK_EQUAL(id->str(), str);
  }
}

CAF_TEST(errors say what is wrong and where) {
  // The three messages a user most often sees, verbatim.
  CAF_CHECK_EQUAL(error_of("cv:Anomaly:1.2.0"),
                  "model id 'cv:Anomaly:1.2.0': name has invalid character "
                  "'A' at column 4 (allowed: [a-z0-9_.-])");
  CAF_CHECK_EQUAL(error_of("cv:anomaly:1.2"),
                  "model id 'cv:anomaly:1.2': version '1.2': expected '.' "
                  "after minor (format MAJOR.MINOR.PATCH) at column 15");
  CAF_CHECK_EQUAL(error_of("cv:anomaly"),
                  "model id 'cv:anomaly': expected <project>:<name>:<semver>, "
                  "e.g. cv:anomaly_detector:1.2.0");
  CAF_CHECK_EQUAL(error_of(":anomaly:1.0.0"),
                  "model id ':anomaly:1.0.0': project is empty (at column 1)");
  CAF_CHECK_EQUAL(error_of("cv::1.0.0"),
                  "model id 'cv::1.0.0': name is empty (at column 4)");
  CAF_CHECK_EQUAL(error_of("cv:a:01.0.0"),
                  "model id 'cv:a:01.0.0': version '01.0.0': major has a "
                  "leading zero at column 6");
  CAF_CHECK_EQUAL(error_of("cv:a:1.0.0-01"),
                  "model id 'cv:a:1.0.0-01': version '1.0.0-01': numeric "
                  "pre-release identifier has a leading zero at column 12");
  CAF_CHECK_EQUAL(error_of("cv:a:b:1.0.0"),
                  "model id 'cv:a:b:1.0.0': too many ':' (expected "
                  "<project>:<name>:<semver>)");
  CAF_CHECK_EQUAL(error_of("cv:a\n:1.0.0"),
                  "model id 'cv:a\\x0a:1.0.0': name has invalid character "
                  "'\\x0a' at column 5 (allowed: [a-z0-9_.-])");
}

CAF_TEST(malformed versions are refused) {
  for (auto str :
       {"cv:a:", "cv:a:1", "cv:a:1.2.", "cv:a:1.2.3.", "cv:a:v1.2.3",
        "cv:a:1.2.3-", "cv:a:1.2.3+", "cv:a:1.2.3-a..b", "cv:a:1.2.3+a_b",
        "cv:a:1.2.3 ", "cv:a:99999999999999999999.0.0", "cv:a:-1.0.0"}) {
    CAF_CHECK_NOT_EQUAL(error_of(str), "ok");
  }
  CAF_CHECK_EQUAL(error_of(std::string(600, 'a')),
                  "model id of 600 bytes is longer than 512");
  // 512 bytes is the longest id taken.
  CAF_CHECK_EQUAL(error_of("cv:" + std::string(503, 'a') + ":1.0.0"), "ok");
  CAF_CHECK_EQUAL(error_of("cv:" + std::string(504, 'a') + ":1.0.0"),
                  "model id of 513 bytes is longer than 512");
}

CAF_TEST(model lines) {
  CAF_CHECK(parse_model_line("cv:anomaly_detector"));
  CAF_CHECK(!parse_model_line("cv:anomaly_detector:1.0.0"));
  CAF_CHECK(!parse_model_line("cv"));
  auto bad = parse_model_line("cv:");
  CAF_REQUIRE(!bad);
  CAF_CHECK_EQUAL(bad.error().message,
                  "model line 'cv:': name is empty (at column 4)");
}

CAF_TEST(check_model_id agrees with parse_model_id) {
  std::vector<std::string> ids{"cv:anomaly_detector:1.2.0",
                               "cv:det:1.0.0-alpha.1+build.5",
                               "cv:Anomaly:1.2.0",
                               "cv:anomaly",
                               "cv:a:b:1.0.0",
                               ":a:1.0.0",
                               "cv:a:01.0.0",
                               "cv:a:1.0",
                               std::string(600, 'a')};
  for (auto& str : ids) {
    auto err = check_model_id(str);
    auto parsed = parse_model_id(str);
    CAF_CHECK_EQUAL(static_cast<bool>(err), !parsed);
    if (err && !parsed) {
      CAF_CHECK_EQUAL(err.message, parsed.error().message);
      CAF_CHECK(err.code == parsed.error().code);
    }
  }
}

CAF_TEST(the line of a model id drops its version) {
  CAF_CHECK_EQUAL(model_line_of("cv:anomaly_detector:1.2.0"),
                  "cv:anomaly_detector");
  CAF_CHECK_EQUAL(model_line_of("cv:det:1.0.0-alpha.1+build.5"), "cv:det");
}
