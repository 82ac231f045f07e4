#include "bench/run.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "allocator.hpp"
#include "bench/seed_recipe.hpp"
#include "retrain/coordinator_link.hpp"
#include "retrain/dispatcher.hpp"
#include "retrain/ec.hpp"
#include "retrain/ingest.hpp"
#include "retrain/latency_probe.hpp"
#include "retrain/log.hpp"
#include "retrain/node_config.hpp"
#include "retrain/retrain_worker.hpp"
#include "retrain/supervisor.hpp"
#include "retrain/unix_time.hpp"

namespace retrain::bench {

namespace {

using go_atom = caf::atom_constant<caf::atom("benchgo")>;
using tick_atom = caf::atom_constant<caf::atom("benchtick")>;

using clock_type = std::chrono::steady_clock;

constexpr std::array<metric_kind, seed_recipe::max_kinds> recipe_kinds{
  metric_kind::accuracy, metric_kind::f1_score, metric_kind::precision,
  metric_kind::recall, metric_kind::latency_ms};

/// What one run measured.
struct outcome {
  double seconds = 0;
  /// Until the last batch was acknowledged (routed, not yet all applied).
  double acked_seconds = 0;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::string first_error;
  monitor_stats stats;
  uint64_t jobs = 0;
  std::string error;
};

struct producer_state {
  static inline const char* name = "bench_producer";

  options opt;
  /// Model ids by index, made before the clock starts.
  std::shared_ptr<const std::vector<std::string>> ids;
  monitor_node_actor target;
  dispatcher_actor coordinator;
  /// The link whose triggers the coordinator must have stored before the
  /// jobs are counted, if any.
  coordinator_link_self_actor link;
  std::shared_ptr<outcome> out;
  uint64_t next = 0;
  uint64_t in_flight = 0;
  clock_type::time_point start;
  /// The target's totals before the first batch.
  monitor_stats before;
  caf::response_promise done;
};

using producer_ptr = caf::stateful_actor<producer_state>*;

void fail(producer_ptr self, const std::string& what) {
  auto& st = self->state;
  if (st.out->error.empty())
    st.out->error = what;
  st.done.deliver(false);
  self->quit();
}

void count_jobs(producer_ptr self);

// The coordinator's job count (local runs) or the monitors' triggers. A
// trigger becomes a job when the dispatcher acknowledges it: count once the
// link's outbox is empty.
void collect_jobs(producer_ptr self) {
  auto& st = self->state;
  if (!st.coordinator) {
    st.out->jobs = st.out->stats.triggers;
    st.done.deliver(true);
    return;
  }
  if (!st.link) {
    count_jobs(self);
    return;
  }
  self->request(st.link, std::chrono::minutes{5}, atom::drain::value)
    .then([=](uint64_t) { count_jobs(self); },
          [=](caf::error& err) { fail(self, self->system().render(err)); });
}

void count_jobs(producer_ptr self) {
  auto& st = self->state;
  self->request(st.coordinator, std::chrono::minutes{1}, atom::status::value)
    .then(
      [=](coordinator_status& cs) {
        auto& st = self->state;
        st.out->jobs = cs.queued + cs.running + cs.succeeded + cs.failed;
        st.done.deliver(true);
      },
      [=](caf::error& err) { fail(self, self->system().render(err)); });
}

// Every batch is acknowledged: ask for the totals, which monitors give only
// after applying every event routed to them before.
void finish(producer_ptr self) {
  auto& st = self->state;
  st.out->acked_seconds
    = std::chrono::duration<double>(clock_type::now() - st.start).count();
  self->request(st.target, std::chrono::minutes{5}, atom::stats::value)
    .then(
      [=](monitor_stats& stats) {
        auto& st = self->state;
        st.out->seconds
          = std::chrono::duration<double>(clock_type::now() - st.start).count();
        st.out->stats = stats;
        st.out->stats.events -= st.before.events;
        st.out->stats.triggers -= st.before.triggers;
        st.out->stats.breaches -= st.before.breaches;
        collect_jobs(self);
      },
      [=](caf::error& err) { fail(self, self->system().render(err)); });
}

void send_batches(producer_ptr self, uint64_t limit);

void send_batch(producer_ptr self, uint64_t count) {
  auto& st = self->state;
  auto& opt = st.opt;
  metric_batch batch;
  batch.events.resize(count);
  auto now = unix_now_ns();
  for (uint64_t i = 0; i < count; ++i) {
    auto e = seed_recipe::event(st.next + i, opt.models, opt.kinds, opt.events);
    auto& ev = batch.events[i];
    // An owned id per event, as the seed's `MetricEvent` has.
    ev.model = (*st.ids)[e.model];
    ev.kind = recipe_kinds[e.kind];
    ev.value = e.value;
    ev.observed_at_ns = now;
  }
  st.next += count;
  ++st.in_flight;
  self->request(st.target, std::chrono::minutes{1}, std::move(batch))
    .then(
      [=](ingest_ack& ack) {
        auto& st = self->state;
        --st.in_flight;
        st.out->accepted += ack.accepted;
        st.out->rejected += ack.rejected;
        if (st.out->first_error.empty() && !ack.first_error.empty())
          st.out->first_error = ack.first_error;
        if (st.next < st.opt.events) {
          if (st.opt.rate == 0)
            send_batches(self, st.opt.events);
        } else if (st.in_flight == 0) {
          finish(self);
        }
      },
      [=](caf::error& err) { fail(self, self->system().render(err)); });
}

// Sends batches until `limit` events are out or the window is full.
void send_batches(producer_ptr self, uint64_t limit) {
  auto& st = self->state;
  while (st.in_flight < st.opt.in_flight && st.next < limit)
    send_batch(self, std::min(st.opt.batch, limit - st.next));
}

std::shared_ptr<const std::vector<std::string>> make_ids(uint64_t models) {
  auto ids = std::make_shared<std::vector<std::string>>();
  ids->reserve(models);
  for (uint64_t m = 0; m < models; ++m)
    ids->push_back(seed_recipe::model_id(m));
  return ids;
}

caf::behavior producer(producer_ptr self, options opt,
                       monitor_node_actor target, dispatcher_actor coordinator,
                       coordinator_link_self_actor link,
                       std::shared_ptr<const std::vector<std::string>> ids,
                       std::shared_ptr<outcome> out) {
  auto& st = self->state;
  st.opt = std::move(opt);
  st.target = std::move(target);
  st.coordinator = std::move(coordinator);
  st.link = std::move(link);
  st.ids = std::move(ids);
  st.out = std::move(out);
  return {
    [=](go_atom) {
      auto& st = self->state;
      st.done = self->make_response_promise();
      // A node may have seen events before: count only ours.
      self->request(st.target, std::chrono::minutes{1}, atom::stats::value)
        .then(
          [=](monitor_stats& before) {
            auto& st = self->state;
            st.before = before;
            st.start = clock_type::now();
            if (st.opt.rate == 0)
              send_batches(self, st.opt.events);
            else
              self->send(self, tick_atom::value);
          },
          [=](caf::error& err) { fail(self, self->system().render(err)); });
      return st.done;
    },
    [=](tick_atom) {
      // Offers events at the fixed rate, in batches of at most `batch`.
      auto& st = self->state;
      if (st.next >= st.opt.events)
        return;
      auto elapsed
        = std::chrono::duration<double>(clock_type::now() - st.start).count();
      auto due = std::min(st.opt.events,
                          static_cast<uint64_t>(elapsed * st.opt.rate) + 1);
      send_batches(self, due);
      self->delayed_send(self, std::chrono::microseconds{500},
                         tick_atom::value);
    },
  };
}

// Runs the producer against `target` and returns what it measured.
outcome produce(caf::actor_system& sys, const options& opt,
                monitor_node_actor target, dispatcher_actor coordinator,
                coordinator_link_self_actor link,
                std::shared_ptr<const std::vector<std::string>> ids = nullptr) {
  if (!ids)
    ids = make_ids(opt.models);
  auto out = std::make_shared<outcome>();
  auto prod = sys.spawn(producer, opt, std::move(target),
                        std::move(coordinator), std::move(link), std::move(ids),
                        out);
  caf::scoped_actor self{sys};
  self->request(prod, caf::infinite, go_atom::value)
    .receive([](bool) {},
             [&](caf::error& err) {
               if (out->error.empty())
                 out->error = sys.render(err);
             });
  caf::anon_send_exit(prod, caf::exit_reason::user_shutdown);
  return *out;
}

caf::error report(const options& opt, const outcome& out,
                  const latency_probe* probe = nullptr) {
  if (!out.error.empty())
    return caf::make_error(ec::unreachable, out.error);
  if (out.rejected > 0)
    std::fprintf(stderr, "rejected %llu events; first: %s\n",
                 static_cast<unsigned long long>(out.rejected),
                 out.first_error.c_str());
  std::fprintf(stderr,
               "detail: models_seen=%llu applied=%llu triggers=%llu "
               "batch=%llu in_flight=%llu scheduler=%s allocator=%s "
               "acked_after=%.3fs\n",
               static_cast<unsigned long long>(out.stats.models),
               static_cast<unsigned long long>(out.stats.events),
               static_cast<unsigned long long>(out.stats.triggers),
               static_cast<unsigned long long>(opt.batch),
               static_cast<unsigned long long>(opt.in_flight),
               opt.scheduler.c_str(), allocator_name(), out.acked_seconds);
  char latency[128] = "";
  if (probe)
    std::snprintf(latency, sizeof(latency),
                  " p50_ms=%.2f p99_ms=%.2f max_ms=%.2f window_ms=%.2f",
                  static_cast<double>(probe->quantile(0.5)) / 1e6,
                  static_cast<double>(probe->quantile(0.99)) / 1e6,
                  static_cast<double>(probe->max_ns()) / 1e6,
                  static_cast<double>(out.stats.flush_window_ns) / 1e6);
  std::printf("events=%llu models=%llu seconds=%.3f events_per_sec=%.0f "
              "jobs=%llu breaches=%llu%s\n",
              static_cast<unsigned long long>(opt.events),
              static_cast<unsigned long long>(opt.models), out.seconds,
              static_cast<double>(opt.events) / out.seconds,
              static_cast<unsigned long long>(out.jobs),
              static_cast<unsigned long long>(out.stats.breaches), latency);
  std::fflush(stdout);
  if (out.stats.events != opt.events)
    return caf::make_error(
      ec::unreachable, "only " + std::to_string(out.stats.events) + " of "
                         + std::to_string(opt.events) + " events were applied");
  return caf::none;
}

// A directory for the registry database, on tmpfs when there is one (the
// registry syncs every write).
std::filesystem::path make_temp_dir() {
  std::filesystem::path base = "/dev/shm";
  std::error_code err;
  if (!std::filesystem::is_directory(base, err))
    base = std::filesystem::temp_directory_path();
  std::random_device rd;
  auto dir = base / ("retrain-bench-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

// The monitor side of a node, and (unless `memory_only`) the coordinator
// with two workers that simulate zero-length training, reached through a
// link as in a node of role `all`.
struct local_node {
  std::filesystem::path dir;
  registry_actor reg;
  dispatcher_actor coordinator;
  std::vector<retrain_worker_actor> workers;
  coordinator_link_self_actor link;
  supervisor_actor sup;
  monitor_node_actor in;

  /// Stops the coordinator and its workers, which use `dir`.
  void stop_coordinator(caf::actor_system& sys) {
    if (!coordinator)
      return;
    caf::scoped_actor self{sys};
    for (auto& w : workers)
      caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(reg, caf::exit_reason::user_shutdown);
    for (auto& w : workers)
      self->wait_for(w);
    self->wait_for(coordinator, reg);
  }

  ~local_node() {
    std::error_code err;
    if (!dir.empty())
      std::filesystem::remove_all(dir, err);
  }
};

caf::error start_local(caf::actor_system& sys, local_node& node,
                       const options& opt, bool with_coordinator) {
  auto mcfg = monitor_config::defaults(); // alpha 0.2, the seed's thresholds
  mcfg.flush_interval = std::chrono::milliseconds{opt.flush_ms};
  mcfg.history_points = opt.history_points;
  mcfg.max_flush_delay = std::chrono::milliseconds{opt.max_flush_ms};
  mcfg.snapshot_interval = std::chrono::milliseconds{opt.snapshot_ms};
  if (opt.mode == "memory" && opt.passivated)
    mcfg.idle_timeout = std::chrono::seconds{1};
  std::chrono::milliseconds timeout{std::chrono::minutes{1}};
  if (with_coordinator) {
    node.dir = make_temp_dir();
    job_config jcfg;
    jcfg.simulated_duration = std::chrono::milliseconds{0};
    jcfg.data_dir = node.dir.string();
    auto coord = spawn_coordinator(sys, jcfg, timeout);
    if (!coord)
      return std::move(coord.error());
    node.reg = coord->registry;
    node.coordinator = coord->dispatcher;
    for (int i = 0; i < 2; ++i)
      node.workers.push_back(spawn_retrain_worker(sys, jcfg));
    coordinator_location where;
    where.local = node.coordinator;
    node.link = sys.spawn(coordinator_link, std::move(where), timeout,
                          node.workers, std::string{}, -1, std::string{});
  }
  node.sup = sys.spawn(supervisor, mcfg, node.link);
  node.in = sys.spawn(ingest, node.sup, mcfg, timeout);
  return caf::none;
}

uint64_t rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  uint64_t size = 0;
  uint64_t resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace

caf::error run_local(caf::actor_system& sys, const options& opt) {
  local_node node;
  if (auto err = start_local(sys, node, opt, true))
    return err;
  // With a fixed rate, also how long events wait until applied.
  std::unique_ptr<latency_probe> probe;
  if (opt.rate > 0 || opt.latency) {
    probe = std::make_unique<latency_probe>();
    latency_probe::install(probe.get());
  }
  auto out = produce(sys, opt, node.in, node.coordinator, node.link);
  // Jobs may still run: stop them before the temporary directory goes
  // away, and keep their complaints from following the result line.
  log().set_level(spdlog::level::off);
  auto err = report(opt, out, probe.get());
  node.stop_coordinator(sys);
  latency_probe::install(nullptr);
  return err;
}

caf::error run_remote(caf::actor_system& sys, const options& opt) {
  auto ep = parse_endpoint(opt.node, "--node");
  if (!ep)
    return ep.error();
  auto in = sys.middleman().remote_actor<monitor_node_actor>(ep->host,
                                                             ep->port);
  if (!in)
    return caf::make_error(ec::unreachable, "cannot reach " + opt.node + ": "
                                              + sys.render(in.error()));
  auto out = produce(sys, opt, *in, dispatcher_actor{},
                     coordinator_link_self_actor{});
  return report(opt, out);
}

caf::error run_memory(caf::actor_system& sys, const options& opt) {
  local_node node;
  if (auto err = start_local(sys, node, opt, false))
    return err;
  // The producer's copy of the ids is not the node's: made before measuring.
  auto ids = make_ids(opt.models);
  auto before = rss_bytes();
  auto o = opt;
  o.events = opt.models; // one event per model
  o.kinds = 1;
  o.rate = 0;
  auto out = produce(sys, o, node.in, dispatcher_actor{},
                     coordinator_link_self_actor{}, ids);
  if (!out.error.empty())
    return caf::make_error(ec::unreachable, out.error);
  // Counted once every monitor sent the supervisor its snapshot: a node
  // keeps one per model.
  std::this_thread::sleep_for(monitor_config::defaults().snapshot_interval
                              + std::chrono::milliseconds{500});
  auto stats = [&] {
    // The answer comes after every monitor handled what it was sent before.
    monitor_stats result;
    caf::scoped_actor self{sys};
    self->request(node.in, caf::infinite, atom::stats::value)
      .receive([&](monitor_stats& x) { result = std::move(x); },
               [](caf::error&) {});
    return result;
  };
  auto totals = stats();
  if (opt.passivated) {
    // Monitors idle for 1 s stop at the next idle scan (once a second).
    auto deadline = clock_type::now() + std::chrono::minutes{30};
    while (totals.passivated < opt.models && clock_type::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::seconds{1});
      totals = stats();
    }
    if (totals.passivated < opt.models)
      return caf::make_error(ec::unreachable,
                             "only " + std::to_string(totals.passivated)
                               + " models passivated in 30 minutes");
  }
  // What `retrain-ctl status` (a summary) and a `/metrics` scrape (a stats
  // round) cost at this many models.
  auto timed = [&](auto&& query) {
    auto t0 = clock_type::now();
    caf::scoped_actor self{sys};
    query(self);
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0)
      .count();
  };
  auto summary_ms = timed([&](caf::scoped_actor& self) {
    self->request(node.in, caf::infinite, atom::status::value, model_query{})
      .receive([](model_page&) {}, [](caf::error&) {});
  });
  auto stats_ms = timed([&](caf::scoped_actor& self) {
    self->request(node.in, caf::infinite, atom::stats::value)
      .receive([](monitor_stats&) {}, [](caf::error&) {});
  });
  // Freed memory (stopped monitors, old snapshots) is not the node's.
  release_free_memory();
  auto after = rss_bytes();
  auto grown = after > before ? after - before : 0;
  char passivated[48] = "";
  if (opt.passivated)
    std::snprintf(passivated, sizeof(passivated), " passivated=%llu",
                  static_cast<unsigned long long>(totals.passivated));
  std::printf("models=%llu rss_bytes=%llu bytes_per_model=%.0f%s "
              "summary_ms=%.1f stats_ms=%.1f\n",
              static_cast<unsigned long long>(opt.models),
              static_cast<unsigned long long>(after),
              static_cast<double>(grown) / static_cast<double>(opt.models),
              passivated, summary_ms, stats_ms);
  std::fflush(stdout);
  return caf::none;
}

} // namespace retrain::bench
