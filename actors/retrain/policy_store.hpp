#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/database.hpp"
#include "retrain/messages.hpp"

namespace retrain {

/// The versioned policies of model lines: the `policies` table of the
/// registry database (schema migration 3), on a connection of its own. The
/// dispatcher owns one. Rows are only ever added: a change is a new version
/// of its pattern, a removal too, so every earlier version stays readable.
///
/// Blocks on I/O like its `database`; failures come back as
/// `ec::storage_failure` errors naming the database, and change nothing.
class policy_store {
public:
  /// Opens the registry database: SQLite in `data_dir`, or PostgreSQL at
  /// `url` (see `open_registry_db`), its writes fenced by `fence` if set.
  static caf::expected<std::unique_ptr<policy_store>>
  open(const std::string& data_dir, const std::string& url = {},
       std::shared_ptr<write_fence> fence = nullptr);

  /// Builds the store on `db`, which must hold the registry schema.
  static caf::expected<std::unique_ptr<policy_store>>
  make(std::unique_ptr<database> db);

  /// Every change, oldest first (by epoch).
  caf::expected<std::vector<policy_record>> changes();

  /// Adds `x`; its epoch and its (pattern, version) must be new.
  caf::error append(const policy_record& x);

private:
  explicit policy_store(std::unique_ptr<database> db);

  std::unique_ptr<database> db_;
};

} // namespace retrain
