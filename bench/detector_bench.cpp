// retrain-detector-bench: updates per second of every strategy.
//
//   retrain-detector-bench [UPDATES]   (default 10000000)
//
// Each strategy gets its own kind of River-like input, generated before the
// clock starts: binary outcomes whose error rate moves between 0.2 and 0.7,
// or values from {0, 1} and {4, ..., 7} in alternating stretches (the shape
// of River's examples). Prints one line per strategy:
//
//   strategy=adwin updates=10000000 seconds=0.41 updates_per_sec=24390243
//     drifts=38 warnings=0

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "retrain/core/strategy_factory.hpp"

namespace {

using namespace retrain::core;

/// xorshift64*, so that every run sees the same input.
struct rng {
  uint64_t state;

  uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
  }

  double uniform() {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
  }
};

std::vector<double> make_input(bool binary, uint64_t n) {
  constexpr uint64_t stretch = 100'000;
  std::vector<double> xs;
  xs.reserve(n);
  rng gen{42};
  for (uint64_t i = 0; i < n; ++i) {
    bool second = (i / stretch) % 2 == 1;
    if (binary)
      xs.push_back(gen.uniform() < (second ? 0.7 : 0.2) ? 1.0 : 0.0);
    else
      xs.push_back(second ? static_cast<double>(4 + gen.next() % 4)
                          : static_cast<double>(gen.next() % 2));
  }
  return xs;
}

} // namespace

int main(int argc, char** argv) {
  uint64_t n = 10'000'000;
  if (argc > 1) {
    char* end = nullptr;
    n = std::strtoull(argv[1], &end, 10);
    if (*end != '\0' || n == 0) {
      std::fprintf(stderr, "usage: %s [UPDATES]\n", argv[0]);
      return 2;
    }
  }
  std::vector<double> inputs[2] = {make_input(false, n), make_input(true, n)};
  for (auto& info : strategies()) {
    param_map params;
    if (info.name == "ewma_threshold")
      params = {{"threshold", "2"}, {"direction", "above"}};
    auto s = make_strategy(info.name, params);
    if (!s) {
      std::fprintf(stderr, "%s\n", s.error().message.c_str());
      return 1;
    }
    auto& xs = inputs[info.binary ? 1 : 0];
    uint64_t drifts = 0;
    uint64_t warnings = 0;
    auto start = std::chrono::steady_clock::now();
    for (auto x : xs) {
      auto v = (*s)->update(x).state;
      drifts += v == verdict::drift ? 1 : 0;
      warnings += v == verdict::warning ? 1 : 0;
    }
    std::chrono::duration<double> took = std::chrono::steady_clock::now()
                                         - start;
    auto secs = took.count();
    std::printf("strategy=%s updates=%llu seconds=%.3f updates_per_sec=%.0f "
                "drifts=%llu warnings=%llu\n",
                std::string{info.name}.c_str(),
                static_cast<unsigned long long>(n), secs,
                static_cast<double>(n) / secs,
                static_cast<unsigned long long>(drifts),
                static_cast<unsigned long long>(warnings));
  }
  return 0;
}
