#pragma once

// The event recipe of the seed benchmark (shared/anchors/seed-rs), shared by
// retrain-bench and the tests that check our decisions against the seed's
// published job counts. Evaluate exactly as written (no FMA contraction).

#include <cstdint>
#include <string>

namespace seed_recipe {

inline uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Number of metric kinds the recipe cycles through at most.
constexpr uint64_t max_kinds = 5;

struct event_t {
  uint64_t model;
  uint64_t kind; // index into [accuracy, f1_score, precision, recall, latency]
  double value;
};

/// Event number `e` of `n` for `m` models and `k` kinds, drifting every 10th
/// model from the halfway point.
inline event_t event(uint64_t e, uint64_t m, uint64_t k, uint64_t n) {
  event_t result;
  result.model = e % m;
  result.kind = (e / m) % k;
  bool drift = result.model % 10 == 0 && e >= n / 2;
  double center = drift ? 0.85 : 0.95;
  double u = static_cast<double>(splitmix64(e) >> 11) * 0x1.0p-53;
  result.value = center + (u - 0.5) * 0.04;
  return result;
}

/// The id of model `m`: `proj:model-<m>:1.0.0`.
inline std::string model_id(uint64_t m) {
  return "proj:model-" + std::to_string(m) + ":1.0.0";
}

/// The seed's rule for kind index `kind`: the threshold (accuracy 0.92,
/// f1_score 0.90) or a negative number for kinds without one.
inline double threshold(uint64_t kind) {
  return kind == 0 ? 0.92 : (kind == 1 ? 0.90 : -1.0);
}

} // namespace seed_recipe
