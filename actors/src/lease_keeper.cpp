#include "retrain/lease_keeper.hpp"

#include <utility>

#include <caf/send.hpp>

#include "retrain/dispatcher.hpp"
#include "retrain/log.hpp"
#include "retrain/sql_dialect.hpp"

namespace retrain {

namespace {

using self_ptr = caf::stateful_actor<lease_keeper_state>*;

// Database time in microseconds: the one clock every coordinator compares
// the lease's age with.
#define RETRAIN_NOW_US                                                         \
  "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)"

const std::string read_sql
  = "SELECT l.holder, l.epoch, " RETRAIN_NOW_US " - l.renewed_at_us, "
    "CASE WHEN EXISTS (SELECT 1 FROM pg_stat_activity a "
    "WHERE a.pid = l.backend_pid) THEN 1 ELSE 0 END "
    "FROM coordinator_lease l WHERE l.id = 1";

// The same judgement as `core::judge`, made again by the database under
// the row's lock, so that two standbys never both take one lease.
const std::string take_sql
  = "UPDATE coordinator_lease SET holder = ?1, epoch = epoch + 1, "
    "renewed_at_us = " RETRAIN_NOW_US ", backend_pid = pg_backend_pid() "
    "WHERE id = 1 AND (holder = '' OR epoch = 0 "
    "OR renewed_at_us < " RETRAIN_NOW_US " - ?2 "
    "OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a "
    "WHERE a.pid = coordinator_lease.backend_pid)) RETURNING epoch";

const std::string renew_sql
  = "UPDATE coordinator_lease SET renewed_at_us = " RETRAIN_NOW_US
    ", backend_pid = pg_backend_pid() "
    "WHERE id = 1 AND holder = ?1 AND epoch = ?2 RETURNING epoch";

const std::string release_sql
  = "UPDATE coordinator_lease SET holder = '', renewed_at_us = 0 "
    "WHERE id = 1 AND holder = ?1 AND epoch = ?2 RETURNING epoch";

// Sessions that hold the stores' write lock (`sql_dialect::postgresql`'s
// advisory key, split as pg_locks shows a bigint key).
const std::string terminate_sql
  = "SELECT COUNT(pg_terminate_backend(l.pid)) FROM pg_locks l "
    "WHERE l.locktype = 'advisory' AND l.granted "
    "AND l.pid <> pg_backend_pid() "
    "AND l.classid = CAST(?1 AS oid) AND l.objid = CAST(?2 AS oid)";

#undef RETRAIN_NOW_US

constexpr int64_t write_lock_key = sql_dialect::pg_write_lock_key;

int64_t steady_ns(std::chrono::steady_clock::time_point t) {
  return t.time_since_epoch().count();
}

caf::expected<core::lease_view> read_lease(self_ptr self) {
  auto& db = *self->state.db;
  auto stmt = db.statement(read_sql, "cannot read the coordinator lease");
  if (!stmt)
    return std::move(stmt.error());
  auto row = stmt->step();
  if (!row)
    return std::move(row.error());
  if (!*row)
    return db.failure("cannot read the coordinator lease", "no lease row");
  core::lease_view result;
  result.holder = stmt->text_column(0);
  result.epoch = stmt->int64_column(1);
  result.age_us = stmt->int64_column(2);
  result.holder_session_alive = stmt->int64_column(3) != 0;
  return result;
}

std::string describe(const core::lease_view& x) {
  if (x.holder.empty())
    return "nobody (epoch " + std::to_string(x.epoch) + ")";
  return x.holder + " (epoch " + std::to_string(x.epoch) + ")";
}

void release(self_ptr self) {
  auto& st = self->state;
  if (st.epoch == 0)
    return;
  auto epoch = st.epoch;
  st.epoch = 0;
  st.fence->drop();
  auto stmt = st.db->statement(release_sql, "cannot release the lease");
  if (!stmt) {
    log().warn("{}#{} {}", lease_keeper_state::name, self->id(),
               storage_error_text(stmt.error()));
    return;
  }
  stmt->bind(1, st.cfg.holder);
  stmt->bind(2, epoch);
  auto row = stmt->step();
  if (!row)
    log().warn("{}#{} {}; a standby takes over once it expires",
               lease_keeper_state::name, self->id(),
               storage_error_text(row.error()));
  else if (*row)
    log().info("{}#{} released the lease (epoch {})", lease_keeper_state::name,
               self->id(), epoch);
  else
    log().info("{}#{} the lease of epoch {} was taken over meanwhile",
               lease_keeper_state::name, self->id(), epoch);
}

// Ends the sessions that hold the write lock past the lock timeout: an old
// holder stopped inside a transaction keeps it for as long as it is
// stopped. Only called once its lease is no longer valid.
void end_lock_holders(self_ptr self) {
  auto& st = self->state;
  auto stmt = st.db->statement(terminate_sql, "cannot end the sessions that "
                                              "hold the write lock");
  if (!stmt)
    return;
  stmt->bind(1, write_lock_key >> 32);
  stmt->bind(2, write_lock_key & 0xffffffff);
  auto row = stmt->step();
  if (row && *row)
    log().warn("{}#{} ended {} database sessions that held the write lock "
               "past the lock timeout",
               lease_keeper_state::name, self->id(), stmt->int64_column(0));
}

// Takes the lease under the write lock; returns the new epoch, or 0 when
// another coordinator was faster or the holder renewed meanwhile.
caf::expected<int64_t> take(self_ptr self) {
  auto& st = self->state;
  if (auto err = st.db->exec("SET lock_timeout = 500",
                             "cannot set the lock timeout"))
    return err;
  auto tx = st.db->begin_write("cannot take the coordinator lease");
  if (!tx) {
    if (storage_error_text(tx.error()).find("lock timeout")
        != std::string::npos)
      end_lock_holders(self);
    return std::move(tx.error());
  }
  int64_t epoch = 0;
  {
    auto stmt = st.db->statement(take_sql, "cannot take the coordinator "
                                           "lease");
    if (!stmt)
      return std::move(stmt.error());
    stmt->bind(1, st.cfg.holder);
    stmt->bind(2, std::chrono::duration_cast<std::chrono::microseconds>(
                    st.cfg.timing.timeout)
                    .count());
    auto row = stmt->step();
    if (!row)
      return std::move(row.error());
    if (*row)
      epoch = stmt->int64_column(0);
  }
  if (auto err = tx->commit())
    return err;
  return epoch;
}

void campaign(self_ptr self) {
  auto& st = self->state;
  if (std::chrono::steady_clock::now() < st.campaign_after)
    return;
  auto view = read_lease(self);
  if (!view) {
    if (!st.read_failing)
      log().warn("{}#{} standby cannot read the lease: {}",
                 lease_keeper_state::name, self->id(),
                 storage_error_text(view.error()));
    st.read_failing = true;
    return;
  }
  st.read_failing = false;
  auto verdict = core::judge(*view, st.cfg.timing.timeout);
  if (!core::may_take(verdict)) {
    auto seen = describe(*view);
    if (seen != st.seen)
      log().info("{}#{} standby: the lease is held by {}",
                 lease_keeper_state::name, self->id(), seen);
    st.seen = std::move(seen);
    return;
  }
  auto sent = std::chrono::steady_clock::now();
  auto epoch = take(self);
  if (!epoch) {
    log().warn("{}#{} {}", lease_keeper_state::name, self->id(),
               storage_error_text(epoch.error()));
    return;
  }
  if (*epoch == 0)
    return;
  st.epoch = *epoch;
  st.seen.clear();
  st.fence->hold(st.epoch);
  std::string why;
  switch (verdict) {
    case core::lease_verdict::expired:
      why = "the lease of " + describe(*view) + " was not renewed for "
            + std::to_string(view->age_us / 1000) + " ms";
      break;
    case core::lease_verdict::holder_gone:
      why = "the database session of " + describe(*view) + " ended";
      break;
    default:
      why = "nobody held it";
  }
  log().info("{}#{} took the lease at epoch {}: {}", lease_keeper_state::name,
             self->id(), st.epoch, why);
  auto coord = spawn_coordinator(self->system(), st.cfg.job,
                                 st.cfg.request_timeout, st.cfg.news, st.fence);
  if (!coord) {
    log().error("{}#{} cannot start the coordinator: {}",
                lease_keeper_state::name, self->id(),
                storage_error_text(coord.error()));
    release(self);
    st.campaign_after = std::chrono::steady_clock::now()
                        + st.cfg.timing.timeout;
    return;
  }
  self->send(st.gate, atom::linkup::value, coord->dispatcher, coord->registry,
             static_cast<uint64_t>(st.epoch), steady_ns(sent));
}

void renew(self_ptr self) {
  auto& st = self->state;
  auto sent = std::chrono::steady_clock::now();
  bool renewed = false;
  {
    auto stmt = st.db->statement(renew_sql, "cannot renew the lease");
    if (!stmt) {
      if (!st.renew_failing)
        log().error("{}#{} {}", lease_keeper_state::name, self->id(),
                    storage_error_text(stmt.error()));
      st.renew_failing = true;
      return;
    }
    stmt->bind(1, st.cfg.holder);
    stmt->bind(2, st.epoch);
    auto row = stmt->step();
    if (!row) {
      if (!st.renew_failing)
        log().error("{}#{} {} (epoch {}); the coordinator stops acting "
                    "{} ms after the last renewal unless one goes through",
                    lease_keeper_state::name, self->id(),
                    storage_error_text(row.error()), st.epoch,
                    st.cfg.timing.self_fence().count());
      st.renew_failing = true;
      return;
    }
    renewed = *row;
  }
  if (!renewed) {
    auto lost = st.epoch;
    st.epoch = 0;
    st.fence->drop();
    auto view = read_lease(self);
    auto why = "the lease of epoch " + std::to_string(lost) + " was taken over"
               + (view ? " by " + describe(*view) : std::string{});
    log().warn("{}#{} {}", lease_keeper_state::name, self->id(), why);
    self->send(st.gate, atom::standby::value, why);
    return;
  }
  if (st.renew_failing)
    log().info("{}#{} renewed the lease again (epoch {})",
               lease_keeper_state::name, self->id(), st.epoch);
  st.renew_failing = false;
  self->send(st.gate, atom::lease::value, static_cast<uint64_t>(st.epoch),
             steady_ns(sent));
}

void tick(self_ptr self) {
  auto& st = self->state;
  if (st.stopping)
    return;
  if (st.epoch != 0)
    renew(self);
  else
    campaign(self);
  self->delayed_send(self,
                     st.epoch != 0 ? st.cfg.timing.renew_interval()
                                   : st.cfg.timing.poll_interval(),
                     atom::tick::value);
}

bool from_this_node(self_ptr self) {
  auto& sender = self->current_sender();
  return sender && sender->node() == self->node();
}

} // namespace

caf::behavior
lease_keeper(caf::stateful_actor<lease_keeper_state>* self,
             std::unique_ptr<database> db, lease_keeper_config cfg,
             std::shared_ptr<write_fence> fence, caf::actor gate) {
  auto& st = self->state;
  st.db = std::move(db);
  st.cfg = std::move(cfg);
  st.fence = std::move(fence);
  st.gate = std::move(gate);
  log().info("{}#{} {} is a standby until it holds the lease of {} (lease "
             "timeout {} ms, renewed every {} ms, self-fence after {} ms)",
             lease_keeper_state::name, self->id(), st.cfg.holder, st.db->path(),
             st.cfg.timing.timeout.count(),
             st.cfg.timing.renew_interval().count(),
             st.cfg.timing.self_fence().count());
  // First, so that the gate knows who hands it the coordinator.
  self->send(st.gate, atom::linkup::value, caf::actor_cast<caf::actor>(self));
  self->send(self, atom::tick::value);
  return {
    [=](atom::tick) {
      if (from_this_node(self))
        tick(self);
    },
    [=](atom::standby) {
      // The gate stepped down (self-fence, a fenced write, a stopped
      // dispatcher): let another coordinator take over first.
      auto& st = self->state;
      if (!from_this_node(self))
        return;
      release(self);
      st.campaign_after = std::chrono::steady_clock::now()
                          + st.cfg.timing.timeout;
    },
    [=](atom::drain) -> caf::result<uint64_t> {
      if (!from_this_node(self))
        return caf::make_error(ec::invalid_value, "not from this node");
      self->state.stopping = true;
      release(self);
      return uint64_t{0};
    },
  };
}

} // namespace retrain
