#include "retrain/shard_store.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "retrain/registry_schema.hpp"
#include "retrain/sql_dialect.hpp"

namespace retrain {

namespace {

using sql_dialect::param;

const std::string all_sql
  = "SELECT shard, node, epoch FROM shard_owners ORDER BY shard";

const std::string upsert_sql
  = "INSERT INTO shard_owners (shard, node, epoch) VALUES (" + param(1) + ", "
    + param(2) + ", " + param(3)
    + ") ON CONFLICT (shard) DO UPDATE SET node = excluded.node, "
      "epoch = excluded.epoch";

const std::string drop_beyond_sql = "DELETE FROM shard_owners WHERE shard >= "
                                    + param(1);

} // namespace

shard_store::shard_store(std::unique_ptr<database> db) : db_(std::move(db)) {
  // nop
}

caf::expected<std::unique_ptr<shard_store>>
shard_store::make(std::unique_ptr<database> db) {
  if (auto err = db->prepare({&all_sql, &upsert_sql, &drop_beyond_sql}))
    return err;
  return std::unique_ptr<shard_store>{new shard_store(std::move(db))};
}

caf::expected<std::unique_ptr<shard_store>>
shard_store::open(const std::string& data_dir, const std::string& url,
                  std::shared_ptr<write_fence> fence) {
  auto db = open_registry_db(data_dir, url, std::move(fence));
  if (!db)
    return std::move(db.error());
  return make(std::move(*db));
}

caf::expected<core::shard_map> shard_store::load(uint32_t shards) {
  auto stmt = db_->statement(all_sql, "cannot read the shard map");
  if (!stmt)
    return std::move(stmt.error());
  core::shard_map result{shards};
  struct row {
    int64_t shard;
    std::string node;
    uint64_t epoch;
  };
  std::vector<row> rows;
  auto err = stmt->for_each_row([&]() -> caf::error {
    rows.push_back(row{stmt->int64_column(0), stmt->text_column(1),
                       static_cast<uint64_t>(stmt->int64_column(2))});
    return caf::none;
  });
  if (err)
    return err;
  uint64_t top = 0;
  bool same_count = rows.size() == result.shards();
  for (auto& x : rows) {
    top = std::max(top, x.epoch);
    if (x.shard < 0 || x.shard >= static_cast<int64_t>(result.shards()))
      same_count = false;
  }
  for (auto& x : rows) {
    if (same_count)
      result.restore(static_cast<uint32_t>(x.shard), std::move(x.node),
                     x.epoch);
  }
  if (!same_count && !rows.empty())
    for (uint32_t s = 0; s < result.shards(); ++s)
      result.restore(s, {}, top + 1);
  return result;
}

caf::error shard_store::save(const core::shard_map& map) {
  auto tx = db_->begin_write("cannot store the shard map");
  if (!tx)
    return std::move(tx.error());
  for (uint32_t s = 0; s < map.shards(); ++s) {
    auto stmt = db_->statement(upsert_sql, "cannot store the owner of shard "
                                             + std::to_string(s));
    if (!stmt)
      return std::move(stmt.error());
    stmt->bind(1, static_cast<int64_t>(s));
    stmt->bind(2, std::string_view{map.owner(s)});
    stmt->bind(3, static_cast<int64_t>(map.epoch(s)));
    if (auto err = stmt->run())
      return err;
  }
  {
    auto stmt = db_->statement(drop_beyond_sql, "cannot store the shard map");
    if (!stmt)
      return std::move(stmt.error());
    stmt->bind(1, static_cast<int64_t>(map.shards()));
    if (auto err = stmt->run())
      return err;
  }
  return tx->commit();
}

} // namespace retrain
