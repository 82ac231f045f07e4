#include "retrain/policy_store.hpp"

#include <utility>

#include "retrain/registry_schema.hpp"
#include "retrain/sql_dialect.hpp"

namespace retrain {

namespace {

using sql_dialect::param;

const std::string all_sql
  = "SELECT epoch, pattern, version, body, removed, changed_by, reason, "
    "created_at_ns FROM policies ORDER BY epoch";

const std::string insert_sql
  = "INSERT INTO policies (epoch, pattern, version, body, removed, "
    "changed_by, reason, created_at_ns) VALUES ("
    + param(1) + ", " + param(2) + ", " + param(3) + ", " + param(4) + ", "
    + param(5) + ", " + param(6) + ", " + param(7) + ", " + param(8) + ")";

} // namespace

policy_store::policy_store(std::unique_ptr<database> db) : db_(std::move(db)) {
  // nop
}

caf::expected<std::unique_ptr<policy_store>>
policy_store::make(std::unique_ptr<database> db) {
  if (auto err = db->prepare({&all_sql, &insert_sql}))
    return err;
  return std::unique_ptr<policy_store>{new policy_store(std::move(db))};
}

caf::expected<std::unique_ptr<policy_store>>
policy_store::open(const std::string& data_dir, const std::string& url,
                   std::shared_ptr<write_fence> fence) {
  auto db = open_registry_db(data_dir, url, std::move(fence));
  if (!db)
    return std::move(db.error());
  return make(std::move(*db));
}

caf::expected<std::vector<policy_record>> policy_store::changes() {
  auto stmt = db_->statement(all_sql, "cannot read the policies");
  if (!stmt)
    return std::move(stmt.error());
  std::vector<policy_record> result;
  auto err = stmt->for_each_row([&]() -> caf::error {
    policy_record x;
    x.epoch = static_cast<uint64_t>(stmt->int64_column(0));
    x.pattern = stmt->text_column(1);
    x.version = static_cast<uint64_t>(stmt->int64_column(2));
    x.text = stmt->text_column(3);
    x.removed = stmt->int64_column(4) != 0;
    x.by = stmt->text_column(5);
    x.reason = stmt->text_column(6);
    x.created_at_ns = stmt->int64_column(7);
    result.push_back(std::move(x));
    return caf::none;
  });
  if (err)
    return err;
  return result;
}

caf::error policy_store::append(const policy_record& x) {
  auto stmt = db_->statement(insert_sql, "cannot store policy " + x.pattern
                                           + " v" + std::to_string(x.version));
  if (!stmt)
    return std::move(stmt.error());
  stmt->bind(1, static_cast<int64_t>(x.epoch));
  stmt->bind(2, std::string_view{x.pattern});
  stmt->bind(3, static_cast<int64_t>(x.version));
  stmt->bind(4, std::string_view{x.text});
  stmt->bind(5, int64_t{x.removed ? 1 : 0});
  stmt->bind(6, std::string_view{x.by});
  stmt->bind(7, std::string_view{x.reason});
  stmt->bind(8, x.created_at_ns);
  return stmt->run();
}

} // namespace retrain
