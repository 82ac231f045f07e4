#include "node.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/send.hpp>

#include "allocator.hpp"
#include "retrain/coordinator_link.hpp"
#include "retrain/dispatcher.hpp"
#include "retrain/ec.hpp"
#include "retrain/ingest.hpp"
#include "retrain/log.hpp"
#include "retrain/process_runner.hpp"
#include "retrain/retrain_worker.hpp"
#include "retrain/supervisor.hpp"

namespace retrain {

namespace {

// Publishes `handle` on `host:port`; returns the bound port.
template <class Handle>
caf::expected<uint16_t> publish(caf::actor_system& sys, const Handle& handle,
                                const node_settings& cfg, uint16_t port,
                                const char* what) {
  // With TLS configured, links go through CAF's openssl manager.
  auto bound = sys.has_openssl_manager()
                 ? caf::openssl::publish(handle, port, cfg.host.c_str(), true)
                 : sys.middleman().publish(handle, port, cfg.host.c_str(),
                                           true);
  if (!bound)
    return caf::make_error(ec::unreachable, std::string{"cannot publish the "}
                                              + what + " on " + cfg.host + ":"
                                              + std::to_string(port) + ": "
                                              + sys.render(bound.error()));
  return *bound;
}

// Waits for SIGINT or SIGTERM.
int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

// Holds an exclusive lock on `<data_dir>/node.lock` for the life of the
// process: two nodes on one data dir would run each other's jobs twice and
// write one registry.db from two coordinators.
caf::error lock_data_dir(const std::string& data_dir) {
  auto path = data_dir + "/node.lock";
  auto fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return caf::make_error(ec::storage_failure,
                           "cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    auto n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    std::string owner = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' '))
      owner.pop_back();
    ::close(fd);
    return caf::make_error(ec::invalid_config,
                           "retrain.data-dir '" + data_dir
                             + "' is in use by another retrain-node"
                             + (owner.empty() ? "" : " (pid " + owner + ")"));
  }
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.data(), pid.size(), 0) < 0)
    log().warn("cannot write {}: {}", path, std::strerror(errno));
  // The descriptor stays open (and locked) until the process ends.
  return caf::none;
}

} // namespace

caf::error run_node(caf::actor_system& sys, const node_settings& cfg) {
  if (cfg.role != node_role::monitor)
    if (auto err = lock_data_dir(cfg.data_dir))
      return err;
  std::vector<caf::actor> actors;
  auto keep = [&](const auto& handle) {
    actors.push_back(caf::actor_cast<caf::actor>(handle));
  };
  dispatcher_actor coordinator;
  if (cfg.role == node_role::all || cfg.role == node_role::coordinator) {
    auto coord = spawn_coordinator(sys, cfg.job, cfg.request_timeout);
    if (!coord)
      return std::move(coord.error());
    keep(coord->registry);
    coordinator = coord->dispatcher;
    keep(coordinator);
    auto port = publish(sys, coordinator, cfg, cfg.coordinator_port,
                        "coordinator");
    if (!port)
      return port.error();
    log().info("retrain-node coordinator listening on {}:{}", cfg.host, *port);
  }
  std::vector<retrain_worker_actor> workers;
  if (cfg.role == node_role::all || cfg.role == node_role::worker) {
    // Commands a killed predecessor left running would train the same job
    // a second time once it is re-queued.
    if (auto n = kill_stale_commands(running_record_dir(cfg.job)))
      log().warn("retrain-node killed {} job commands left running by a "
                 "previous run",
                 n);
    for (uint32_t i = 0; i < cfg.workers; ++i) {
      workers.push_back(spawn_retrain_worker(sys, cfg.job));
      keep(workers.back());
    }
  }
  // Every node but a bare coordinator talks to its coordinator through a
  // link: the one of this process in role `all`, else one it reaches over
  // the network and keeps trying, so start order does not matter.
  coordinator_link_actor link;
  if (cfg.role != node_role::coordinator) {
    coordinator_location where;
    where.local = coordinator;
    where.host = cfg.coordinator.host;
    where.port = cfg.coordinator.port;
    link = sys.spawn(coordinator_link, std::move(where), cfg.request_timeout,
                     std::move(workers));
    keep(link);
  }
  if (cfg.role == node_role::all || cfg.role == node_role::monitor) {
    auto sup = sys.spawn(supervisor, cfg.monitor, link);
    keep(sup);
    auto in = sys.spawn(ingest, sup, cfg.monitor, cfg.request_timeout);
    keep(in);
    auto port = publish(sys, in, cfg, cfg.ingest_port, "ingest actor");
    if (!port)
      return port.error();
    log().info("retrain-node ingest listening on {}:{}", cfg.host, *port);
  }
  if (!coordinator)
    log().info("retrain-node looking for the coordinator at {}:{}",
               cfg.coordinator.host, cfg.coordinator.port);
  log().info("retrain-node ready (role {}, data dir {}, {} malloc)",
             to_string(cfg.role), cfg.data_dir, allocator_name());
  auto sig = wait_for_signal();
  log().info("retrain-node stopping on signal {}", sig);
  for (auto& handle : actors)
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  // Running jobs stay `running` in the database and are re-queued at the
  // next start; their commands must not outlive the node.
  if (auto n = kill_running_commands())
    log().info("retrain-node killed {} running job commands", n);
  return caf::none;
}

} // namespace retrain
