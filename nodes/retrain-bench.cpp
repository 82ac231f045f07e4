// retrain-bench: pushes the seed bench's events through retrain's actors and
// prints one result line (see `retrain-bench --help`).

#include <cstdio>
#include <cstdlib>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "bench/options.hpp"
#include "bench/run.hpp"
#include "retrain/config_error.hpp"
#include "retrain/register_messages.hpp"

int main(int argc, char** argv) {
  using namespace retrain::bench;
  for (int i = 1; i < argc; ++i) {
    if (std::string{argv[i]} == "--help" || std::string{argv[i]} == "-h") {
      std::fputs(usage(), stdout);
      return 0;
    }
  }
  options opt;
  if (auto err = parse(argc, argv, opt)) {
    std::fprintf(stderr, "retrain-bench: %s\n%s",
                 retrain::error_text(err).c_str(), usage());
    return 2;
  }
  auto logger = spdlog::stderr_logger_mt("retrain-bench");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(opt.log_level));
  spdlog::set_default_logger(logger);
  caf::actor_system_config cfg;
  retrain::register_messages(cfg);
  // Work stealing falls off a cliff when one actor wakes tens of thousands
  // of monitors; see the README's Performance section.
  cfg.set("scheduler.policy", opt.scheduler == "sharing"
                                ? caf::atom("sharing")
                                : caf::atom("stealing"));
  if (opt.threads > 0)
    cfg.set("scheduler.max-threads", opt.threads);
  if (opt.mode == "remote")
    cfg.load<caf::io::middleman>();
  try {
    caf::actor_system sys{cfg};
    caf::error err;
    if (opt.mode == "local")
      err = run_local(sys, opt);
    else if (opt.mode == "http")
      err = run_http(opt);
    else if (opt.mode == "remote")
      err = run_remote(sys, opt);
    else
      err = run_memory(sys, opt);
    if (err) {
      std::fprintf(stderr, "retrain-bench: %s\n", sys.render(err).c_str());
      std::fflush(stderr);
      std::_Exit(1);
    }
    // Detached workers and the coordinator need not wind down.
    std::fflush(stdout);
    std::_Exit(0);
  } catch (std::exception& ex) {
    std::fprintf(stderr, "retrain-bench: %s\n", ex.what());
    return 1;
  }
}
