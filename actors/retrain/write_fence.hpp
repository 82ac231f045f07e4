#pragma once

#include <atomic>
#include <cstdint>

namespace retrain {

/// The epoch a coordinator may write the shared database with. The
/// coordinator that holds the lease of a PostgreSQL registry (see
/// `lease_keeper`) shares one fence with each connection of its stores;
/// every write transaction on them checks, after taking the write lock,
/// that the lease row is still at this epoch, and fails otherwise. So a
/// coordinator that lost its lease (it was stopped, or cut off, while
/// another one took over) writes nothing, whatever it still believes.
///
/// Thread-safe: the lease keeper, the gate and the stores of a node use
/// one fence from their own threads.
class write_fence {
public:
  /// The epoch writes go through with; 0 while the lease is not held.
  int64_t epoch() const noexcept {
    return epoch_.load();
  }

  /// Lets writes through while the lease is at `epoch` (> 0).
  void hold(int64_t epoch) noexcept {
    lost_at_.store(0);
    epoch_.store(epoch);
  }

  /// Refuses every write from now on.
  void drop() noexcept {
    epoch_.store(0);
  }

  /// A write found the lease at `current`, not at the held epoch: refuses
  /// every write from now on and remembers `current`.
  void lose(int64_t current) noexcept {
    epoch_.store(0);
    lost_at_.store(current);
  }

  /// The epoch a write found the lease at when it was lost, or 0.
  int64_t lost_to() const noexcept {
    return lost_at_.load();
  }

private:
  std::atomic<int64_t> epoch_{0};
  std::atomic<int64_t> lost_at_{0};
};

} // namespace retrain
