#include "retrain/pg_db.hpp"

#include <cstdlib>
#include <utility>

#include <libpq-fe.h>

#include "retrain/core/utf8_text.hpp"
#include "retrain/sql_dialect.hpp"

namespace retrain {

namespace {

// libpq's messages end with a newline.
std::string trimmed(const char* msg) {
  std::string result = msg != nullptr ? msg : "";
  while (
    !result.empty()
    && (result.back() == '\n' || result.back() == ' ' || result.back() == '\r'))
    result.pop_back();
  return result;
}

// The message of a failed result, as the server words it ("disk on fire"
// for `RAISE EXCEPTION 'disk on fire'`), else libpq's.
std::string result_error(const PGresult* res, const PGconn* conn) {
  if (res != nullptr)
    if (auto primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY))
      return trimmed(primary);
  return trimmed(PQerrorMessage(conn));
}

bool succeeded(const PGresult* res) {
  if (res == nullptr)
    return false;
  auto status = PQresultStatus(res);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

struct result_clear {
  void operator()(PGresult* res) const noexcept {
    PQclear(res);
  }
};

using result_ptr = std::unique_ptr<PGresult, result_clear>;

} // namespace

bool is_postgresql_url(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

std::string redacted_url(const std::string& url) {
  char* err = nullptr;
  auto opts = PQconninfoParse(url.c_str(), &err);
  if (opts == nullptr) {
    PQfreemem(err);
    return url.substr(0, url.find('?'));
  }
  std::string user, host, port, dbname;
  for (auto opt = opts; opt->keyword != nullptr; ++opt) {
    std::string key = opt->keyword;
    std::string val = opt->val != nullptr ? opt->val : "";
    if (key == "user")
      user = val;
    else if (key == "host")
      host = val;
    else if (key == "port")
      port = val;
    else if (key == "dbname")
      dbname = val;
  }
  PQconninfoFree(opts);
  std::string result = "postgresql://";
  if (!user.empty())
    result += user + "@";
  result += host;
  if (!port.empty())
    result += ":" + port;
  if (!dbname.empty())
    result += "/" + dbname;
  return result;
}

PGconn* pg_connect(const std::string& url, std::string& error) {
  // Defaults first: what the URL (expanded from `dbname`) says wins.
  const char* keys[] = {"connect_timeout",  "keepalives",
                        "keepalives_idle",  "keepalives_interval",
                        "keepalives_count", "application_name",
                        "dbname",           nullptr};
  const char* values[] = {"10", "1",       "5",         "2",
                          "5",  "retrain", url.c_str(), nullptr};
  auto conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr) {
    error = "out of memory";
    return nullptr;
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    error = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return nullptr;
  }
  // Quiet the server's notices (e.g. "relation already exists, skipping").
  PQsetNoticeProcessor(
    conn, [](void*, const char*) {}, nullptr);
  return conn;
}

// -- pg_statement -------------------------------------------------------------

/// A statement of a `pg_db`. A cached one is prepared on the server once
/// per session and reset at the end of each use; one of its own (for a use
/// while the cached one is busy) runs unprepared and is freed at its end.
/// A result arrives whole, so stepping reads rows from memory.
class pg_statement : public statement_backend {
public:
  pg_statement(pg_db* db, std::string sql, std::string name)
    : db_(db), sql_(std::move(sql)), name_(std::move(name)) {
    is_read_ = sql_.rfind("SELECT ", 0) == 0;
  }

  // Readies the statement for a use that `what` describes; false when it
  // is in use further up the stack.
  bool start(std::string what) {
    if (in_use_)
      return false;
    in_use_ = true;
    what_ = std::move(what);
    return true;
  }

  // Prepares the statement in the connection's current session, if it is
  // not prepared there yet.
  caf::error ensure_prepared() {
    if (name_.empty() || prepared_session_ == db_->session_)
      return caf::none;
    result_ptr res{
      PQprepare(db_->conn_, name_.c_str(), sql_.c_str(), 0, nullptr)};
    if (!succeeded(res.get()))
      return db_->failure("cannot prepare '" + sql_ + "'",
                          result_error(res.get(), db_->conn_));
    prepared_session_ = db_->session_;
    return caf::none;
  }

  void bind(int index, int64_t x) override {
    set(index, std::to_string(x));
  }

  void bind(int index, std::string_view x) override {
    // A text column refuses NUL and invalid UTF-8 (a job's error or
    // artifact may hold any bytes): store them replaced rather than fail
    // the write again and again.
    set(index, core::to_storable_text(x));
  }

  caf::expected<bool> step() override {
    if (!result_) {
      if (auto err = execute())
        return err;
    }
    if (row_ + 1 >= PQntuples(result_.get())) {
      row_ = PQntuples(result_.get());
      return false;
    }
    ++row_;
    return true;
  }

  int64_t int64_column(int index) const override {
    return std::strtoll(PQgetvalue(result_.get(), row_, index), nullptr, 10);
  }

  std::string text_column(int index) const override {
    return std::string{
      PQgetvalue(result_.get(), row_, index),
      static_cast<size_t>(PQgetlength(result_.get(), row_, index))};
  }

  caf::error failure() const override {
    return db_->failure(what_, last_error_.empty()
                                 ? trimmed(PQerrorMessage(db_->conn_))
                                 : last_error_);
  }

  caf::error failure(const std::string& detail) const override {
    return db_->failure(what_, detail);
  }

  void release() noexcept override {
    if (name_.empty()) {
      delete this;
      return;
    }
    result_.reset();
    params_.clear();
    row_ = -1;
    last_error_.clear();
    in_use_ = false;
  }

private:
  void set(int index, std::string x) {
    if (index < 1)
      return;
    auto i = static_cast<size_t>(index);
    if (params_.size() < i)
      params_.resize(i);
    params_[i - 1] = std::move(x);
  }

  caf::error execute() {
    // A fenced database writes only in transactions that check the lease
    // epoch: a write outside one gets one of its own.
    if (!is_read_ && db_->fence_ && db_->tx_session_ == 0)
      return execute_fenced();
    // A read outside a transaction that finds its connection lost (the
    // server restarted since the last statement) runs once more on a new
    // connection: it changes nothing, so running it twice is harmless. A
    // write fails instead, and its caller retries it.
    auto err = execute_once();
    if (err && is_read_ && db_->tx_session_ == 0
        && PQstatus(db_->conn_) == CONNECTION_BAD)
      err = execute_once();
    return err;
  }

  // Runs a write in a fenced transaction of its own; its rows (`RETURNING`)
  // stay readable after the commit, since a result arrives whole.
  caf::error execute_fenced() {
    if (auto err = db_->start_write(what_)) {
      db_->rollback();
      return err;
    }
    auto err = execute_once();
    if (!err)
      err = db_->commit_write(what_);
    if (err) {
      db_->rollback();
      result_.reset();
    }
    return err;
  }

  caf::error execute_once() {
    if (auto err = db_->ensure_connected(what_))
      return err;
    if (auto err = ensure_prepared())
      return err;
    std::vector<const char*> values;
    values.reserve(params_.size());
    for (auto& x : params_)
      values.push_back(x.c_str());
    auto n = static_cast<int>(values.size());
    auto res = name_.empty()
                 ? PQexecParams(db_->conn_, sql_.c_str(), n, nullptr,
                                values.data(), nullptr, nullptr, 0)
                 : PQexecPrepared(db_->conn_, name_.c_str(), n, values.data(),
                                  nullptr, nullptr, 0);
    result_.reset(res);
    if (!succeeded(res)) {
      last_error_ = result_error(res, db_->conn_);
      result_.reset();
      return failure();
    }
    return caf::none;
  }

  pg_db* db_;
  std::string sql_;
  // The name of the prepared statement, or empty for one of its own.
  std::string name_;
  uint64_t prepared_session_ = 0;
  // Whether the statement only reads.
  bool is_read_ = false;
  bool in_use_ = false;
  std::vector<std::string> params_;
  result_ptr result_;
  int row_ = -1;
  std::string last_error_;
  std::string what_;
};

// -- pg_db --------------------------------------------------------------------

pg_db::pg_db(std::string label, std::string path, PGconn* conn)
  : database(std::move(label), std::move(path), sql_dialect::postgresql()),
    conn_(conn) {
  // nop
}

pg_db::~pg_db() {
  cache_.clear();
  PQfinish(conn_);
}

caf::error pg_db::failure(const std::string& what) const {
  return failure(what, trimmed(PQerrorMessage(conn_)));
}

caf::error pg_db::ensure_connected(const std::string& what) {
  // A server that went away since the last statement (a restart, a
  // failover) closed the socket: reading what is pending (nothing else on
  // an idle connection) finds that, so the statement goes to a new
  // connection instead of failing on the old one.
  if (tx_session_ == 0 && PQstatus(conn_) == CONNECTION_OK)
    PQconsumeInput(conn_);
  if (PQstatus(conn_) == CONNECTION_OK)
    return caf::none;
  // A transaction lost with its session is over: only its rollback may
  // reconnect, or a later statement would run outside it.
  if (tx_session_ != 0)
    return failure(what, "the connection to the database was lost");
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK)
    return failure(what, "cannot reach the database: "
                           + trimmed(PQerrorMessage(conn_)));
  PQsetNoticeProcessor(
    conn_, [](void*, const char*) {}, nullptr);
  ++session_;
  return caf::none;
}

caf::error pg_db::exec(const std::string& sql, const std::string& what) {
  if (auto err = ensure_connected(what))
    return err;
  result_ptr res{PQexec(conn_, sql.c_str())};
  if (!succeeded(res.get()))
    return failure(what, result_error(res.get(), conn_));
  return caf::none;
}

caf::error pg_db::prepare(const std::string& sql) {
  auto i = cache_.find(sql);
  if (i == cache_.end()) {
    auto name = "s" + std::to_string(++next_name_);
    i = cache_
          .emplace(sql, std::make_unique<pg_statement>(
                          this, dialect().statement_sql(sql), std::move(name)))
          .first;
  }
  if (auto err = ensure_connected("cannot prepare '" + sql + "'"))
    return err;
  return i->second->ensure_prepared();
}

caf::expected<db_statement> pg_db::statement(const std::string& sql,
                                             std::string what) {
  auto i = cache_.find(sql);
  if (i == cache_.end()) {
    if (auto err = prepare(sql))
      return err;
    i = cache_.find(sql);
  }
  auto& cached = *i->second;
  if (cached.start(what))
    return db_statement{&cached};
  // The cached one is stepping through rows further up the stack.
  auto own = new pg_statement{this, dialect().statement_sql(sql), {}};
  own->start(std::move(what));
  return db_statement{own};
}

bool pg_db::in_transaction() const noexcept {
  return tx_session_ != 0;
}

caf::error pg_db::start_write(const std::string& what) {
  if (auto err = ensure_connected(what))
    return err;
  if (!fence_) {
    tx_session_ = session_;
    return exec(dialect().begin_write, what);
  }
  auto held = fence_->epoch();
  if (held <= 0)
    return failure(what, "this coordinator does not hold the lease of the "
                         "database (it is a standby or stepped down)");
  tx_session_ = session_;
  // One round trip: PQexec answers with the result of the last statement,
  // the epoch of the lease as it stands once this transaction holds the
  // write lock, which any takeover takes too.
  static const std::string fenced_begin
    = std::string{dialect().begin_write}
      + "; SELECT epoch FROM coordinator_lease WHERE id = 1";
  result_ptr res{PQexec(conn_, fenced_begin.c_str())};
  if (!succeeded(res.get()))
    return failure(what, result_error(res.get(), conn_));
  auto current = PQntuples(res.get()) > 0
                   ? std::strtoll(PQgetvalue(res.get(), 0, 0), nullptr, 10)
                   : int64_t{0};
  if (current != held) {
    fence_->lose(current);
    return failure(what, "fenced: the lease of the database is at epoch "
                           + std::to_string(current) + ", this coordinator "
                           + "held epoch " + std::to_string(held)
                           + ": another coordinator took over");
  }
  return caf::none;
}

caf::error pg_db::commit_write(const std::string& what) {
  if (tx_session_ != session_ || PQstatus(conn_) != CONNECTION_OK)
    return failure(what, "the connection to the database was lost");
  result_ptr res{PQexec(conn_, dialect().commit)};
  if (!succeeded(res.get()))
    return failure(what, result_error(res.get(), conn_));
  // COMMIT of a transaction that failed before answers ROLLBACK.
  std::string status = PQcmdStatus(res.get());
  if (status != "COMMIT")
    return failure(what, "the transaction was rolled back");
  tx_session_ = 0;
  return caf::none;
}

void pg_db::rollback() noexcept {
  if (tx_session_ == 0)
    return;
  tx_session_ = 0;
  if (PQstatus(conn_) == CONNECTION_OK)
    PQclear(PQexec(conn_, dialect().rollback));
}

caf::expected<std::unique_ptr<pg_db>>
pg_db::open(std::string label, const std::string& url,
            const std::vector<schema_migration>& schema) {
  auto where = redacted_url(url);
  char* parse_err = nullptr;
  auto opts = PQconninfoParse(url.c_str(), &parse_err);
  if (opts == nullptr) {
    auto msg = trimmed(parse_err != nullptr ? parse_err : "cannot parse it");
    PQfreemem(parse_err);
    return caf::make_error(ec::invalid_config,
                           label + " " + where + ": bad URL: " + msg);
  }
  PQconninfoFree(opts);
  std::string error;
  auto conn = pg_connect(url, error);
  if (conn == nullptr)
    return caf::make_error(ec::storage_failure,
                           label + " " + where + ": cannot connect: " + error);
  std::unique_ptr<pg_db> self{new pg_db(std::move(label), where, conn)};
  if (auto err = self->migrate(schema))
    return err;
  return self;
}

} // namespace retrain
