// Sends metric events to a retrain monitor node, the way any CAF app would:
// single events fire-and-forget, batches with an acknowledgement each.
//
//   retrain-example-client --node=127.0.0.1:4242 --model=cv:demo:1.0.0
//                          --events=200
//
// Exit codes: 0 all acks received, 1 bad options, 2 node unreachable,
// 3 an ack is missing (error or timeout).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <limits>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include <retrain/messages.hpp>

namespace {

struct client_config : caf::actor_system_config {
  std::string node = "127.0.0.1:4242";
  std::string model = "example:client:1.0.0";
  size_t events = 200;
  size_t batch_size = 50;

  client_config() {
    opt_group{custom_options_, "global"}
      .add(node, "node", "monitor node to send to (HOST:PORT)")
      .add(model, "model", "model id <project>:<name>:<semver>")
      .add(events, "events", "number of valid events to send")
      .add(batch_size, "batch-size", "events per batch");
  }
};

int64_t now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch())
    .count();
}

// A healthy model: accuracy around 0.95, latency around 20 ms.
retrain::metric_event make_event(const std::string& model, size_t i) {
  retrain::metric_event ev;
  ev.model = model;
  if (i % 2 == 0) {
    ev.kind = retrain::metric_kind::accuracy;
    ev.value = 0.95 + 0.01 * static_cast<double>(i % 5) / 5.0;
  } else {
    ev.kind = retrain::metric_kind::latency_ms;
    ev.value = 20.0 + static_cast<double>(i % 7);
  }
  ev.observed_at_ns = now_ns();
  return ev;
}

} // namespace

int main(int argc, char** argv) {
  client_config cfg;
  // Same message types and protocol version as the node, or it refuses us.
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
  auto sep = cfg.node.rfind(':');
  uint16_t port = 0;
  try {
    auto p = sep == std::string::npos ? 0
                                      : std::stoul(cfg.node.substr(sep + 1));
    if (p == 0 || p > std::numeric_limits<uint16_t>::max())
      throw std::out_of_range("port");
    port = static_cast<uint16_t>(p);
  } catch (const std::exception&) {
    std::cerr << "error: --node must be HOST:PORT, got " << cfg.node << '\n';
    return 1;
  }
  if (cfg.batch_size == 0) {
    std::cerr << "error: --batch-size must be at least 1\n";
    return 1;
  }
  auto host = cfg.node.substr(0, sep);

  caf::actor_system sys{cfg};
  auto ingest = sys.middleman().remote_actor<retrain::ingest_actor>(host, port);
  if (!ingest) {
    std::cerr << "error: cannot reach " << cfg.node << ": "
              << sys.render(ingest.error()) << '\n';
    return 2;
  }
  std::cout << "connected to " << cfg.node << '\n';

  caf::scoped_actor self{sys};
  // A quarter of the events one by one: fire-and-forget, no answer.
  size_t singles = cfg.events / 4;
  for (size_t i = 0; i < singles; ++i)
    self->send(*ingest, make_event(cfg.model, i));
  std::cout << "sent " << singles << " single events\n";

  // The rest in batches; the node answers each with an ingest_ack. The last
  // batch carries one invalid event (NaN), which the node refuses.
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  size_t batches = 0;
  bool missing_ack = false;
  size_t next = singles;
  bool bad_sent = false;
  while (!bad_sent) {
    retrain::metric_batch batch;
    auto n = std::min(cfg.batch_size, cfg.events - next);
    for (size_t i = 0; i < n; ++i)
      batch.events.push_back(make_event(cfg.model, next++));
    if (next == cfg.events) {
      retrain::metric_event bad;
      bad.model = cfg.model;
      bad.kind = retrain::metric_kind::accuracy;
      bad.value = std::numeric_limits<double>::quiet_NaN();
      batch.events.push_back(bad);
      bad_sent = true;
    }
    auto size = batch.events.size();
    ++batches;
    self->request(*ingest, std::chrono::seconds(10), std::move(batch))
      .receive(
        [&](const retrain::ingest_ack& ack) {
          accepted += ack.accepted;
          rejected += ack.rejected;
          std::cout << "batch " << batches << " (" << size
                    << " events): accepted=" << ack.accepted
                    << " rejected=" << ack.rejected;
          if (!ack.first_error.empty())
            std::cout << " first_error=\"" << ack.first_error << '"';
          std::cout << '\n';
        },
        [&](const caf::error& err) {
          std::cerr << "error: no ack for batch " << batches << ": "
                    << sys.render(err) << '\n';
          missing_ack = true;
        });
    if (missing_ack)
      break;
  }
  std::cout << "total: single=" << singles << " batches=" << batches
            << " accepted=" << accepted << " rejected=" << rejected << '\n';
  return missing_ack ? 3 : 0;
}
