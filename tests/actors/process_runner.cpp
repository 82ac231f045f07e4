#define CAF_SUITE process_runner
#include <caf/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "retrain/process_runner.hpp"

#include "temp_dir.hpp"

using namespace retrain;
using retrain::test::contains;
using retrain::test::read_file;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

// Whether `pid` runs; a zombie no longer counts (its reaper may be slow).
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0)
    return false;
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size()
         && line[close + 2] != 'Z';
}

// Waits for the death of `pid`: a signal takes effect asynchronously.
bool dies(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    if (!alive(pid))
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// Whether the process whose pid the command printed last dies.
bool printed_pid_dies(const process_outcome& res) {
  auto pid = static_cast<pid_t>(std::atol(res.last_line.c_str()));
  return pid > 0 && dies(pid);
}

struct fixture {
  // Runs `script` with /bin/sh -c.
  process_outcome sh(const std::string& script,
                     std::chrono::milliseconds timeout = 10s) {
    return runner.run({"/bin/sh", "-c", script}, log, timeout);
  }

  retrain::test::temp_dir tmp{"retrain-runner"};
  fs::path dir = tmp.path();
  std::string log = (dir / "job.log").string();
  process_runner runner{100ms};
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(process_runner_tests, fixture)

CAF_TEST(a successful command reports exit code 0 and its last line) {
  auto res = sh(R"(echo starting; echo oops >&2; )"
                R"(echo '{"artifact": "s3://models/1.3.0"}')");
  CAF_CHECK_EQUAL(res.exit_code, 0);
  CAF_CHECK_EQUAL(res.signal, 0);
  CAF_CHECK(!res.timed_out);
  CAF_CHECK_EQUAL(res.error, "");
  CAF_CHECK_EQUAL(res.last_line, R"({"artifact": "s3://models/1.3.0"})");
  CAF_CHECK(res.duration > 0ns);
  auto text = read_file(log);
  CAF_CHECK(contains(text, "[retrain] running '/bin/sh' '-c' 'echo starting;"));
  CAF_CHECK(contains(text, "starting\n"));
  CAF_CHECK(contains(text, "oops\n"));
  CAF_CHECK(contains(text, "{\"artifact\": \"s3://models/1.3.0\"}\n"));
  CAF_CHECK(contains(text, "[retrain] exit code 0 after "));
}

CAF_TEST(the last line skips blank lines and may lack a line break) {
  auto res = sh(R"(printf 'first\nlast  \r\n\n   \n')");
  CAF_CHECK_EQUAL(res.last_line, "last");
  res = sh(R"(printf 'first\npartial')");
  CAF_CHECK_EQUAL(res.last_line, "partial");
  res = sh("echo only-stderr >&2");
  CAF_CHECK_EQUAL(res.last_line, "");
}

CAF_TEST(a non - zero exit code is reported) {
  auto res = sh("echo failing; exit 3");
  CAF_CHECK_EQUAL(res.exit_code, 3);
  CAF_CHECK_EQUAL(res.signal, 0);
  CAF_CHECK(!res.timed_out);
  CAF_CHECK_EQUAL(res.error, "");
  CAF_CHECK_EQUAL(res.last_line, "failing");
  CAF_CHECK(contains(read_file(log), "[retrain] exit code 3 after "));
}

CAF_TEST(a child killed by a signal reports the signal) {
  auto res = sh("kill -KILL $$");
  CAF_CHECK_EQUAL(res.exit_code, -1);
  CAF_CHECK_EQUAL(res.signal, SIGKILL);
  CAF_CHECK(!res.timed_out);
  CAF_CHECK(contains(read_file(log), "[retrain] killed by signal 9 ("));
}

CAF_TEST(the child runs in its own process group) {
  auto res = sh("echo $$ $(cut -d' ' -f5 /proc/$$/stat)");
  std::istringstream in{res.last_line};
  long pid = 0;
  long pgid = 0;
  in >> pid >> pgid;
  CAF_CHECK(pid > 0);
  CAF_CHECK_EQUAL(pid, pgid);
  CAF_CHECK_NOT_EQUAL(pgid, static_cast<long>(::getpgrp()));
}

CAF_TEST(the child inherits only stdin stdout and stderr) {
  auto fd = ::open("/dev/null", O_RDONLY); // no O_CLOEXEC
  CAF_REQUIRE(fd > STDERR_FILENO);
  auto res = sh("[ -e /proc/self/fd/" + std::to_string(fd)
                + " ] && echo inherited || echo closed");
  ::close(fd);
  CAF_CHECK_EQUAL(res.last_line, "closed");
}

CAF_TEST(a timeout kills the whole process group) {
  // The background sleep is a grandchild; the leader is the exec'd sleep.
  auto res = sh("sleep 100 & echo $!; exec sleep 100", 200ms);
  CAF_CHECK(res.timed_out);
  CAF_CHECK_EQUAL(res.exit_code, -1);
  CAF_CHECK_EQUAL(res.signal, SIGTERM);
  CAF_CHECK(printed_pid_dies(res));
  auto text = read_file(log);
  CAF_CHECK(contains(text, "[retrain] timed out after 200ms, sending SIGTERM "
                           "to process group "));
  CAF_CHECK(contains(text, "[retrain] killed by signal 15 ("));
}

CAF_TEST(a group that ignores SIGTERM gets SIGKILL after the grace period) {
  // Ignored signals stay ignored in the children as well.
  auto res = sh("trap '' TERM; sleep 100 & echo $!; "
                "while :; do sleep 0.05; done",
                200ms);
  CAF_CHECK(res.timed_out);
  CAF_CHECK_EQUAL(res.exit_code, -1);
  CAF_CHECK_EQUAL(res.signal, SIGKILL);
  CAF_CHECK(printed_pid_dies(res));
  CAF_CHECK(contains(read_file(log), "[retrain] still running after 100ms, "
                                     "sending SIGKILL to process group "));
}

CAF_TEST(without a grace SIGKILL follows SIGTERM at once) {
  process_runner impatient{0ms};
  auto res = impatient.run({"/bin/sh", "-c",
                            "trap '' TERM; sleep 100 & echo $!; "
                            "while :; do sleep 0.05; done"},
                           log, 200ms);
  CAF_CHECK(res.timed_out);
  CAF_CHECK_EQUAL(res.signal, SIGKILL);
  CAF_CHECK(printed_pid_dies(res));
  auto text = read_file(log);
  CAF_CHECK(contains(text, "[retrain] timed out after 200ms, sending SIGTERM "
                           "to process group "));
  CAF_CHECK(contains(text, "[retrain] still running after 0ms, sending "
                           "SIGKILL to process group "));
}

CAF_TEST(a timeout too long to count never fires) {
  auto res = sh("echo done", std::chrono::milliseconds::max());
  CAF_CHECK_EQUAL(res.exit_code, 0);
  CAF_CHECK(!res.timed_out);
  CAF_CHECK_EQUAL(res.last_line, "done");
}

CAF_TEST(background processes do not outlive a command that exits) {
  auto res = sh("sleep 100 & echo $!; exit 0");
  CAF_CHECK_EQUAL(res.exit_code, 0);
  CAF_CHECK(!res.timed_out);
  CAF_CHECK(printed_pid_dies(res));
}

CAF_TEST(a missing program fails with exit code 127 and a clear message) {
  auto res = runner.run({"retrain-no-such-program", "--x"}, log, 10s);
  CAF_CHECK_EQUAL(res.exit_code, 127);
  CAF_CHECK_EQUAL(res.error, "cannot run 'retrain-no-such-program': No such "
                             "file or directory");
  CAF_CHECK(contains(read_file(log),
                     "[retrain] cannot run 'retrain-no-such-program': No such "
                     "file or directory\n"));
  res = runner.run({"/nonexistent/train"}, log, 10s);
  CAF_CHECK_EQUAL(res.exit_code, 127);
  CAF_CHECK_EQUAL(res.error,
                  "cannot run '/nonexistent/train': No such file or directory");
}

CAF_TEST(a program that is not executable fails with exit code 127) {
  auto script = (dir / "train.sh").string();
  std::ofstream{script} << "#!/bin/sh\nexit 0\n";
  ::chmod(script.c_str(), 0644);
  auto res = runner.run({script}, log, 10s);
  CAF_CHECK_EQUAL(res.exit_code, 127);
  CAF_CHECK_EQUAL(res.error, "cannot run '" + script + "': Permission denied");
  ::chmod(script.c_str(), 0755);
  res = runner.run({script}, log, 10s);
  CAF_CHECK_EQUAL(res.exit_code, 0);
  CAF_CHECK_EQUAL(res.error, "");
}

CAF_TEST(bad arguments fail without running anything) {
  auto res = runner.run({}, log, 10s);
  CAF_CHECK_EQUAL(res.error, "cannot run an empty command");
  auto missing = (dir / "no" / "such" / "dir.log").string();
  res = runner.run({"/bin/true"}, missing, 10s);
  CAF_CHECK_EQUAL(res.exit_code, -1);
  CAF_CHECK_EQUAL(res.error, "cannot open log file '" + missing
                               + "': No such file or directory");
}

CAF_TEST(runs append to the log file) {
  sh("echo first-run");
  sh("echo second-run");
  auto text = read_file(log);
  auto first = text.find("first-run");
  auto second = text.find("second-run");
  CAF_CHECK_NOT_EQUAL(first, std::string::npos);
  CAF_CHECK_NOT_EQUAL(second, std::string::npos);
  CAF_CHECK(first < second);
}

CAF_TEST(large output does not block the child) {
  // 1 MiB on each stream, far more than a pipe buffer holds.
  auto res = sh("yes 0123456789abcdef | head -c 1048576; "
                "yes err | head -c 1048576 >&2; "
                R"(echo; echo '{"artifact": "big"}')");
  CAF_CHECK_EQUAL(res.exit_code, 0);
  CAF_CHECK(!res.timed_out);
  CAF_CHECK_EQUAL(res.last_line, R"({"artifact": "big"})");
  CAF_CHECK(fs::file_size(log) > 2u * 1048576u);
}

CAF_TEST(overlong last lines are cut) {
  auto res = sh("head -c 100000 /dev/zero | tr '\\0' x");
  CAF_CHECK_EQUAL(res.exit_code, 0);
  CAF_CHECK_EQUAL(res.last_line.size(), process_runner::max_line);
}

CAF_TEST(runners work in parallel threads) {
  std::vector<process_outcome> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] {
      auto own_log = (dir / ("job-" + std::to_string(i) + ".log")).string();
      results[i]
        = runner.run({"/bin/sh", "-c", "sleep 0.05; exit " + std::to_string(i)},
                     own_log, 10s);
    });
  for (auto& thread : threads)
    thread.join();
  for (size_t i = 0; i < results.size(); ++i)
    CAF_CHECK_EQUAL(results[i].exit_code, static_cast<int>(i));
}

CAF_TEST(recorded groups left by a killed runner are killed at the next start) {
  auto records = (dir / "running").string();
  process_runner recording{100ms, records};
  process_outcome res;
  // The runner's thread stands in for a node that dies without cleaning up.
  std::thread runner_thread{[&] {
    res = recording.run({"/bin/sh", "-c", "sleep 30 & sleep 30"}, log, 60s);
  }};
  // Wait until the group is recorded.
  std::vector<fs::path> files;
  for (int i = 0; i < 500 && files.empty(); ++i) {
    std::this_thread::sleep_for(10ms);
    for (auto& entry : fs::directory_iterator{records})
      files.push_back(entry.path());
  }
  CAF_REQUIRE_EQUAL(files.size(), 1u);
  auto pgid = static_cast<pid_t>(std::stol(files[0].filename().string()));
  CAF_CHECK_EQUAL(kill_stale_commands(records), 1u);
  runner_thread.join();
  CAF_CHECK_EQUAL(res.signal, SIGKILL);
  CAF_CHECK(dies(pgid));
  CAF_CHECK(fs::is_empty(records));
  // Nothing recorded, nothing killed.
  CAF_CHECK_EQUAL(kill_stale_commands(records), 0u);
  CAF_CHECK_EQUAL(kill_stale_commands((dir / "missing").string()), 0u);
}

CAF_TEST(a record whose pid now belongs to another process is left alone) {
  auto records = (dir / "running").string();
  fs::create_directories(records);
  // Our own pid, recorded with a start time it never had.
  std::ofstream{records + "/" + std::to_string(::getpid())} << "1\n";
  CAF_CHECK_EQUAL(kill_stale_commands(records), 0u);
  CAF_CHECK(fs::is_empty(records));
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST(durations render for humans) {
  CAF_CHECK_EQUAL(render_duration(0ms), "0ms");
  CAF_CHECK_EQUAL(render_duration(250ms), "250ms");
  CAF_CHECK_EQUAL(render_duration(5s), "5s");
  CAF_CHECK_EQUAL(render_duration(1500ms), "1.5s");
  CAF_CHECK_EQUAL(render_duration(1234567us), "1.234s");
  CAF_CHECK_EQUAL(render_duration(150s), "2m30s");
  CAF_CHECK_EQUAL(render_duration(1h), "60m");
}
