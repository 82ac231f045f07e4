#include "node.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "allocator.hpp"
#include "fence.hpp"
#include "retrain/config_error.hpp"
#include "retrain/coordinator_gate.hpp"
#include "retrain/coordinator_link.hpp"
#include "retrain/dispatcher.hpp"
#include "retrain/ec.hpp"
#include "retrain/edge/http_api.hpp"
#include "retrain/edge/metrics.hpp"
#include "retrain/edge/webhook.hpp"
#include "retrain/ingest.hpp"
#include "retrain/lease_keeper.hpp"
#include "retrain/log.hpp"
#include "retrain/pg_db.hpp"
#include "retrain/process_runner.hpp"
#include "retrain/registry_schema.hpp"
#include "retrain/retrain_worker.hpp"
#include "retrain/shard_router.hpp"
#include "retrain/supervisor.hpp"
#include "version.hpp"

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

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Waits for SIGINT or SIGTERM.
int wait_for_signal() {
  auto set = stop_signals();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

// Waits up to `timeout` for SIGINT or SIGTERM; returns it, or 0.
int poll_signal(std::chrono::milliseconds timeout) {
  auto set = stop_signals();
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1'000'000)};
  auto sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

// What a stopping node finishes before it exits.
struct drain_targets {
  ingest_self_actor ingest;
  supervisor_actor supervisor;
  coordinator_link_self_actor link;
  /// A monitor node's shard router: its shards move away first.
  shard_router_self_actor router;
};

// Stops intake, has every event that was accepted applied (so the triggers
// it causes are decided) and waits for the link's outbox to be
// acknowledged; returns whether all of that happened before `deadline`.
bool drain(caf::actor_system& sys, const drain_targets& t,
           std::chrono::steady_clock::time_point deadline) {
  caf::scoped_actor self{sys};
  auto left = [&] {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    return std::max(ms, std::chrono::milliseconds{1});
  };
  bool ok = true;
  auto fail = [&](const char* step) {
    return [&ok, step, &sys](caf::error& err) {
      log().warn("retrain-node draining: {}: {}", step, sys.render(err));
      ok = false;
    };
  };
  if (t.ingest)
    self->request(t.ingest, left(), atom::drain::value)
      .receive([](uint64_t) {}, fail("stopping intake"));
  // Before the link drains: the coordinator moves this node's shards to
  // the other monitor nodes, handed over with their monitors' state, and
  // the events parked here go to their new owners.
  if (ok && t.router)
    self->request(t.router, left(), atom::leave::value)
      .receive(
        [](uint64_t moved) {
          log().info("retrain-node draining: {} shards handed over to other "
                     "monitor nodes",
                     moved);
        },
        // Not fatal: the others restore this node's last periodic
        // snapshots, and the triggers below still go out.
        [&sys](caf::error& err) {
          log().warn("retrain-node draining: the shards were not handed "
                     "over: {}",
                     sys.render(err));
        });
  if (ok && t.supervisor)
    self->request(t.supervisor, left(), atom::stats::value)
      .receive(
        [](monitor_stats& ms) {
          log().info("retrain-node draining: every accepted event is applied "
                     "({} events, {} triggers)",
                     ms.events, ms.triggers);
        },
        fail("applying the accepted events"));
  if (ok && t.link)
    self->request(t.link, left(), atom::drain::value)
      .receive(
        [](uint64_t) {
          log().info("retrain-node draining: every trigger is acknowledged");
        },
        fail("delivering the triggers"));
  return ok;
}

// After the first SIGTERM or SIGINT: drains for up to `grace`, watching
// for a second signal, which ends the wait at once.
void stop(caf::actor_system& sys, const drain_targets& t,
          std::chrono::milliseconds grace, const std::string& data_dir) {
  auto deadline = std::chrono::steady_clock::now() + grace;
  std::atomic<bool> done{false};
  std::atomic<bool> drained{false};
  std::thread worker{[&] {
    drained = drain(sys, t, deadline);
    done = true;
  }};
  int second = 0;
  while (!done && second == 0)
    second = poll_signal(std::chrono::milliseconds{100});
  if (second != 0) {
    log().warn("retrain-node signal {} during the drain: exiting at once",
               second);
    worker.detach();
  } else {
    worker.join();
    if (!drained)
      log().warn("retrain-node the drain did not finish within {} ms",
                 grace.count());
  }
  if (t.link) {
    caf::scoped_actor self{sys};
    self->request(t.link, std::chrono::seconds{5}, atom::spill::value)
      .receive(
        [&](uint64_t n) {
          if (n > 0)
            log().warn("retrain-node {} undelivered triggers kept in {}; "
                       "they are delivered at the next start",
                       n, outbox_file(data_dir));
        },
        [&](caf::error& err) {
          log().error("retrain-node cannot keep the undelivered triggers: {}",
                      sys.render(err));
        });
  }
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

// The gate and lease keeper of a coordinator in a failover group.
struct failover_actors {
  caf::actor gate;
  caf::actor keeper;
};

// Starts a coordinator that shares its PostgreSQL registry with others: it
// publishes its gate at once (a standby until it holds the lease) and
// leaves the rest to its lease keeper, which spawns the dispatcher and the
// registry once it takes the lease.
caf::expected<failover_actors> start_failover(caf::actor_system& sys,
                                              const node_settings& cfg,
                                              news_actor webhooks) {
  // The keeper's own connection; opening it creates or updates the
  // schema, so a bad URL or a database out of reach stops the node now.
  auto db = open_registry_db(cfg.job.data_dir, cfg.job.registry_url);
  if (!db)
    return std::move(db.error());
  core::lease_timing timing{cfg.job.lease_timeout};
  auto fence = std::make_shared<write_fence>();
  failover_actors result;
  result.gate = sys.spawn(coordinator_gate, timing, fence, node_version());
  auto port = publish(sys, caf::actor_cast<dispatcher_actor>(result.gate), cfg,
                      cfg.coordinator_port, "coordinator");
  if (!port) {
    caf::anon_send_exit(result.gate, caf::exit_reason::user_shutdown);
    return port.error();
  }
  log().info("retrain-node coordinator listening on {}:{}", cfg.host, *port);
  lease_keeper_config kc;
  kc.holder = cfg.host + ":" + std::to_string(*port) + " pid "
              + std::to_string(::getpid());
  kc.timing = timing;
  kc.job = cfg.job;
  kc.request_timeout = cfg.request_timeout;
  kc.news = std::move(webhooks);
  result.keeper = sys.spawn<caf::detached>(lease_keeper, std::move(*db),
                                           std::move(kc), fence, result.gate);
  return result;
}

// Steps a coordinator of a failover group down and releases its lease, so
// that a standby takes over at its next look rather than after the lease
// timeout.
void stop_failover(caf::actor_system& sys, const failover_actors& x) {
  caf::scoped_actor self{sys};
  auto ignore = [](caf::error&) {};
  self->request(x.gate, std::chrono::seconds{5}, atom::drain::value)
    .receive([](uint64_t) {}, ignore);
  self->request(x.keeper, std::chrono::seconds{5}, atom::drain::value)
    .receive([](uint64_t) {}, ignore);
}

// A monitor node's shard router and the port other monitor nodes reach it on.
struct shard_routing {
  shard_router_self_actor router;
  uint16_t port = 0;
};

// Has `router` record what it applies in `file`, if set
// (`retrain.cluster.apply-journal`): an error naming the key when the file
// cannot be opened.
caf::error open_apply_journal(caf::actor_system& sys,
                              const shard_router_self_actor& router,
                              const std::string& file) {
  if (file.empty())
    return caf::none;
  caf::scoped_actor self{sys};
  caf::error result;
  self->request(router, std::chrono::seconds{5}, atom::store::value, file)
    .receive([](bool) {},
             [&](caf::error& err) {
               result = caf::make_error(ec::invalid_config,
                                        "retrain.cluster.apply-journal: "
                                          + error_text(err));
             });
  return result;
}

// Spawns the router between ingest and the supervisor and publishes it on
// `retrain.cluster.port`.
caf::expected<shard_routing> start_shard_router(caf::actor_system& sys,
                                                const node_settings& cfg,
                                                const drain_targets& t) {
  shard_routing result;
  result.router = sys.spawn(shard_router, t.supervisor,
                            coordinator_link_actor{t.link}, cfg.request_timeout,
                            cfg.monitor.persist_interval);
  if (auto err = open_apply_journal(sys, result.router, cfg.apply_journal))
    return err;
  auto port = publish(sys, shard_router_actor{result.router}, cfg,
                      cfg.shard_port, "shard router");
  if (!port)
    return port.error();
  result.port = *port;
  log().info("retrain-node shard router listening on {}:{}", cfg.host, *port);
  return result;
}

} // namespace

caf::error run_node(caf::actor_system& sys, const node_settings& cfg) {
  if (auto err = lock_data_dir(cfg.data_dir))
    return err;
  std::vector<caf::actor> actors;
  auto keep = [&](const auto& handle) {
    actors.push_back(caf::actor_cast<caf::actor>(handle));
  };
  dispatcher_actor coordinator;
  // Webhooks leave from the coordinator, which sees every trigger and job.
  auto webhook_counters = std::make_shared<edge::webhook_counters>();
  news_actor webhooks;
  if (cfg.role == node_role::all || cfg.role == node_role::coordinator) {
    if (!cfg.edge.webhooks.empty()) {
      webhooks = edge::spawn_webhook(sys, cfg.edge, webhook_counters);
      keep(webhooks);
    }
  } else if (!cfg.edge.webhooks.empty()) {
    log().warn("retrain-node retrain.webhooks is ignored: webhooks are sent "
               "by the node with the coordinator");
  }
  // A coordinator on PostgreSQL takes part in failover: it holds a lease
  // on the database while active and is a standby otherwise. So does the
  // one of role `all`: no two coordinators ever write one registry, even
  // when a node in role `all` is pointed at a failover group's database.
  failover_actors failover;
  if ((cfg.role == node_role::coordinator || cfg.role == node_role::all)
      && is_postgresql_url(cfg.job.registry_url)) {
    auto started = start_failover(sys, cfg, webhooks);
    if (!started)
      return std::move(started.error());
    failover = std::move(*started);
    keep(failover.gate);
    keep(failover.keeper);
    coordinator = caf::actor_cast<dispatcher_actor>(failover.gate);
  } else if (cfg.role == node_role::all || cfg.role == node_role::coordinator) {
    auto coord = spawn_coordinator(sys, cfg.job, cfg.request_timeout, webhooks);
    if (!coord)
      return std::move(coord.error());
    keep(coord->registry);
    coordinator = coord->dispatcher;
    caf::anon_send(coordinator, atom::hello::value, node_version());
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
  drain_targets targets;
  if (cfg.role != node_role::coordinator) {
    coordinator_location where;
    where.local = coordinator;
    where.host = cfg.coordinator.host;
    where.port = cfg.coordinator.port;
    if (!cfg.coordinator.more.empty())
      where.all = cfg.coordinator.all();
    // Worker nodes fence their job commands: a node that is stopped or
    // cut off from the coordinator longer than the coordinator waits for
    // it loses them, so an attempt never overlaps its re-run for long.
    int lease_fd = -1;
    if (!workers.empty()) {
      fence_config fc;
      fc.record_dir = running_record_dir(cfg.job);
      fc.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        caf::get_or(sys.config(), "middleman.connection-timeout",
                    caf::timespan{std::chrono::seconds{3}}));
      fc.role = to_string(cfg.role);
      fc.log_format = cfg.log_format;
      auto fd = start_fence(fc);
      if (!fd)
        return std::move(fd.error());
      lease_fd = *fd;
    }
    targets.link = sys.spawn(coordinator_link, std::move(where),
                             cfg.request_timeout, std::move(workers),
                             outbox_file(cfg.data_dir), lease_fd,
                             node_version());
    keep(targets.link);
  }
  if (cfg.role == node_role::all || cfg.role == node_role::monitor) {
    targets.supervisor = sys.spawn(supervisor, cfg.monitor,
                                   coordinator_link_actor{targets.link});
    keep(targets.supervisor);
    auto shards = start_shard_router(sys, cfg, targets);
    if (!shards)
      return std::move(shards.error());
    keep(shards->router);
    targets.router = shards->router;
    targets.ingest = sys.spawn(ingest, supervisor_actor{shards->router},
                               cfg.monitor, cfg.request_timeout);
    keep(targets.ingest);
    auto port = publish(sys, monitor_node_actor{targets.ingest}, cfg,
                        cfg.ingest_port, "ingest actor");
    if (!port)
      return port.error();
    log().info("retrain-node ingest listening on {}:{}", cfg.host, *port);
    // The node's name in the shard map is its ingest endpoint; the router
    // tells its link, which joins the map with it.
    caf::anon_send(shards->router,
                   shard_member{cfg.host + ":" + std::to_string(*port),
                                cfg.host, shards->port});
  }
  edge::metric_sources metrics{
    targets.ingest, coordinator,
    targets.link,   webhooks ? webhook_counters : nullptr,
    node_version(), cfg.edge.metrics_per_model};
  auto http = edge::start_http(
    sys, cfg, {targets.ingest, coordinator, targets.link},
    [&](edge::http_server& server) {
      edge::add_metrics_route(server, sys, metrics, cfg.request_timeout);
    });
  if (!http)
    return std::move(http.error());
  if (!coordinator)
    log().info("retrain-node looking for the coordinator at {}",
               to_string(cfg.coordinator));
  log().info("retrain-node ready (role {}, data dir {}, {} malloc)",
             to_string(cfg.role), cfg.data_dir, allocator_name());
  auto sig = wait_for_signal();
  if (*http)
    (*http)->drain();
  if (targets.ingest || targets.link) {
    log().info("retrain-node stopping on signal {}: draining for up to {} "
               "ms (a second signal exits at once)",
               sig, cfg.shutdown_grace.count());
    stop(sys, targets, cfg.shutdown_grace, cfg.data_dir);
  } else {
    log().info("retrain-node stopping on signal {}", sig);
  }
  if (failover.gate)
    stop_failover(sys, failover);
  // HTTP stops before the actors it asks.
  http->reset();
  for (auto& handle : actors)
    caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
  // Running jobs stay `running` in the database and are re-queued at the
  // next start; their commands must not outlive the node.
  if (auto n = kill_running_commands())
    log().info("retrain-node killed {} running job commands", n);
  return caf::none;
}

} // namespace retrain
