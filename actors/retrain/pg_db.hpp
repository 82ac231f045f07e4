#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/database.hpp"

struct pg_conn;

namespace retrain {

class pg_statement;

/// Whether `url` names a PostgreSQL database (`postgresql://...` or
/// `postgres://...`).
bool is_postgresql_url(const std::string& url);

/// `url` without its password (and without parameters), for logs and
/// error texts: `postgresql://user@host:port/dbname`. Returns `url` cut at
/// its `?` when libpq cannot parse it.
std::string redacted_url(const std::string& url);

/// One connection to a PostgreSQL database through libpq, with numbered
/// schema migrations (recorded in the table `schema_version`) and a cache
/// of prepared statements. Write transactions are serialized across every
/// connection by a transaction-level advisory lock
/// (`sql_dialect::postgresql().begin_write`), so a store reads and writes
/// as on SQLite.
///
/// A lost connection fails the statement that found it; the next
/// statement outside a transaction reconnects (and prepares again what it
/// uses). A transaction whose connection was lost fails as a whole.
class pg_db : public database {
public:
  /// Connects to `url` (a libpq URL, e.g.
  /// `postgresql://retrain:secret@db.example.com:5432/retrain`) and brings
  /// its schema to the last step of `schema` in one write transaction.
  /// Unless the URL says otherwise, connecting gives up after 10 s and
  /// TCP keepalives find a dead server within about 15 s. `label` starts
  /// every error text, e.g. `registry db`.
  static caf::expected<std::unique_ptr<pg_db>>
  open(std::string label, const std::string& url,
       const std::vector<schema_migration>& schema);

  ~pg_db() override;

  caf::expected<db_statement> statement(const std::string& sql,
                                        std::string what) override;

  caf::error prepare(const std::string& sql) override;

  using database::prepare;

  caf::error exec(const std::string& sql, const std::string& what) override;

  caf::error failure(const std::string& what) const override;

  using database::failure;

  /// The connection, or null.
  pg_conn* handle() const noexcept {
    return conn_;
  }

  /// How many times the connection was made: 1 after `open`, +1 for each
  /// reconnect.
  uint64_t session() const noexcept {
    return session_;
  }

  /// Connects again if the connection is lost and no transaction is open;
  /// fails with what libpq says when that does not work.
  caf::error ensure_connected(const std::string& what);

protected:
  bool in_transaction() const noexcept override;

  caf::error start_write(const std::string& what) override;

  caf::error commit_write(const std::string& what) override;

  void rollback() noexcept override;

private:
  friend class pg_statement;

  pg_db(std::string label, std::string path, pg_conn* conn);

  pg_conn* conn_;
  // The session a transaction began in, or 0 outside one.
  uint64_t tx_session_ = 0;
  uint64_t session_ = 1;
  int next_name_ = 0;
  std::unordered_map<std::string, std::unique_ptr<pg_statement>> cache_;
};

/// Connects to `url` with the defaults of `pg_db::open` (timeouts,
/// keepalives). Returns null with `error` set when that fails.
pg_conn* pg_connect(const std::string& url, std::string& error);

} // namespace retrain
