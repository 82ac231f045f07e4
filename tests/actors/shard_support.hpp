#pragma once

// Pieces shared by the tests of the shard router: models of known shards
// under maps of 8 shards, and batches of them.

#include <string>
#include <vector>

#include "retrain/core/shard_map.hpp"
#include "retrain/messages.hpp"

namespace retrain::test {

/// The `n`th model (0-based) whose shard among 8 has parity `parity`: a
/// model of node a (0, even shards) or b (1, odd shards) under the test
/// maps.
inline std::string model_owned_by(int parity, int n) {
  for (int i = 0;; ++i) {
    auto line = "p:m" + std::to_string(i);
    if (static_cast<int>(core::shard_of_line(line, 8)) % 2 == parity
        && n-- == 0)
      return line + ":1.0.0";
  }
}

/// One accuracy event of 0.95 per model of `models`.
inline metric_batch batch_of(const std::vector<std::string>& models) {
  metric_batch result;
  for (auto& m : models)
    result.events.push_back(metric_event{m, metric_kind::accuracy, 0.95, 0});
  return result;
}

} // namespace retrain::test
