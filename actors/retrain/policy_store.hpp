#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/messages.hpp"
#include "retrain/sqlite_db.hpp"

namespace retrain {

/// The versioned policies of model lines: the `policies` table of the
/// registry database (schema migration 3), on a connection of its own. The
/// dispatcher owns one. Rows are only ever added: a change is a new version
/// of its pattern, a removal too, so every earlier version stays readable.
///
/// Blocks on disk I/O like its `sqlite_db`; failures come back as
/// `ec::storage_failure` errors naming the database file, and change
/// nothing.
class policy_store {
public:
  /// Opens the registry database in `data_dir` (see `open_registry_db`).
  static caf::expected<std::unique_ptr<policy_store>>
  open(const std::string& data_dir);

  /// Builds the store on `db`, which must hold the registry schema.
  static caf::expected<std::unique_ptr<policy_store>>
  make(std::unique_ptr<sqlite_db> db);

  /// Every change, oldest first (by epoch).
  caf::expected<std::vector<policy_record>> changes();

  /// Adds `x`; its epoch and its (pattern, version) must be new.
  caf::error append(const policy_record& x);

private:
  explicit policy_store(std::unique_ptr<sqlite_db> db);

  std::unique_ptr<sqlite_db> db_;
};

} // namespace retrain
