#include "retrain/shard_store.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <chrono>
#include <optional>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "retrain/core/hex_text.hpp"
#include "retrain/core/zero_runs.hpp"
#include "retrain/log.hpp"
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

const std::string upsert_snapshot_sql
  = "INSERT INTO monitor_snapshots (model, shard, epoch, body, updated_at_ns) "
    "VALUES ("
    + param(1) + ", " + param(2) + ", " + param(3) + ", " + param(4) + ", "
    + param(5)
    + ") ON CONFLICT (model) DO UPDATE SET shard = excluded.shard, "
      "epoch = excluded.epoch, body = excluded.body, "
      "updated_at_ns = excluded.updated_at_ns";

const std::string snapshots_of_shard_sql
  = "SELECT model, epoch, body FROM monitor_snapshots WHERE shard = "
    + param(1);

const std::string count_snapshots_sql
  = "SELECT COUNT(*) FROM monitor_snapshots";

// A snapshot as its row's body: CAF's binary form, zero runs packed,
// spelled in hex (a PostgreSQL TEXT holds no NUL byte).
std::string encode(const monitor_snapshot& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  if (sink(const_cast<monitor_snapshot&>(x)))
    return {};
  return core::to_hex(core::pack_zero_runs(buf));
}

std::optional<monitor_snapshot> decode(const std::string& body) {
  auto packed = core::from_hex(body);
  if (!packed)
    return std::nullopt;
  auto buf = core::unpack_zero_runs(*packed);
  if (!buf)
    return std::nullopt;
  monitor_snapshot result;
  caf::binary_deserializer source{nullptr, *buf};
  if (source(result))
    return std::nullopt;
  return result;
}

} // namespace

shard_store::shard_store(std::unique_ptr<database> db) : db_(std::move(db)) {
  // nop
}

caf::expected<std::unique_ptr<shard_store>>
shard_store::make(std::unique_ptr<database> db) {
  if (auto err = db->prepare({&all_sql, &upsert_sql, &drop_beyond_sql,
                              &upsert_snapshot_sql, &snapshots_of_shard_sql,
                              &count_snapshots_sql}))
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

caf::error
shard_store::save_snapshots(const std::vector<stored_snapshot>& items) {
  if (items.empty())
    return caf::none;
  auto tx = db_->begin_write("cannot store monitor snapshots");
  if (!tx)
    return std::move(tx.error());
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  for (auto& x : items) {
    auto body = encode(x.snapshot);
    if (body.empty())
      continue;
    auto stmt = db_->statement(
      upsert_snapshot_sql, "cannot store the snapshot of " + x.snapshot.model);
    if (!stmt)
      return std::move(stmt.error());
    stmt->bind(1, std::string_view{x.snapshot.model});
    stmt->bind(2, static_cast<int64_t>(x.shard));
    stmt->bind(3, static_cast<int64_t>(x.epoch));
    stmt->bind(4, std::string_view{body});
    stmt->bind(5, static_cast<int64_t>(now));
    if (auto err = stmt->run())
      return err;
  }
  return tx->commit();
}

caf::expected<std::vector<stored_snapshot>>
shard_store::load_snapshots(const std::vector<uint32_t>& shards) {
  std::vector<stored_snapshot> result;
  for (auto shard : shards) {
    auto stmt = db_->statement(snapshots_of_shard_sql,
                               "cannot read the snapshots of shard "
                                 + std::to_string(shard));
    if (!stmt)
      return std::move(stmt.error());
    stmt->bind(1, static_cast<int64_t>(shard));
    auto err = stmt->for_each_row([&]() -> caf::error {
      auto model = stmt->text_column(0);
      auto snap = decode(stmt->text_column(2));
      if (!snap) {
        log().error("shard_store: the stored snapshot of {} does not read; "
                    "the model starts afresh",
                    model);
        return caf::none;
      }
      snap->model = std::move(model);
      result.push_back(stored_snapshot{
        shard, static_cast<uint64_t>(stmt->int64_column(1)), std::move(*snap)});
      return caf::none;
    });
    if (err)
      return err;
  }
  return result;
}

caf::expected<uint64_t> shard_store::count_snapshots() {
  auto stmt = db_->statement(count_snapshots_sql,
                             "cannot count monitor snapshots");
  if (!stmt)
    return std::move(stmt.error());
  uint64_t n = 0;
  auto err = stmt->for_each_row([&]() -> caf::error {
    n = static_cast<uint64_t>(stmt->int64_column(0));
    return caf::none;
  });
  if (err)
    return err;
  return n;
}

} // namespace retrain
