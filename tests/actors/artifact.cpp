#define CAF_SUITE artifact
#include <caf/test/unit_test.hpp>

#include <string>

#include "retrain/artifact.hpp"
#include "retrain/config_error.hpp"
#include "retrain/ec.hpp"

using namespace retrain;

namespace {

// Returns the artifact, or "error: <message>"; every refusal is an
// `ec::invalid_value`.
std::string artifact_of(const std::string& line) {
  auto result = parse_artifact(line);
  if (result)
    return *result;
  CAF_CHECK_EQUAL(result.error(), caf::make_error(ec::invalid_value));
  return "error: " + error_text(result.error());
}

} // namespace

CAF_TEST(a JSON object with a string artifact names it) {
  CAF_CHECK_EQUAL(artifact_of(R"({"artifact": "s3://m/cv/det/1.3.0"})"),
                  "s3://m/cv/det/1.3.0");
  CAF_CHECK_EQUAL(artifact_of(R"({"loss": 0.1, "artifact": "a\"b\u00e9"})"),
                  "a\"b\xc3\xa9");
}

CAF_TEST(anything else means no artifact and says why) {
  CAF_CHECK_EQUAL(artifact_of(""),
                  "error: no artifact: the command wrote nothing to stdout");
  CAF_CHECK_EQUAL(artifact_of("[1, 2]"),
                  "error: no artifact: last stdout line is JSON but not an "
                  "object");
  CAF_CHECK_EQUAL(artifact_of(R"({"model": "x"})"),
                  "error: no artifact: last stdout line has no field "
                  "\"artifact\"");
  CAF_CHECK_EQUAL(artifact_of(R"({"artifact": 3})"),
                  "error: no artifact: field \"artifact\" of the last stdout "
                  "line is not a string");
  CAF_CHECK_EQUAL(artifact_of(R"({"artifact": ""})"),
                  "error: no artifact: field \"artifact\" of the last stdout "
                  "line is empty");
  for (auto line : {"training done", R"({"artifact": "x")", "{", "{}}"}) {
    auto err = artifact_of(line);
    CAF_CHECK_EQUAL(err.rfind("error: no artifact: last stdout line is not "
                              "JSON (",
                              0),
                    0u);
  }
}
