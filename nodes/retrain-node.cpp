// retrain-node: runs the actors of one role (by default all of them).

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

#include <sys/resource.h>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "fence.hpp"
#include "node.hpp"
#include "retrain/command_template.hpp"
#include "retrain/ec.hpp"
#include "retrain/exposure.hpp"
#include "retrain/json_log.hpp"
#include "retrain/node_config.hpp"
#include "version.hpp"

namespace {

// Below this many descriptors a node with many producers or nodes runs out.
constexpr rlim_t low_open_file_limit = 4096;

// Raises the soft limit of open files to the hard limit: every producer
// connection, node link and job log is a descriptor, and 1,100 idle
// connections took both binary ports of a node at the usual soft 1,024.
void raise_open_file_limit(spdlog::logger& logger) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    logger.warn("open-file limit unknown: {}", std::strerror(errno));
    return;
  }
  auto before = lim.rlim_cur;
  auto target = lim.rlim_max;
  // An unlimited hard limit cannot be the soft one: the kernel caps open
  // files at fs.nr_open.
  if (target == RLIM_INFINITY) {
    target = 1024 * 1024;
    if (auto f = std::fopen("/proc/sys/fs/nr_open", "r")) {
      unsigned long long n = 0;
      if (std::fscanf(f, "%llu", &n) == 1 && n > 0)
        target = static_cast<rlim_t>(n);
      std::fclose(f);
    }
  }
  if (before < target) {
    lim.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      logger.warn("open-file limit stays {}: cannot raise it to {}: {}", before,
                  target, std::strerror(errno));
      return;
    }
    logger.info("open-file limit raised from {} to {}", before, target);
  } else {
    logger.info("open-file limit {} (the hard limit is {})", before,
                lim.rlim_max == RLIM_INFINITY ? std::string{"unlimited"}
                                              : std::to_string(lim.rlim_max));
  }
  if (target < low_open_file_limit)
    logger.warn("open-file limit {} is low: every connection and job log "
                "takes a descriptor; raise the hard limit to at least {} "
                "(LimitNOFILE= in the systemd unit, ulimit -Hn, "
                "/etc/security/limits.conf)",
                target, low_open_file_limit);
}

} // namespace

int main(int argc, char** argv) {
  // The fence of a worker node is this program run again (`start_fence`).
  if (argc > 1 && std::string_view{argv[1]} == "--fence")
    return retrain::run_fence(argc, argv);
  for (int i = 1; i < argc; ++i) {
    if (std::string_view{argv[i]} == "--version") {
      std::cout << retrain::version_line("retrain-node") << '\n';
      return 0;
    }
  }
  // Signals are taken by sigwait in run_node: block them in every thread.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  retrain::node_config cfg;
  auto settings = cfg.parse_settings(argc, argv);
  if (!settings) {
    std::cerr << "retrain-node: " << retrain::error_text(settings.error())
              << '\n';
    return 2;
  }
  if (cfg.help_requested())
    return 0;
  // A typo in the command template or a program the workers of this node
  // cannot run stops the node now, not every job later.
  auto bad_command = retrain::check_command_template(settings->job.command);
  if (!bad_command && settings->role != retrain::node_role::coordinator
      && settings->role != retrain::node_role::monitor)
    bad_command = retrain::check_command_program(settings->job.command,
                                                 std::getenv("PATH"));
  if (bad_command) {
    std::cerr << "retrain-node: retrain.job.command: "
              << retrain::error_text(bad_command) << '\n';
    return 2;
  }
  auto logger = spdlog::stderr_logger_mt("retrain-node");
  if (settings->log_format == "json")
    logger->set_formatter(
      retrain::make_json_formatter(retrain::to_string(settings->role)));
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(settings->log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  logger->info("{} starting", retrain::version_line("retrain-node"));
  cfg.load<caf::io::middleman>();
  // With a certificate, key and CA set, every node link uses mutual TLS
  // and peers without a certificate from that CA are refused.
  int tls_keys = 0;
  for (auto key : {"openssl.certificate", "openssl.key", "openssl.cafile"})
    if (!caf::get_or(cfg, key, std::string{}).empty())
      ++tls_keys;
  if (tls_keys == 3) {
    cfg.load<caf::openssl::manager>();
  } else if (tls_keys > 0) {
    std::cerr << "retrain-node: TLS needs all of openssl.certificate, "
                 "openssl.key and openssl.cafile\n";
    return 2;
  }
  // The binary ports stay on loopback or behind mutual TLS unless told.
  auto exposure = retrain::plaintext_exposure(*settings, tls_keys == 3);
  if (!exposure.empty() && !settings->edge.allow_plaintext) {
    logger->flush();
    std::cerr << "retrain-node: " << exposure << ". "
              << retrain::plaintext_advice << ".\n";
    return 2;
  }
  if (!exposure.empty())
    logger->warn("retrain-node {} (retrain.allow-plaintext): anyone "
                 "who reaches these ports can make the node allocate "
                 "without limit; keep them inside a trusted network",
                 exposure);
  raise_open_file_limit(*logger);
  try {
    caf::actor_system sys{cfg};
    if (auto err = retrain::run_node(sys, *settings)) {
      logger->error("retrain-node: {}", sys.render(err));
      logger->flush();
      // A data dir or database the node cannot use is a setup error, like
      // a bad key (exit 2); a port in use or a peer is not (exit 1). Leave
      // at once: actors already spawned must not keep the process up.
      auto setup_error = err == retrain::ec::storage_failure
                         || err == retrain::ec::invalid_config;
      std::_Exit(setup_error ? 2 : 1);
    }
    logger->flush();
    // Jobs are on disk after every transition; a running job is re-queued
    // at the next start. Do not wait for workers blocked in a child process.
    std::_Exit(0);
  } catch (std::exception& ex) {
    std::cerr << "retrain-node: " << ex.what() << '\n';
    return 1;
  }
}
