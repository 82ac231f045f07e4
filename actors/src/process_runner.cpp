#include "retrain/process_runner.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <sstream>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "retrain/core/kill_schedule.hpp"

extern char** environ;

namespace retrain {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Without a pidfd, how often the runner looks whether the child exited.
constexpr milliseconds exit_poll_interval{10};

// How long the runner keeps reading stdout after the child exited and its
// group was killed; only a process that left the group can hold it longer.
constexpr milliseconds drain_limit{1000};

// Closes a file descriptor on scope exit.
class unique_fd {
public:
  explicit unique_fd(int fd = -1) : fd_(fd) {
    // nop
  }

  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {
    // nop
  }

  unique_fd& operator=(unique_fd&& other) noexcept {
    reset(other.release());
    return *this;
  }

  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  ~unique_fd() {
    reset();
  }

  int get() const {
    return fd_;
  }

  int release() noexcept {
    auto fd = fd_;
    fd_ = -1;
    return fd;
  }

  void reset(int fd = -1) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_;
};

// Releases posix_spawn's attribute objects on scope exit.
struct spawn_setup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;

  spawn_setup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }

  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;

  ~spawn_setup() {
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
  }
};

// Writes all of `data`; gives up silently on errors such as a full disk,
// because the child must keep running and its pipe must keep draining.
void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void note(int log_fd, const std::string& text) {
  write_all(log_fd, "[retrain] " + text + "\n");
}

std::string quote(const std::vector<std::string>& argv) {
  std::string result;
  for (const auto& arg : argv) {
    if (!result.empty())
      result += ' ';
    result += '\'';
    for (auto ch : arg) {
      if (ch == '\'')
        result += "'\\''";
      else
        result += ch;
    }
    result += '\'';
  }
  return result;
}

// Remembers the last non-empty line of a byte stream.
class last_line_tracker {
public:
  void feed(std::string_view data) {
    while (!data.empty()) {
      auto eol = data.find('\n');
      auto piece = data.substr(0, eol);
      if (partial_.size() < process_runner::max_line)
        partial_.append(piece.substr(
          0,
          std::min(piece.size(), process_runner::max_line - partial_.size())));
      if (eol == std::string_view::npos)
        return;
      end_line();
      data.remove_prefix(eol + 1);
    }
  }

  std::string finish() {
    end_line();
    return std::move(last_);
  }

private:
  void end_line() {
    auto end = partial_.find_last_not_of(" \t\r\f\v");
    if (end != std::string::npos) {
      partial_.resize(end + 1);
      last_.swap(partial_);
    }
    partial_.clear();
  }

  std::string partial_;
  std::string last_;
};

// Opens a pidfd that becomes readable when `pid` exits, or returns -1 where
// the kernel has none (the runner then polls).
int open_pidfd([[maybe_unused]] pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  return -1;
#endif
}

enum class child_state { running, exited, lost };

// Checks whether `pid` exited, without reaping it: while it is an unreaped
// zombie, its pid (and thus its process group id) cannot be reused, so
// signalling the group stays safe.
child_state peek(pid_t pid) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  for (;;) {
    if (::waitid(P_PID, static_cast<id_t>(pid), &info,
                 WEXITED | WNOHANG | WNOWAIT)
        == 0)
      return info.si_pid == pid ? child_state::exited : child_state::running;
    if (errno != EINTR)
      return child_state::lost;
  }
}

} // namespace

process_runner::process_runner(milliseconds grace, std::string record_dir)
  : grace_(grace), record_dir_(std::move(record_dir)) {
  if (!record_dir_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(record_dir_, ec);
  }
}

namespace {

// Process groups of the commands running right now, so a stopping node can
// take them down instead of leaving trainers orphaned.
std::mutex running_mtx;
std::set<pid_t> running_pgids;

// The start time of `pid` (field 22 of /proc/<pid>/stat), or empty.
std::string start_time_of(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string stat{std::istreambuf_iterator<char>{in}, {}};
  auto close = stat.rfind(')');
  if (close == std::string::npos)
    return {};
  std::istringstream fields{stat.substr(close + 2)};
  std::string field;
  // Fields after the command name start at 3 (state); start time is 22.
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22)
      return field;
  return {};
}

struct running_group {
  pid_t pgid;
  std::string record;
  running_group(pid_t pid, const std::string& record_dir) : pgid(pid) {
    {
      std::lock_guard<std::mutex> guard{running_mtx};
      running_pgids.insert(pgid);
    }
    if (!record_dir.empty()) {
      record = record_dir + "/" + std::to_string(pgid);
      std::ofstream{record} << start_time_of(pgid) << '\n';
    }
  }
  ~running_group() {
    std::lock_guard<std::mutex> guard{running_mtx};
    running_pgids.erase(pgid);
    if (!record.empty())
      ::unlink(record.c_str());
  }
};

} // namespace

size_t kill_running_commands() {
  std::lock_guard<std::mutex> guard{running_mtx};
  for (auto pgid : running_pgids)
    ::kill(-pgid, SIGKILL);
  return running_pgids.size();
}

size_t kill_stale_commands(const std::string& record_dir) {
  size_t killed = 0;
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator{record_dir, ec}) {
    auto name = entry.path().filename().string();
    char* end = nullptr;
    auto pgid = static_cast<pid_t>(std::strtol(name.c_str(), &end, 10));
    if (pgid > 1 && *end == '\0') {
      std::ifstream in{entry.path()};
      std::string recorded;
      in >> recorded;
      // A pid is not reused while its process group exists: if the leader
      // is gone the group holds only our orphans; if the pid lives with
      // another start time it is someone else's.
      auto now = start_time_of(pgid);
      if ((now.empty() || now == recorded) && ::kill(-pgid, SIGKILL) == 0)
        ++killed;
    }
    std::filesystem::remove(entry.path(), ec);
  }
  return killed;
}

namespace {

// A child started by `spawn`, or why there is none.
struct spawned_child {
  // The child, leader of its own process group; -1 when it did not start.
  pid_t pid = -1;
  // The read end of the child's stdout.
  unique_fd out;
  // 127 when the program could not be started.
  int exit_code = -1;
  // Why the child did not start; empty when it did.
  std::string error;
};

// Starts `argv` in its own process group, with stdin from /dev/null, stdout
// into a pipe and stderr appended to `log_fd`; notes the command line in
// the log first.
spawned_child spawn(const std::vector<std::string>& argv, int log_fd) {
  spawned_child result;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    result.error = std::string{"cannot create a pipe: "} + std::strerror(errno);
    return result;
  }
  unique_fd out_read{out[0]};
  // Closed when this function returns, so that the child holds the only
  // write end and its exit ends the stream.
  unique_fd out_write{out[1]};
  note(log_fd, "running " + quote(argv));
  // posix_spawn instead of fork: safe in a multi-threaded process, and it
  // reports exec errors such as ENOENT to the caller.
  spawn_setup setup;
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, out_write.get(),
                                   STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, log_fd, STDERR_FILENO);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
  // Sockets and databases of the node that lack O_CLOEXEC stay with it.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
#endif
  // Own process group (so a timeout can kill everything the command
  // started), no inherited signal mask, default handling of the signals
  // a parent commonly ignores.
  sigset_t mask;
  sigemptyset(&mask);
  posix_spawnattr_setsigmask(&setup.attr, &mask);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (auto sig : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP
                                          | POSIX_SPAWN_SETSIGMASK
                                          | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  auto rc = ::posix_spawnp(&pid, args[0], &setup.actions, &setup.attr,
                           args.data(), environ);
  if (rc != 0) {
    result.exit_code = 127;
    result.error = "cannot run '" + argv[0] + "': " + std::strerror(rc);
    return result;
  }
  result.pid = pid;
  result.out = std::move(out_read);
  return result;
}

// Copies a child's stdout into its log as it comes and remembers the last
// line.
class output_drain {
public:
  output_drain(unique_fd out, int log_fd)
    : out_(std::move(out)), log_fd_(log_fd) {
    // nop
  }

  // The pipe to poll, or -1 once it is closed.
  int fd() const {
    return out_.get();
  }

  // Copies what is available; closes the pipe at end of file or on an
  // error.
  void read_some() {
    auto n = ::read(out_.get(), buf_, sizeof(buf_));
    if (n < 0) {
      if (errno != EINTR && errno != EAGAIN)
        out_.reset();
      return;
    }
    if (n == 0) {
      out_.reset();
      return;
    }
    std::string_view chunk{buf_, static_cast<size_t>(n)};
    write_all(log_fd_, chunk);
    last_line_.feed(chunk);
  }

  // Copies the rest, waiting at most `limit`: once the child exited and its
  // group was killed, only a process that left the group can keep the pipe
  // open.
  void finish(milliseconds limit) {
    auto until = steady_clock::now() + limit;
    while (out_.get() >= 0) {
      auto left
        = std::chrono::duration_cast<milliseconds>(until - steady_clock::now());
      if (left.count() <= 0)
        break;
      pollfd fd{out_.get(), POLLIN, 0};
      if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0)
        break;
      read_some();
    }
  }

  // The last non-empty line copied.
  std::string last_line() {
    return last_line_.finish();
  }

private:
  unique_fd out_;
  int log_fd_;
  last_line_tracker last_line_;
  char buf_[64 * 1024];
};

// Sends `action` to the process group `pgid`, noting in the log why: `why`
// for SIGTERM, the grace that ran out for SIGKILL.
void escalate(pid_t pgid, core::kill_action action, const std::string& why,
              const core::kill_schedule& schedule, int log_fd) {
  auto to_group = std::string{", sending "} + core::to_string(action)
                  + " to process group " + std::to_string(pgid);
  switch (action) {
    case core::kill_action::term:
      note(log_fd, why + to_group);
      ::kill(-pgid, SIGTERM);
      break;
    case core::kill_action::kill:
      note(log_fd, "still running after " + render_duration(schedule.grace())
                     + to_group);
      ::kill(-pgid, SIGKILL);
      break;
    default:
      break;
  }
}

// Waits until the child `pid` exits (or was reaped elsewhere), without
// reaping it, copying its stdout meanwhile and signalling its group when
// `schedule` says; `why` explains a SIGTERM in the log.
child_state watch(pid_t pid, output_drain& output,
                  core::kill_schedule& schedule, const std::string& why,
                  int log_fd) {
  unique_fd pidfd{open_pidfd(pid)};
  auto state = child_state::running;
  while (state == child_state::running) {
    auto now = steady_clock::now();
    auto step = schedule.next(now);
    for (; step.action != core::kill_action::none; step = schedule.next(now)) {
      escalate(pid, step.action, why, schedule, log_fd);
      schedule.sent(step.action, now);
    }
    auto wait = std::chrono::duration_cast<milliseconds>(step.wake - now)
                + milliseconds{1};
    if (pidfd.get() < 0)
      wait = std::min(wait, exit_poll_interval);
    pollfd fds[2];
    nfds_t nfds = 0;
    if (output.fd() >= 0)
      fds[nfds++] = {output.fd(), POLLIN, 0};
    if (pidfd.get() >= 0)
      fds[nfds++] = {pidfd.get(), POLLIN, 0};
    auto ready = ::poll(
      fds, nfds,
      static_cast<int>(std::min<milliseconds::rep>(wait.count(), 60'000)));
    if (ready > 0 && output.fd() >= 0 && fds[0].revents != 0)
      output.read_some();
    state = peek(pid);
  }
  return state;
}

// Reaps the exited child `pid` and records how it ended.
void reap(pid_t pid, process_outcome& result) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ; // retry
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
}

// `x` in the schedule's unit, saturating: a timeout of centuries must not
// wrap around into the past.
core::kill_schedule::duration saturated(milliseconds x) {
  using result_type = core::kill_schedule::duration;
  constexpr auto limit
    = std::chrono::duration_cast<milliseconds>(result_type::max());
  if (x >= limit)
    return result_type::max();
  if (x <= -limit)
    return result_type::min();
  return x;
}

} // namespace

process_outcome process_runner::run(const std::vector<std::string>& argv,
                                    const std::string& log_file,
                                    milliseconds timeout) const {
  auto start = steady_clock::now();
  process_outcome result;
  auto done = [&] {
    result.duration = steady_clock::now() - start;
    return std::move(result);
  };
  if (argv.empty()) {
    result.error = "cannot run an empty command";
    return done();
  }
  unique_fd log{
    ::open(log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)};
  if (log.get() < 0) {
    result.error = "cannot open log file '" + log_file
                   + "': " + std::strerror(errno);
    return done();
  }
  auto child = spawn(argv, log.get());
  if (child.pid < 0) {
    result.exit_code = child.exit_code;
    result.error = std::move(child.error);
    note(log.get(), result.error);
    return done();
  }
  running_group guard{child.pid, record_dir_};
  output_drain output{std::move(child.out), log.get()};
  core::kill_schedule schedule{
    core::kill_schedule::deadline_after(start, saturated(timeout)),
    saturated(grace_)};
  auto state = watch(child.pid, output, schedule,
                     "timed out after " + render_duration(timeout), log.get());
  result.timed_out = schedule.last_sent() != core::kill_action::none;
  if (state == child_state::lost) {
    result.error = "lost child " + std::to_string(child.pid)
                   + ": it was reaped elsewhere (is SIGCHLD ignored?)";
    note(log.get(), result.error);
  } else {
    // Whatever the child left behind in its group does not outlive it.
    ::kill(-child.pid, SIGKILL);
  }
  output.finish(drain_limit);
  result.last_line = output.last_line();
  if (state == child_state::exited)
    reap(child.pid, result);
  auto outcome = done();
  if (outcome.error.empty()) {
    note(log.get(),
         render_exit(outcome) + " after " + render_duration(outcome.duration));
  }
  return outcome;
}

std::string render_exit(const process_outcome& x) {
  if (x.signal != 0)
    return "killed by signal " + std::to_string(x.signal) + " ("
           + strsignal(x.signal) + ")";
  return "exit code " + std::to_string(x.exit_code);
}

std::string render_duration(std::chrono::nanoseconds x) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(x).count();
  if (ms < 1000)
    return std::to_string(ms) + "ms";
  if (ms < 60'000) {
    auto result = std::to_string(ms / 1000);
    if (auto frac = ms % 1000; frac != 0) {
      auto digits = std::to_string(1000 + frac).substr(1);
      digits.erase(digits.find_last_not_of('0') + 1);
      result += '.' + digits;
    }
    return result + 's';
  }
  auto secs = ms / 1000;
  auto result = std::to_string(secs / 60) + 'm';
  if (secs % 60 != 0)
    result += std::to_string(secs % 60) + 's';
  return result;
}

} // namespace retrain
