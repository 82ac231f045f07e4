#include "fence.hpp"

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <caf/sec.hpp>

#include "retrain/json_log.hpp"
#include "retrain/process_runner.hpp"

extern char** environ;

namespace retrain {

namespace {

// The lease's read end, as the fence process sees it.
constexpr int lease_fd = 3;

// How often the fence looks at the clock while no renewal comes.
constexpr std::chrono::milliseconds tick{100};

} // namespace

caf::expected<int> start_fence(const fence_config& cfg) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return caf::make_error(caf::sec::runtime_error,
                           std::string{"cannot start the fence: pipe: "}
                             + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, fds[0], lease_fd);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
  posix_spawn_file_actions_addclosefrom_np(&actions, lease_fd + 1);
#endif
  // A group of its own: a SIGSTOP or SIGKILL for the node's group must not
  // reach the fence, which is there for exactly that case.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t mask;
  sigemptyset(&mask);
  posix_spawnattr_setsigmask(&attr, &mask);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP
                                    | POSIX_SPAWN_SETSIGMASK);
  auto timeout = std::to_string(cfg.timeout.count());
  std::vector<std::string> args{"retrain-node", "--fence",
                                std::to_string(lease_fd), cfg.record_dir,
                                timeout, cfg.role, cfg.log_format};
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  auto rc = ::posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv.data(),
                          environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    return caf::make_error(caf::sec::runtime_error,
                           std::string{"cannot start the fence: "}
                             + std::strerror(rc));
  }
  // Renewals never block the node: a full pipe means the fence is behind,
  // not that the lease lapsed.
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  return fds[1];
}

int run_fence(int argc, char** argv) {
  if (argc != 7)
    return 2;
  int fd = std::atoi(argv[2]);
  std::string record_dir = argv[3];
  std::chrono::milliseconds timeout{std::atoll(argv[4])};
  std::string role = argv[5];
  std::string format = argv[6];
  auto logger = spdlog::stderr_logger_mt("retrain-fence");
  if (format == "json")
    logger->set_formatter(make_json_formatter(role));
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->flush_on(spdlog::level::info);
  // The node's stop signals are the node's business.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  using clock = std::chrono::steady_clock;
  auto renewed = clock::now();
  bool fenced = false;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    auto ready = ::poll(&p, 1, static_cast<int>(tick.count()));
    if (ready > 0) {
      char buf[256];
      auto n = ::read(fd, buf, sizeof(buf));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        // The node is gone (killed, crashed): its commands go with it, or
        // they would train a job the coordinator runs again elsewhere.
        if (auto killed = kill_stale_commands(record_dir))
          logger->warn("fence the node is gone: killed {} job commands",
                       killed);
        return 0;
      }
      if (n > 0) {
        renewed = clock::now();
        if (fenced)
          logger->info("fence the node reached its coordinator again");
        fenced = false;
      }
    }
    auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(
      clock::now() - renewed);
    if (fenced && silent > timeout) {
      // A node stopped while it started a command starts it when it goes
      // on, before it learns that it lost the coordinator.
      if (auto killed = kill_stale_commands(record_dir))
        logger->warn("fence still no word from the coordinator: killed {} "
                     "job commands started meanwhile",
                     killed);
    } else if (!fenced && silent > timeout) {
      fenced = true;
      auto killed = kill_stale_commands(record_dir);
      if (killed > 0)
        logger->warn("fence no word from the coordinator for {} ms (the node "
                     "is stopped or cut off; the coordinator has re-queued "
                     "its jobs): killed {} job commands",
                     silent.count(), killed);
      else
        logger->info("fence no word from the coordinator for {} ms: no job "
                     "command to stop",
                     silent.count());
    }
  }
}

} // namespace retrain
