// What the metric history costs per model and metric kind: RSS growth over
// many full rings at a bound (retrain.history.points, default 1,000), and
// the bytes of one full kind in a passivated monitor's snapshot (the CAF
// binary form the supervisor keeps) and in GET /v1/models/{m}/history.
//
//   retrain-history-bench [RINGS] [POINTS]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_serializer.hpp>

#include "retrain/core/history_ring.hpp"
#include "retrain/edge/render_json.hpp"
#include "retrain/messages.hpp"

namespace {

// Resident set size of this process, in bytes.
long long rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  long long pages = 0;
  long long resident = 0;
  in >> pages >> resident;
  return resident * 4096;
}

} // namespace

int main(int argc, char** argv) {
  using namespace retrain;
  std::size_t rings = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000;
  std::size_t points = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000;
  constexpr int64_t second = 1'000'000'000;
  auto before = rss_bytes();
  std::vector<std::unique_ptr<core::history_ring>> all;
  all.reserve(rings);
  core::detection d;
  d.threshold = 0.92;
  for (std::size_t r = 0; r < rings; ++r) {
    auto ring = std::make_unique<core::history_ring>(points, second);
    // Past the bound: the ring wraps around, as a long-lived monitor's does.
    for (std::size_t i = 0; i < points + points / 2; ++i) {
      d.statistic = 0.9 + static_cast<double>(i % 7) / 100;
      ring->add(static_cast<int64_t>(i) * second, d.statistic, d, i + 1);
    }
    all.push_back(std::move(ring));
  }
  auto after = rss_bytes();
  // One full kind as a snapshot carries it and as the API renders it.
  caf::actor_system_config cfg;
  retrain::register_messages(cfg);
  caf::actor_system sys{cfg};
  monitor_snapshot snap;
  snap.model = "cv:anomaly_detector:1.2.0";
  snap.history.push_back(
    kind_history{metric_kind::accuracy, "ewma_threshold", all[0]->points()});
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  if (auto err = sink(snap.history)) {
    std::fprintf(stderr, "cannot serialize: %s\n", sys.render(err).c_str());
    return 1;
  }
  model_history h;
  h.model = snap.model;
  h.resolution_ns = second;
  h.capacity = points;
  h.kinds = snap.history;
  auto json = boost::json::serialize(edge::to_json(h));
  std::printf("rings=%zu points=%zu sizeof_point=%zu ring_heap_bytes=%zu "
              "rss_bytes_per_ring=%.0f snapshot_bytes=%zu json_bytes=%zu\n",
              rings, points, sizeof(core::history_point), all[0]->heap_bytes(),
              static_cast<double>(after - before) / static_cast<double>(rings),
              buf.size(), json.size());
  return 0;
}
