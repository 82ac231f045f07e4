// Writes the seed corpus of the fuzz target `messages` into a directory:
// for every type of the retrain type-id block a default value, read as that
// type (`type-NN`, NN its position in the block) and as a whole message the
// way BASP reads one (`message-NN`), plus filled-in examples of the
// messages peers send most and a snapshot of every strategy after a few
// updates.
//
//   retrain-fuzz-message-seeds tests/fuzz/corpus/messages

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include "message_types.hpp"
#include "retrain/core/strategy_factory.hpp"

using namespace retrain;

namespace {

constexpr std::size_t message_selector = fuzz::message_type_count;

using fuzz::selector_of;

class seed_writer {
public:
  seed_writer(caf::actor_system& sys, std::filesystem::path dir)
    : sys_(sys), dir_(std::move(dir)) {
    // nop
  }

  // Writes `name` with `selector` as first byte and `xs` serialized.
  template <class... Ts>
  void write(const std::string& name, std::size_t selector, Ts... xs) {
    std::vector<char> buf{static_cast<char>(selector)};
    caf::binary_serializer sink{sys_, buf};
    if (auto err = sink(xs...)) {
      std::fprintf(stderr, "cannot serialize %s\n", name.c_str());
      std::exit(1);
    }
    std::ofstream{dir_ / name, std::ios::binary}.write(buf.data(), buf.size());
  }

  // A type and a message seed of `x`, the type at `selector`.
  template <class T>
  void both(const std::string& name, std::size_t selector, T x) {
    write("type-" + name, selector, x);
    std::vector<caf::strong_actor_ptr> stages;
    write("message-" + name, message_selector, stages, caf::make_message(x));
  }

private:
  caf::actor_system& sys_;
  std::filesystem::path dir_;
};

void write_defaults(seed_writer& out) {
  fuzz::for_each_message_type([&](auto index) {
    constexpr auto i = decltype(index)::value;
    char name[16];
    std::snprintf(name, sizeof(name), "%02zu", i);
    out.both(name, i, fuzz::message_type<i>{});
  });
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::filesystem::create_directories(argv[1]);
  caf::actor_system_config cfg;
  register_messages(cfg);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  seed_writer out{sys, argv[1]};
  write_defaults(out);
  metric_event ev{"cv:anomaly_detector:1.2.0", metric_kind::accuracy, 0.93,
                  1700000000000000000};
  out.both("metric_event", selector_of<metric_event>(), ev);
  metric_batch batch{{ev, ev}};
  out.both("metric_batch", selector_of<metric_batch>(), batch);
  std::vector<caf::strong_actor_ptr> stages;
  out.write("message-explain_batch", message_selector, stages,
            caf::make_message(atom::explain::value, batch));
  out.write("message-status_model", message_selector, stages,
            caf::make_message(atom::status::value,
                              std::string{"cv:anomaly_detector"}));
  monitor_snapshot snapshot;
  snapshot.model = ev.model;
  snapshot.events = 5;
  for (auto& info : core::strategies()) {
    core::param_map params;
    if (info.name == "ewma_threshold")
      params["threshold"] = "0.5";
    auto s = info.make(params);
    for (double x : {0.0, 1.0, 1.0, 0.0, 1.0})
      (*s)->update(x);
    auto one = (*s)->snapshot();
    out.both("snapshot_" + std::string{info.name},
             selector_of<core::strategy_snapshot>(), one);
    snapshot.kinds.push_back(metric_kind::accuracy);
    snapshot.strategies.push_back(std::move(one));
  }
  out.both("monitor_snapshot", selector_of<monitor_snapshot>(), snapshot);
  snapshot_shipment shipment{"127.0.0.1:4242",
                             {stored_snapshot{3, 2, snapshot}}};
  out.both("snapshot_shipment", selector_of<snapshot_shipment>(), shipment);
  retrain_job job;
  job.record.id = 42;
  job.record.model = ev.model;
  job.record.line = "cv:anomaly_detector";
  job.record.base_version = "1.2.0";
  job.record.next_version = "1.2.1";
  job.attempt = 1;
  out.both("retrain_job", selector_of<retrain_job>(), job);
  return 0;
}
