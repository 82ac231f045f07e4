#define CAF_SUITE command_template
#include <caf/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "retrain/command_template.hpp"
#include "retrain/config_error.hpp"
#include "retrain/ec.hpp"

#include "temp_dir.hpp"

using namespace retrain;

namespace {

retrain_job make_job() {
  retrain_job job;
  job.record.id = 42;
  job.record.model = "cv:anomaly_detector:1.2.0";
  job.record.base_version = "1.2.0";
  job.record.next_version = "1.3.0";
  job.attempt = 2;
  return job;
}

// The error of expanding `argv` for `job`, or none.
caf::error expand_error(const std::vector<std::string>& argv,
                        const retrain_job& job = make_job()) {
  auto result = expand_command(argv, job);
  return result ? caf::error{} : result.error();
}

// Returns the expanded argv joined by '|', or the error message.
std::string expand(const std::vector<std::string>& argv,
                   const retrain_job& job = make_job()) {
  auto result = expand_command(argv, job);
  if (!result)
    return error_text(result.error());
  std::string joined;
  for (const auto& arg : *result) {
    if (!joined.empty())
      joined += '|';
    joined += arg;
  }
  return joined;
}

} // namespace

CAF_TEST(every placeholder expands inside any argument) {
  CAF_CHECK_EQUAL(expand({"train.py", "--model={model}", "{project}/{name}",
                          "{version}->{next_version}", "job-{job_id}.out"}),
                  "train.py|--model=cv:anomaly_detector:1.2.0|cv/"
                  "anomaly_detector|1.2.0->1.3.0|job-42.out");
  CAF_CHECK_EQUAL(expand({"{job_id}{job_id}", "{name}"}),
                  "4242|anomaly_detector");
  // The attempt tells two attempts of one job apart (their logs, outputs).
  CAF_CHECK_EQUAL(expand({"out-{job_id}-{attempt}"}), "out-42-2");
}

CAF_TEST(arguments without placeholders stay as they are) {
  CAF_CHECK_EQUAL(expand({"/bin/sh", "-c", "echo hi; exit 0", ""}),
                  "/bin/sh|-c|echo hi; exit 0|");
  CAF_CHECK_EQUAL(expand({}), "");
}

CAF_TEST(double braces are literal braces) {
  CAF_CHECK_EQUAL(expand({R"(echo '{{"artifact": "{model}"}}')"}),
                  R"(echo '{"artifact": "cv:anomaly_detector:1.2.0"}')");
  CAF_CHECK_EQUAL(expand({"{{model}}", "}}{{", "{{{job_id}}}"}),
                  "{model}|}{|{42}");
}

CAF_TEST(unknown placeholders fail naming them) {
  CAF_CHECK_EQUAL(expand({"train", "--out={output_dir}"}),
                  "retrain.job.command argument 1 '--out={output_dir}': "
                  "unknown placeholder {output_dir} (known: {model} "
                  "{project} {name} {version} {next_version} {job_id} "
                  "{attempt}; "
                  "write {{ and }} for literal braces)");
  auto err = expand({"{}"});
  CAF_CHECK_NOT_EQUAL(err.find("unknown placeholder {}"), std::string::npos);
  err = expand({R"(echo '{"artifact": "x"}')"});
  CAF_CHECK_NOT_EQUAL(err.find(R"(unknown placeholder {"artifact": "x"})"),
                      std::string::npos);
  // The template is configuration: a typo in it is a config error.
  CAF_CHECK_EQUAL(expand_error({"train", "--out={output_dir}"}),
                  caf::make_error(ec::invalid_config));
}

CAF_TEST(unbalanced braces fail with their column) {
  CAF_CHECK_EQUAL(expand({"a", "x{model"}),
                  "retrain.job.command argument 1 'x{model': unterminated "
                  "'{' at column 2 (write {{ for a literal brace)");
  CAF_CHECK_EQUAL(expand({"a}b"}),
                  "retrain.job.command argument 0 'a}b': lone '}' at column "
                  "2 (write }} for a literal brace)");
  CAF_CHECK_EQUAL(expand_error({"a", "x{model"}),
                  caf::make_error(ec::invalid_config));
  CAF_CHECK_EQUAL(expand_error({"a}b"}), caf::make_error(ec::invalid_config));
}

CAF_TEST(project and name need a valid model id) {
  auto job = make_job();
  job.record.model = "not-a-model-id";
  CAF_CHECK_EQUAL(expand({"{model}", "{version}"}, job),
                  "not-a-model-id|1.2.0");
  auto err = expand({"{project}"}, job);
  CAF_CHECK_NOT_EQUAL(err.find("{project} needs a valid model id: model id "
                               "'not-a-model-id'"),
                      std::string::npos);
  // The code of the model id's failure survives the added context.
  CAF_CHECK_EQUAL(expand_error({"{name}"}, job),
                  caf::make_error(ec::invalid_model_id));
}

CAF_TEST(templates can be checked before any job runs) {
  CAF_CHECK(!check_command_template({"train", "{model}", "{project}", "{{"}));
  auto err = check_command_template({"train", "{modle}"});
  CAF_REQUIRE(err);
  CAF_CHECK_EQUAL(err, caf::make_error(ec::invalid_config));
  CAF_CHECK_EQUAL(error_text(err).rfind("retrain.job.command argument 1 "
                                        "'{modle}': unknown placeholder "
                                        "{modle}",
                                        0),
                  0u);
}

namespace {

// Creates `name` in `dir` with `mode`; returns its path.
std::string make_file(const test::temp_dir& dir, const std::string& name,
                      std::filesystem::perms mode) {
  auto file = dir.path() / name;
  std::ofstream{file} << "#!/bin/sh\n";
  std::filesystem::permissions(file, mode);
  return file.string();
}

// The message of `check_command_program`, or "ok".
std::string program_error(const std::vector<std::string>& argv,
                          const char* path) {
  auto err = check_command_program(argv, path);
  if (!err)
    return "ok";
  CAF_CHECK_EQUAL(err, caf::make_error(ec::invalid_config));
  return error_text(err);
}

} // namespace

CAF_TEST(the program of a command must exist and be executable) {
  using std::filesystem::perms;
  test::temp_dir dir{"retrain-command"};
  auto exec = make_file(dir, "train.sh", perms::owner_all);
  auto plain = make_file(dir, "data.txt", perms::owner_read);
  auto path = dir.str();
  // Paths with a '/'.
  CAF_CHECK_EQUAL(program_error({exec, "{model}"}, ""), "ok");
  CAF_CHECK_EQUAL(program_error({path + "/missing", "{model}"}, ""),
                  "program '" + path + "/missing' does not exist");
  CAF_CHECK_EQUAL(program_error({plain}, ""),
                  "program '" + plain + "' is not executable");
  CAF_CHECK_EQUAL(program_error({path}, ""),
                  "program '" + path + "' is a directory");
  // Bare names, looked up in PATH as posix_spawnp does.
  auto search = "/nonexistent:" + path;
  CAF_CHECK_EQUAL(program_error({"train.sh"}, search.c_str()), "ok");
  CAF_CHECK_EQUAL(program_error({"trian.sh"}, search.c_str()),
                  "program 'trian.sh' is not in PATH (" + search + ")");
  CAF_CHECK_EQUAL(program_error({"data.txt"}, search.c_str()),
                  "program 'data.txt' in PATH: " + plain
                    + " is not executable");
  CAF_CHECK_EQUAL(program_error({"sh", "-c", "exit 0"}, nullptr), "ok");
  CAF_CHECK_EQUAL(program_error({""}, search.c_str()),
                  "the program (argument 0) is empty");
  // Nothing to check: the simulated trainer, a program known per job.
  CAF_CHECK_EQUAL(program_error({}, search.c_str()), "ok");
  CAF_CHECK_EQUAL(program_error({"/opt/{project}/train"}, search.c_str()),
                  "ok");
}
