// retrain-node: runs the actors of one role (by default all of them).

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "fence.hpp"
#include "node.hpp"
#include "retrain/command_template.hpp"
#include "retrain/ec.hpp"
#include "retrain/json_log.hpp"
#include "retrain/node_config.hpp"
#include "version.hpp"

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
