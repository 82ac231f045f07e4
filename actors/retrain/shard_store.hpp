#pragma once

#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/core/shard_map.hpp"
#include "retrain/database.hpp"
#include "retrain/messages.hpp"

namespace retrain {

/// The shard map of the monitor tier as the coordinator stores it: the
/// `shard_owners` table of the registry database (schema migration 5), on
/// a connection of its own. The dispatcher owns one.
///
/// Blocks on I/O like its `database`; failures come back as
/// `ec::storage_failure` errors naming the database, and change nothing.
class shard_store {
public:
  /// Opens the registry database: SQLite in `data_dir`, or PostgreSQL at
  /// `url` (see `open_registry_db`), its writes fenced by `fence` if set.
  static caf::expected<std::unique_ptr<shard_store>>
  open(const std::string& data_dir, const std::string& url = {},
       std::shared_ptr<write_fence> fence = nullptr);

  /// Builds the store on `db`, which must hold the registry schema.
  static caf::expected<std::unique_ptr<shard_store>>
  make(std::unique_ptr<database> db);

  /// The stored map with `shards` shards. Rows of shards beyond that count
  /// (stored with another `retrain.cluster.shards`) are left out; so are
  /// their owners, but every epoch of the result is above every stored one
  /// then, so nothing of the old map passes for current.
  caf::expected<core::shard_map> load(uint32_t shards);

  /// Stores the owner and epoch of every shard of `map`, in one
  /// transaction.
  caf::error save(const core::shard_map& map);

  /// Stores the monitor snapshots `items` in `monitor_snapshots`, one row
  /// per model (a later one replaces it), in one transaction.
  caf::error save_snapshots(const std::vector<stored_snapshot>& items);

  /// The stored snapshots of the models of `shards`. A row that does not
  /// read (another build's encoding) is left out and logged.
  caf::expected<std::vector<stored_snapshot>>
  load_snapshots(const std::vector<uint32_t>& shards);

  /// How many models have a stored snapshot.
  caf::expected<uint64_t> count_snapshots();

private:
  explicit shard_store(std::unique_ptr<database> db);

  std::unique_ptr<database> db_;
};

} // namespace retrain
