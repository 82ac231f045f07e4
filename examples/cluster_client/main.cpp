// Sends metric events of many models straight to the monitor nodes that
// own them, through retrain::cluster_client: it fetches the shard map from
// the coordinator and splits each batch by owner.
//
//   retrain-example-cluster-client --coordinator=127.0.0.1:4243
//                                  --models=100 --events=10000
//
// Exit codes: 0 every valid event accepted, 1 bad options, 2 no shard map
// (no coordinator answered), 3 an event not delivered or an ack missing.

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include <retrain/cluster_client.hpp>
#include <retrain/messages.hpp>

namespace {

struct client_config : caf::actor_system_config {
  std::string coordinator = "127.0.0.1:4243";
  std::string project = "example";
  size_t models = 10;
  size_t events = 1000;
  size_t batch_size = 1000;
  size_t invalid = 0;
  size_t pause_after = 0;

  client_config() {
    opt_group{custom_options_, "global"}
      .add(coordinator, "coordinator",
           "coordinators to fetch the shard map from (HOST:PORT[,...])")
      .add(project, "project", "models are <project>:m<i>:1.0.0")
      .add(models, "models", "number of models (one line each)")
      .add(events, "events", "valid events in all, round robin over models")
      .add(batch_size, "batch-size", "events per batch")
      .add(invalid, "invalid", "NaN events added to the last batch")
      .add(pause_after, "pause-after",
           "after this many events, wait for a line on stdin (0: never)");
  }
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> result;
  std::stringstream in{text};
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      result.push_back(item);
  return result;
}

// A healthy model: accuracy 0.95, so nothing triggers.
retrain::metric_event make_event(const client_config& cfg, size_t i) {
  retrain::metric_event ev;
  ev.model = cfg.project + ":m" + std::to_string(i % cfg.models) + ":1.0.0";
  ev.kind = retrain::metric_kind::accuracy;
  ev.value = 0.95;
  return ev; // observed_at_ns 0: the client stamps it
}

// What each owner's router counted: events forwarded to other owners and
// taken in shard batches. Straight to owners, nothing is forwarded.
void print_routers(caf::actor_system& sys, const retrain::shard_table& map) {
  caf::scoped_actor self{sys};
  for (auto& m : map.nodes) {
    auto router = sys.middleman().remote_actor<retrain::shard_router_actor>(
      m.host, m.port);
    if (!router) {
      std::cout << "router " << m.node << ": unreachable\n";
      continue;
    }
    self
      ->request(*router, std::chrono::seconds(10), retrain::atom::shards::value,
                retrain::atom::stats::value)
      .receive(
        [&](uint64_t forwarded, uint64_t received) {
          std::cout << "router " << m.node << ": forwarded=" << forwarded
                    << " received=" << received << '\n';
        },
        [&](caf::error& err) {
          std::cout << "router " << m.node << ": " << sys.render(err) << '\n';
        });
  }
}

} // namespace

int main(int argc, char** argv) {
  client_config cfg;
  retrain::register_messages(cfg);
  cfg.load<caf::io::middleman>();
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "error: " << caf::to_string(err) << '\n';
    return 1;
  }
  if (!cfg.remainder.empty()) {
    std::cerr << "error: unexpected argument " << cfg.remainder.front() << '\n';
    return 1;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (cfg.models == 0 || cfg.batch_size == 0) {
    std::cerr << "error: --models and --batch-size must be at least 1\n";
    return 1;
  }
  caf::actor_system sys{cfg};
  retrain::cluster_client_config ccfg;
  ccfg.coordinators = split_list(cfg.coordinator);
  auto client = retrain::cluster_client::start(sys, ccfg);
  if (!client) {
    std::cerr << "error: " << sys.render(client.error()) << '\n';
    return 1;
  }
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  size_t batches = 0;
  std::string first_error;
  size_t next = 0;
  bool paused = cfg.pause_after == 0;
  while (next < cfg.events || batches == 0) {
    retrain::metric_batch batch;
    auto end = std::min(cfg.events, next + cfg.batch_size);
    if (!paused)
      end = std::min(end, cfg.pause_after);
    for (; next < end; ++next)
      batch.events.push_back(make_event(cfg, next));
    if (next == cfg.events)
      for (size_t i = 0; i < cfg.invalid; ++i) {
        auto bad = make_event(cfg, i);
        bad.value = std::numeric_limits<double>::quiet_NaN();
        batch.events.push_back(bad);
      }
    ++batches;
    auto ack = client->send(std::move(batch));
    if (!ack) {
      std::cerr << "error: no ack for batch " << batches << ": "
                << sys.render(ack.error()) << '\n';
      return 3;
    }
    accepted += ack->accepted;
    rejected += ack->rejected;
    if (first_error.empty() && !ack->first_error.empty())
      first_error = "batch " + std::to_string(batches) + ", "
                    + ack->first_error;
    if (!paused && next == cfg.pause_after) {
      paused = true;
      std::cout << "paused after " << next << " events: accepted=" << accepted
                << " rejected=" << rejected << std::endl;
      std::string line;
      std::getline(std::cin, line);
    }
  }
  auto map = client->map();
  if (!map || map->owners.empty()) {
    std::cerr << "error: no shard map from " << cfg.coordinator << '\n';
    return 2;
  }
  std::cout << "shard map v" << map->version << ": " << map->shards()
            << " shards, " << map->nodes.size() << " monitor nodes\n";
  print_routers(sys, *map);
  if (auto sent = client->sent())
    std::cout << "client: sent=" << sent->first << " retried=" << sent->second
              << '\n';
  std::cout << "total: batches=" << batches << " accepted=" << accepted
            << " rejected=" << rejected;
  if (!first_error.empty())
    std::cout << " first_error=\"" << first_error << '"';
  std::cout << '\n';
  return rejected == cfg.invalid ? 0 : 3;
}
