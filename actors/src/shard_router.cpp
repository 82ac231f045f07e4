#include "retrain/shard_router.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <limits>
#include <set>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "retrain/config_error.hpp"
#include "retrain/coordinator_link.hpp"
#include "retrain/core/shard_map.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"

namespace retrain {

const shard_member*
shard_router_state::owner_of(const std::string& model) const {
  if (map.owners.empty())
    return nullptr;
  return map.owner(core::shard_of_model(model, map.shards()));
}

core::shard_access
shard_router_state::access(uint32_t shard,
                           caf::actor_clock::time_point now) const {
  // The lease took every map with this node's name: it knows which shards
  // are this node's, at which epochs.
  auto x = lease.access(shard, map.version, now);
  // Restoring its monitors or handing them over: the events wait.
  if (x == core::shard_access::apply
      && (restoring.count(shard) > 0 || released.count(shard) > 0))
    return core::shard_access::moving;
  return x;
}

bool shard_router_state::applies(uint32_t shard,
                                 caf::actor_clock::time_point now) const {
  return access(shard, now) == core::shard_access::apply;
}

uint64_t shard_router_state::epoch_of(uint32_t shard) const {
  return shard < map.epochs.size() ? map.epochs[shard] : 0;
}

namespace {

using self_ptr = shard_router_self_actor::stateful_pointer<shard_router_state>;

/// Events of one batch on their way somewhere, with their indexes in it.
struct part {
  std::vector<uint64_t> index;
  metric_batch batch;
  /// Per event: its shard and the shard's epoch when it was routed.
  std::vector<uint32_t> shards;
  std::vector<uint64_t> epochs;

  void add(uint64_t i, metric_event&& ev, uint32_t shard, uint64_t epoch) {
    index.push_back(i);
    batch.events.push_back(std::move(ev));
    shards.push_back(shard);
    epochs.push_back(epoch);
  }
};

int64_t to_ns(caf::actor_clock::time_point x) {
  if (x == caf::actor_clock::time_point::max())
    return std::numeric_limits<int64_t>::max();
  if (x == caf::actor_clock::time_point::min())
    return std::numeric_limits<int64_t>::min();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           x.time_since_epoch())
    .count();
}

// Records a batch applied at `applied_ns` in the journal: one line per
// shard, with the epoch it was routed under.
void journal(self_ptr self, const part& p, int64_t applied_ns) {
  auto& st = self->state;
  if (!st.journal)
    return;
  std::map<uint32_t, std::pair<uint64_t, uint64_t>> per_shard;
  for (size_t i = 0; i < p.shards.size(); ++i) {
    auto& x = per_shard[p.shards[i]];
    x.first = p.epochs[i];
    ++x.second;
  }
  std::string text;
  for (auto& [shard, x] : per_shard)
    text += st.node + " " + std::to_string(shard) + " "
            + std::to_string(x.first) + " " + std::to_string(applied_ns) + " "
            + std::to_string(x.second) + "\n";
  std::fwrite(text.data(), 1, text.size(), st.journal.get());
  std::fflush(st.journal.get());
}

// Says once that events of this node's own shards wait, and why.
void note_waiting(self_ptr self, core::shard_access why) {
  auto& st = self->state;
  if (why != core::shard_access::no_lease || st.told_no_lease)
    return;
  st.told_no_lease = true;
  log().warn("{}#{} no renewal of the ownership lease from the coordinator "
             "within {} ms: this node stops applying the events of its "
             "shards, which wait here until it is renewed or the shards' new "
             "owner takes them",
             shard_router_state::name, self->id(),
             st.lease.timing().term().count());
}

std::string endpoint_of(const shard_member& m) {
  return m.host + ":" + std::to_string(m.port);
}

void finish(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto i = st.batches.find(id);
  if (i == st.batches.end() || i->second.open > 0)
    return;
  auto& b = i->second;
  auto& rejects = b.report.rejects;
  std::sort(rejects.begin(), rejects.end(),
            [](auto& x, auto& y) { return x.index < y.index; });
  if (!rejects.empty())
    b.report.ack.first_error = "event " + std::to_string(rejects[0].index)
                               + ": " + error_text(rejects[0].reason);
  if (b.answer) {
    if (b.explain)
      b.full.deliver(std::move(b.report));
    else
      b.ack.deliver(std::move(b.report.ack));
  }
  st.batches.erase(i);
}

// Adds what an owner made of `p` (`r`, indexes of `p`) to batch `id`.
void resolve(self_ptr self, uint64_t id, const std::vector<uint64_t>& index,
             batch_report& r) {
  auto& st = self->state;
  auto i = st.batches.find(id);
  if (i == st.batches.end())
    return;
  auto& b = i->second;
  b.report.ack.accepted += r.ack.accepted;
  b.report.ack.rejected += r.ack.rejected;
  for (auto& x : r.rejects)
    b.report.rejects.push_back(
      event_reject{index.at(x.index), std::move(x.reason)});
  auto done = r.ack.accepted + r.ack.rejected;
  b.open -= std::min(b.open, done);
  finish(self, id);
}

void reject(self_ptr self, uint64_t id, uint64_t index, caf::error reason) {
  auto& st = self->state;
  auto i = st.batches.find(id);
  if (i == st.batches.end())
    return;
  auto& b = i->second;
  ++b.report.ack.rejected;
  b.report.rejects.push_back(event_reject{index, std::move(reason)});
  if (b.open > 0)
    --b.open;
  finish(self, id);
}

void schedule_retry(self_ptr self) {
  auto& st = self->state;
  if (st.retry_scheduled || st.parked.empty())
    return;
  st.retry_scheduled = true;
  self->delayed_send(self, shard_router_state::retry_interval,
                     atom::retry::value);
}

void park(self_ptr self, uint64_t id, uint64_t index, metric_event ev) {
  auto& st = self->state;
  if (st.parked.size() >= shard_router_state::max_parked) {
    reject(self, id, index,
           caf::make_error(ec::unreachable,
                           "the owner of the shard of " + ev.model
                             + " is not reachable yet; send it again"));
    return;
  }
  if (st.map.owners.empty() && !st.told_no_map) {
    st.told_no_map = true;
    log().info("{}#{} no shard map from the coordinator yet: events wait "
               "here until it comes",
               shard_router_state::name, self->id());
  }
  st.parked.push_back(parked_event{id, index, std::move(ev)});
  schedule_retry(self);
}

void connect(self_ptr self, const shard_member& m) {
  auto& st = self->state;
  auto key = endpoint_of(m);
  auto& peer = st.peers[key];
  if (peer.handle || peer.connecting)
    return;
  peer.connecting = true;
  auto& sys = self->system();
  auto mm = sys.has_openssl_manager() ? sys.openssl_manager().actor_handle()
                                      : sys.middleman().actor_handle();
  self->request(mm, st.timeout, caf::connect_atom::value, m.host, m.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>& ifs) {
        shard_router_actor handle;
        if (ptr && self->system().assignable<shard_router_actor>(ifs))
          handle = caf::actor_cast<shard_router_actor>(std::move(ptr));
        else
          log().warn("{}#{} {} is no shard router", shard_router_state::name,
                     self->id(), key);
        self->send(self, atom::linkup::value, key, handle);
      },
      [=](caf::error& err) {
        log().warn("{}#{} cannot reach the shard router at {}: {}",
                   shard_router_state::name, self->id(), key,
                   self->system().render(err));
        self->send(self, atom::linkup::value, key, shard_router_actor{});
      });
}

// Hands events of this node's shards to the supervisor under the lease:
// applied before the lease's end, or given back and parked.
void apply_local(self_ptr self, uint64_t id, part p) {
  auto& st = self->state;
  lease_batch msg{to_ns(st.lease.deadline()), std::move(p.batch)};
  auto sent = std::make_shared<part>(std::move(p));
  self->request(st.supervisor, st.timeout, std::move(msg))
    .then(
      [=](lease_report& r) {
        if (r.expired) {
          auto& events = r.returned.events;
          for (size_t i = 0; i < sent->index.size() && i < events.size(); ++i)
            park(self, id, sent->index[i], std::move(events[i]));
          return;
        }
        journal(self, *sent, r.applied_ns);
        resolve(self, id, sent->index, r.report);
      },
      [=](caf::error& err) {
        for (auto i : sent->index)
          reject(self, id, i, err);
      });
}

void route(self_ptr self, uint64_t id,
           std::vector<std::pair<uint64_t, metric_event>> items);

void forward(self_ptr self, uint64_t id, const shard_router_actor& to, part p) {
  auto& st = self->state;
  st.forwarded += p.batch.events.size();
  auto sent = std::make_shared<part>(std::move(p));
  shard_batch msg{st.map.version, sent->batch.events, sent->epochs};
  // Half of ingest's wait: what comes back in time can still be parked.
  self->request(to, st.timeout / 2, std::move(msg))
    .then(
      [=](shard_reply& r) {
        resolve(self, id, sent->index, r.report);
        std::vector<std::pair<uint64_t, metric_event>> again;
        for (auto i : r.returned)
          if (i < sent->batch.events.size())
            again.emplace_back(sent->index[i], sent->batch.events[i]);
        for (auto& [index, ev] : again)
          park(self, id, index, std::move(ev));
      },
      [=](caf::error&) {
        // The owner is lost or slow: route again (the map changes when
        // the coordinator loses it too).
        for (size_t i = 0; i < sent->index.size(); ++i)
          park(self, id, sent->index[i], sent->batch.events[i]);
      });
}

void route(self_ptr self, uint64_t id,
           std::vector<std::pair<uint64_t, metric_event>> items) {
  auto& st = self->state;
  part local;
  std::map<std::string, part> remote;
  auto now = self->clock().now();
  for (auto& [index, ev] : items) {
    auto shard = st.map.owners.empty()
                   ? 0u
                   : core::shard_of_model(ev.model, st.map.shards());
    auto owner = st.map.owner(shard);
    if (owner && owner->node == st.node) {
      auto why = st.access(shard, now);
      if (why == core::shard_access::apply) {
        local.add(index, std::move(ev), shard, st.epoch_of(shard));
        continue;
      }
      note_waiting(self, why);
      park(self, id, index, std::move(ev));
      continue;
    }
    if (owner && owner->port != 0) {
      auto key = endpoint_of(*owner);
      auto peer = st.peers.find(key);
      if (peer != st.peers.end() && peer->second.handle) {
        remote[key].add(index, std::move(ev), shard, st.epoch_of(shard));
        continue;
      }
      connect(self, *owner);
    }
    park(self, id, index, std::move(ev));
  }
  if (!local.index.empty())
    apply_local(self, id, std::move(local));
  for (auto& [key, p] : remote)
    forward(self, id, st.peers[key].handle, std::move(p));
}

void reroute_parked(self_ptr self) {
  auto& st = self->state;
  if (st.parked.empty())
    return;
  auto now = self->clock().now();
  auto parked = std::move(st.parked);
  st.parked.clear();
  std::map<uint64_t, std::vector<std::pair<uint64_t, metric_event>>> by_batch;
  for (auto& x : parked) {
    auto b = st.batches.find(x.batch);
    if (b == st.batches.end())
      continue;
    if (b->second.deadline <= now) {
      reject(self, x.batch, x.index,
             caf::make_error(ec::unreachable,
                             "no owner of the shard of " + x.event.model
                               + " was reachable in time; send it again"));
      continue;
    }
    by_batch[x.batch].emplace_back(x.index, std::move(x.event));
  }
  for (auto& [id, items] : by_batch)
    route(self, id, std::move(items));
}

// Takes a batch from ingest: answered through `rp` once resolved.
template <class Promise>
uint64_t start(self_ptr self, metric_batch& batch, bool explain, Promise rp) {
  auto& st = self->state;
  auto id = ++st.next_batch;
  auto& b = st.batches[id];
  b.open = batch.events.size();
  b.explain = explain;
  b.answer = rp.pending();
  if constexpr (std::is_same_v<Promise,
                               caf::typed_response_promise<batch_report>>)
    b.full = std::move(rp);
  else
    b.ack = std::move(rp);
  // Parked events must be resolved before ingest gives up on the batch.
  b.deadline = self->clock().now() + st.timeout * 3 / 4;
  std::vector<std::pair<uint64_t, metric_event>> items;
  items.reserve(batch.events.size());
  for (uint64_t i = 0; i < batch.events.size(); ++i)
    items.emplace_back(i, std::move(batch.events[i]));
  route(self, id, std::move(items));
  return id;
}

// Whether every event of `batch` is this node's to apply now, with no
// deadline to keep (a lease held for ever) and no journal: then the batch
// may go to the supervisor as it is.
bool all_local(self_ptr self, const metric_batch& batch) {
  auto& st = self->state;
  if (st.journal || st.map.owners.empty()
      || st.lease.deadline() != caf::actor_clock::time_point::max())
    return false;
  auto now = self->clock().now();
  for (auto& ev : batch.events)
    if (!st.applies(core::shard_of_model(ev.model, st.map.shards()), now))
      return false;
  return true;
}

// Events another node forwarded: applies those this node owns.
caf::result<shard_reply> receive(self_ptr self, shard_batch& x) {
  auto& st = self->state;
  st.received += x.events.size();
  shard_reply reply;
  reply.version = st.map.version;
  auto now = self->clock().now();
  part mine;
  for (uint64_t i = 0; i < x.events.size(); ++i) {
    auto shard = st.map.owners.empty()
                   ? 0u
                   : core::shard_of_model(x.events[i].model, st.map.shards());
    auto why = st.access(shard, now);
    // A sender that routed under another epoch of the shard has a stale
    // map, or this node has: the event goes back either way.
    bool same_epoch = i >= x.epochs.size() || x.epochs[i] == st.epoch_of(shard);
    if (why == core::shard_access::apply && same_epoch) {
      mine.add(i, std::move(x.events[i]), shard, st.epoch_of(shard));
    } else {
      note_waiting(self, why);
      reply.returned.push_back(i);
    }
  }
  if (mine.index.empty())
    return reply;
  auto rp = self->make_response_promise<shard_reply>();
  lease_batch msg{to_ns(st.lease.deadline()), std::move(mine.batch)};
  auto sent = std::make_shared<part>(std::move(mine));
  self->request(st.supervisor, st.timeout, std::move(msg))
    .then(
      [=](lease_report& r) mutable {
        auto result = reply;
        if (r.expired) {
          // Not applied: the sender routes them again.
          result.returned.insert(result.returned.end(), sent->index.begin(),
                                 sent->index.end());
          std::sort(result.returned.begin(), result.returned.end());
          rp.deliver(std::move(result));
          return;
        }
        journal(self, *sent, r.applied_ns);
        result.report.ack = r.report.ack;
        for (auto& rej : r.report.rejects)
          result.report.rejects.push_back(
            event_reject{sent->index.at(rej.index), std::move(rej.reason)});
        rp.deliver(std::move(result));
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// Has the lease take the map in force, given the one before (`before`,
// empty when there was none): which shards are this node's, at which
// epochs, and which of them nobody could be applying elsewhere.
void take_map(self_ptr self, const shard_table& before) {
  auto& st = self->state;
  auto n = st.map.shards();
  std::vector<bool> mine(n);
  std::vector<bool> unowned_before;
  if (!before.owners.empty())
    unowned_before.resize(n);
  for (uint32_t s = 0; s < n; ++s) {
    auto owner = st.map.owner(s);
    mine[s] = owner && !st.node.empty() && owner->node == st.node;
    if (s < before.owners.size() && !unowned_before.empty())
      unowned_before[s] = before.owners[s] < 0;
  }
  bool alone = st.map.nodes.size() == 1 && st.map.nodes[0].node == st.node;
  st.lease.take_map(mine, st.map.epochs, unowned_before, alone,
                    self->clock().now());
  // Settling shards apply once their time comes: the retry timer looks.
  schedule_retry(self);
}

void fetch(self_ptr self, std::vector<uint32_t> shards, uint64_t id);

// Takes back the released shards that the map, renewed by a coordinator
// reached after the link lost the one that asked for the release, still
// gives this node in the epoch they were released in: that release was
// never completed, and without this their events would wait for ever. Their
// monitors went with the release, so they are restored from the stored
// snapshots (the final ones, if that coordinator stored the shipment),
// like shards gained.
void take_back_orphans(self_ptr self) {
  auto& st = self->state;
  if (st.orphaned.empty() || !st.link
      || !st.lease.holds(self->clock().now(), st.map.version))
    return;
  std::vector<uint32_t> back;
  for (auto s : st.orphaned) {
    auto i = st.released.find(s);
    auto owner = st.map.owner(s);
    if (i != st.released.end() && owner && owner->node == st.node
        && st.epoch_of(s) == i->second) {
      back.push_back(s);
      st.released.erase(i);
    }
  }
  st.orphaned.clear();
  if (back.empty())
    return;
  log().warn("{}#{} the coordinator that asked for the release of {} shards "
             "was lost before it moved them, and the map still gives them "
             "here: taking them back from their stored snapshots",
             shard_router_state::name, self->id(), back.size());
  auto id = ++st.next_fetch;
  for (auto s : back)
    st.restoring[s] = id;
  fetch(self, std::move(back), id);
}

// The link's word on the lease: renewed, revoked or held for ever.
void on_lease(self_ptr self, int64_t sent_ns, uint64_t version) {
  auto& st = self->state;
  if (sent_ns < 0) {
    for (auto& x : st.released)
      st.orphaned.insert(x.first);
    st.lease.revoke();
    if (!st.told_no_lease && !st.lease.alone()) {
      st.told_no_lease = true;
      log().warn("{}#{} the link to the coordinator is lost: this node stops "
                 "applying the events of its shards until the coordinator "
                 "renews its lease",
                 shard_router_state::name, self->id());
    }
    return;
  }
  if (sent_ns == std::numeric_limits<int64_t>::max()) {
    st.lease.hold_forever();
  } else {
    st.lease.renewed(
      caf::actor_clock::time_point{std::chrono::nanoseconds{sent_ns}}, version);
  }
  if (st.told_no_lease && st.lease.holds(self->clock().now(), st.map.version)) {
    st.told_no_lease = false;
    log().info("{}#{} the coordinator renewed the ownership lease (map v{}): "
               "applying the events of this node's shards again",
               shard_router_state::name, self->id(), st.map.version);
  }
  take_back_orphans(self);
  reroute_parked(self);
}

// -- durable monitor state and handoff ----------------------------------------

// The map as owner names and epochs per shard.
std::vector<core::shard_slot> slots_of(const shard_table& map) {
  std::vector<core::shard_slot> result(map.shards());
  for (uint32_t s = 0; s < map.shards(); ++s) {
    if (auto owner = map.owner(s))
      result[s].owner = owner->node;
    result[s].epoch = s < map.epochs.size() ? map.epochs[s] : 0;
  }
  return result;
}

uint64_t epoch_of(const shard_table& map, uint32_t shard) {
  return shard < map.epochs.size() ? map.epochs[shard] : 0;
}

// Answers the node's drain once its shards are gone and every event parked
// here went on.
void check_left(self_ptr self) {
  auto& st = self->state;
  if (st.leave_waiters.empty() || !st.leaving)
    return;
  for (uint32_t s = 0; s < st.map.shards(); ++s)
    if (auto owner = st.map.owner(s); owner && owner->node == st.node)
      return;
  if (!st.parked.empty() || !st.batches.empty()) {
    schedule_retry(self);
    return;
  }
  for (auto& rp : st.leave_waiters)
    rp.deliver(st.left_shards);
  st.leave_waiters.clear();
}

// Ships the snapshots not shipped yet; those of a failed shipment stay for
// the next one unless a newer one of the model came meanwhile.
void ship(self_ptr self) {
  auto& st = self->state;
  if (st.shipping || st.unsent.empty() || !st.link)
    return;
  snapshot_shipment msg;
  msg.node = st.node;
  msg.items.reserve(st.unsent.size());
  for (auto& [model, x] : st.unsent)
    msg.items.push_back(std::move(x));
  st.unsent.clear();
  std::vector<char> buf;
  caf::binary_serializer sink{self->system(), buf};
  static_cast<void>(sink(msg));
  auto bytes = buf.size();
  st.shipping = true;
  auto sent = std::make_shared<snapshot_shipment>(std::move(msg));
  self->request(st.link, st.timeout, *sent)
    .then(
      [=](uint64_t stored) {
        auto& st = self->state;
        st.shipping = false;
        st.shipped_snapshots += sent->items.size();
        st.shipped_bytes += bytes;
        log().debug("{}#{} shipped {} snapshots ({} bytes), {} stored",
                    shard_router_state::name, self->id(), sent->items.size(),
                    bytes, stored);
        ship(self);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        st.shipping = false;
        log().warn("{}#{} cannot ship {} snapshots to the coordinator, "
                   "trying again in {} ms: {}",
                   shard_router_state::name, self->id(), sent->items.size(),
                   st.persist_interval.count(), self->system().render(err));
        for (auto& x : sent->items) {
          auto model = x.snapshot.model;
          st.unsent.emplace(std::move(model), std::move(x));
        }
      });
}

// Takes the snapshots of the monitors that changed and ships them, each
// with its shard and the epoch under which this node owns it.
void persist(self_ptr self) {
  auto& st = self->state;
  st.persist_scheduled = false;
  auto again = [self] {
    auto& st = self->state;
    if (!st.persist_scheduled) {
      st.persist_scheduled = true;
      self->delayed_send(self, st.persist_interval, atom::persist::value);
    }
  };
  self->request(st.keeper, st.timeout, atom::persist::value)
    .then(
      [=](std::vector<monitor_snapshot>& snaps) {
        auto& st = self->state;
        auto n = st.map.shards();
        for (auto& snap : snaps) {
          if (n == 0)
            break;
          auto shard = core::shard_of_model(snap.model, n);
          auto owner = st.map.owner(shard);
          if (!owner || owner->node != st.node || st.released.count(shard))
            continue;
          auto model = snap.model;
          st.unsent[model] = stored_snapshot{shard, epoch_of(st.map, shard),
                                             std::move(snap)};
        }
        ship(self);
        again();
      },
      [=](caf::error& err) {
        log().warn("{}#{} cannot take the snapshots of changed monitors: {}",
                   shard_router_state::name, self->id(),
                   self->system().render(err));
        again();
      });
}

// Whether `shard` still waits for fetch `id`.
bool awaits(const shard_router_state& st, uint32_t shard, uint64_t id) {
  auto i = st.restoring.find(shard);
  return i != st.restoring.end() && i->second == id;
}

// Whether any shard still waits for fetch `id`.
bool fetch_open(const shard_router_state& st, uint64_t id) {
  return std::any_of(st.restoring.begin(), st.restoring.end(),
                     [id](auto& x) { return x.second == id; });
}

// Whether `shard` is the first shard that still waits for fetch `id`: a
// failure is logged once per fetch and round of retries, not per shard.
bool first_of_fetch(const shard_router_state& st, uint32_t shard,
                    uint64_t id) {
  for (auto& [s, fetch] : st.restoring)
    if (fetch == id)
      return s == shard;
  return false;
}

// Asks for `shard` of fetch `id` again in a second after `err`, as `what`
// failed; logged for the first shard of the fetch only.
void fetch_again(self_ptr self, uint32_t shard, uint64_t id,
                 const char* what, const caf::error& err) {
  if (first_of_fetch(self->state, shard, id))
    log().warn("{}#{} {}, trying again: {}", shard_router_state::name,
               self->id(), what, self->system().render(err));
  self->delayed_send(self, std::chrono::seconds{1}, atom::restore::value,
                     std::vector<uint32_t>{shard}, id);
}

// Hands the fetched snapshots of `shard` (fetch `id`) to the supervisor;
// then its events are applied. Once the last shard of the fetch is in, logs
// what the whole fetch restored.
void restored(self_ptr self, uint32_t shard, uint64_t id,
              snapshot_shipment& x) {
  auto& st = self->state;
  std::vector<monitor_snapshot> snaps;
  if (awaits(st, shard, id))
    for (auto& item : x.items)
      if (item.shard == shard)
        snaps.push_back(std::move(item.snapshot));
  auto n = snaps.size();
  self->request(st.keeper, st.timeout, atom::restore::value, std::move(snaps))
    .then(
      [=](uint64_t kept) {
        auto& st = self->state;
        if (!awaits(st, shard, id))
          return;
        st.restoring.erase(shard);
        auto& done = st.fetched[id];
        ++done.shards;
        done.kept += kept;
        done.stored += n;
        if (!fetch_open(st, id)) {
          log().info("{}#{} took over {} shards: {} of {} stored models "
                     "restored",
                     shard_router_state::name, self->id(), done.shards,
                     done.kept, done.stored);
          st.fetched.erase(id);
        }
        reroute_parked(self);
      },
      [=](caf::error& err) {
        fetch_again(self, shard, id,
                    "the supervisor did not take the restored snapshots", err);
      });
}

// Fetches the stored snapshots of `shards` (fetch `id`) from the
// coordinator, one request per shard: an answer never carries more than
// one shard's models (one for all of them would carry half of a
// million-model map to a node joining a second), and each shard's events
// are applied as soon as its own models are in. A shard is tried again
// every second until the coordinator answers.
void fetch(self_ptr self, std::vector<uint32_t> shards, uint64_t id) {
  auto& st = self->state;
  for (auto s : shards) {
    if (!awaits(st, s, id))
      continue;
    self->request(st.link, st.timeout, atom::restore::value,
                  std::vector<uint32_t>{s})
      .then([=](snapshot_shipment& x) { restored(self, s, id, x); },
            [=](caf::error& err) {
              fetch_again(self, s, id,
                          "cannot fetch the snapshots of shards taken over",
                          err);
            });
  }
}

// What a new map changes here: shards gained are restored before their
// events are applied; the models of shards lost without a handover are
// stale and go.
void on_moves(self_ptr self, const shard_table& before) {
  auto& st = self->state;
  if (st.node.empty())
    return;
  auto moves = core::moves_of(st.node, slots_of(before), slots_of(st.map));
  // A release ends once the map gives the shard to another node (or to
  // this one in another epoch).
  for (auto i = st.released.begin(); i != st.released.end();) {
    auto owner = st.map.owner(i->first);
    if (!owner || owner->node != st.node
        || epoch_of(st.map, i->first) != i->second) {
      st.orphaned.erase(i->first);
      i = st.released.erase(i);
    } else {
      ++i;
    }
  }
  // A shard lost and gained back (a new epoch: this node was cut off) keeps
  // its models here; the restore keeps whichever state holds more events.
  std::vector<uint32_t> gone;
  std::set_difference(moves.lost.begin(), moves.lost.end(),
                      moves.gained.begin(), moves.gained.end(),
                      std::back_inserter(gone));
  moves.lost = std::move(gone);
  if (!moves.lost.empty()) {
    for (auto s : moves.lost)
      st.restoring.erase(s);
    // A fetch whose last shards went elsewhere ends without its summary.
    for (auto i = st.fetched.begin(); i != st.fetched.end();) {
      if (!fetch_open(st, i->first))
        i = st.fetched.erase(i);
      else
        ++i;
    }
    for (auto i = st.unsent.begin(); i != st.unsent.end();) {
      if (std::find(moves.lost.begin(), moves.lost.end(), i->second.shard)
          != moves.lost.end())
        i = st.unsent.erase(i);
      else
        ++i;
    }
    // Released shards have no models left: this forgets only what a
    // shard taken without a handover left behind.
    self
      ->request(st.keeper, st.timeout, atom::release::value, moves.lost,
                st.map.shards())
      .then(
        [=](std::vector<monitor_snapshot>& gone) {
          if (!gone.empty())
            log().warn("{}#{} dropped {} models of shards another node took "
                       "over",
                       shard_router_state::name, self->id(), gone.size());
        },
        [=](caf::error&) {
          // The supervisor is gone: the node stops.
        });
  }
  if (!moves.gained.empty() && st.link) {
    auto id = ++st.next_fetch;
    for (auto s : moves.gained)
      st.restoring[s] = id;
    fetch(self, moves.gained, id);
  }
}

// The coordinator moves `shards` away: this node stops applying them and
// hands over the final snapshots of their monitors.
caf::result<snapshot_shipment> release(self_ptr self,
                                       std::vector<uint32_t>& shards) {
  auto& st = self->state;
  std::vector<uint32_t> mine;
  for (auto s : shards) {
    auto owner = st.map.owner(s);
    if (owner && owner->node == st.node) {
      st.released[s] = epoch_of(st.map, s);
      st.orphaned.erase(s);
      mine.push_back(s);
    }
  }
  for (auto i = st.unsent.begin(); i != st.unsent.end();) {
    if (st.released.count(i->second.shard) > 0)
      i = st.unsent.erase(i);
    else
      ++i;
  }
  auto rp = self->make_response_promise<snapshot_shipment>();
  auto count = st.map.shards();
  auto epochs = st.map.epochs;
  // Batches routed to the supervisor before this are applied first: the
  // supervisor takes messages from here in order.
  self
    ->request(st.keeper, st.timeout, atom::release::value, std::move(mine),
              count)
    .then(
      [=](std::vector<monitor_snapshot>& snaps) mutable {
        snapshot_shipment result;
        result.node = self->state.node;
        for (auto& snap : snaps) {
          auto shard = core::shard_of_model(snap.model, count);
          auto epoch = shard < epochs.size() ? epochs[shard] : 0;
          result.items.push_back(
            stored_snapshot{shard, epoch, std::move(snap)});
        }
        std::vector<char> buf;
        caf::binary_serializer sink{self->system(), buf};
        static_cast<void>(sink(result));
        auto& st = self->state;
        st.shipped_snapshots += result.items.size();
        st.shipped_bytes += buf.size();
        log().info("{}#{} handing over {} models of {} shards",
                   shard_router_state::name, self->id(), result.items.size(),
                   shards.size());
        rp.deliver(std::move(result));
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// The node stops: the coordinator moves its shards away, handed over.
caf::result<uint64_t> leave(self_ptr self) {
  auto& st = self->state;
  auto rp = self->make_response_promise<uint64_t>();
  if (!st.link || st.node.empty()) {
    rp.deliver(uint64_t{0});
    return rp;
  }
  st.leaving = true;
  st.leave_waiters.push_back(rp);
  self->request(st.link, st.timeout, atom::leave::value, st.node)
    .then(
      [=](uint64_t moved) {
        self->state.left_shards = moved;
        log().info("{}#{} the coordinator moved this node's {} shards away",
                   shard_router_state::name, self->id(), moved);
        check_left(self);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        log().warn("{}#{} the coordinator did not move this node's shards "
                   "away: {}",
                   shard_router_state::name, self->id(),
                   self->system().render(err));
        for (auto& x : st.leave_waiters)
          x.deliver(err);
        st.leave_waiters.clear();
      });
  return rp;
}

} // namespace

shard_router_self_actor::behavior_type
shard_router(shard_router_self_actor::stateful_pointer<shard_router_state> self,
             supervisor_actor supervisor, coordinator_link_actor link,
             std::chrono::milliseconds timeout,
             std::chrono::milliseconds persist_interval) {
  auto& st = self->state;
  st.keeper = caf::actor_cast<shard_keeper_actor>(supervisor);
  st.link = link;
  st.persist_interval = persist_interval;
  st.supervisor = std::move(supervisor);
  st.timeout = timeout;
  // With a link the node owns its shards only under a lease the link
  // renews; without one (tests, benchmarks) nobody else can own them.
  st.lease = core::shard_lease{shard_lease_timing_of(self->system().config()),
                               static_cast<bool>(link)};
  if (link)
    self->send(link, atom::subscribe::value,
               caf::actor_cast<shard_news_actor>(self));
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& peers = self->state.peers;
    for (auto i = peers.begin(); i != peers.end(); ++i)
      if (i->second.handle && i->second.handle.address() == msg.source) {
        peers.erase(i);
        return;
      }
  });
  auto sup = [self] { return self->state.supervisor; };
  return {
    [=](metric_batch& batch) -> caf::result<ingest_ack> {
      if (all_local(self, batch))
        return self->delegate(sup(), std::move(batch));
      auto rp = self->make_response_promise<ingest_ack>();
      start(self, batch, false, rp);
      return rp;
    },
    [=](atom::explain, metric_batch& batch) -> caf::result<batch_report> {
      if (all_local(self, batch))
        return self->delegate(sup(), atom::explain::value, std::move(batch));
      auto rp = self->make_response_promise<batch_report>();
      start(self, batch, true, rp);
      return rp;
    },
    [=](shard_batch& x) { return receive(self, x); },
    [=](shard_member& m) {
      auto& st = self->state;
      auto first = st.node.empty();
      st.node = m.node;
      if (link)
        self->send(link, std::move(m));
      // A map that came first named no shard of this node yet.
      if (!self->state.map.owners.empty())
        take_map(self, shard_table{});
      if (first && link) {
        // A map that came before the name: its shards are restored now.
        on_moves(self, shard_table{});
        persist(self);
      }
      reroute_parked(self);
    },
    [=](shard_table& x) {
      auto& st = self->state;
      auto first = st.map.owners.empty();
      auto before = std::move(st.map);
      st.map = std::move(x);
      take_map(self, before);
      on_moves(self, before);
      take_back_orphans(self);
      check_left(self);
      if (first)
        log().info("{}#{} shard map v{}: {} shards, {} of them here",
                   shard_router_state::name, self->id(), st.map.version,
                   st.map.shards(),
                   std::count_if(st.map.owners.begin(), st.map.owners.end(),
                                 [&](int32_t i) {
                                   return i >= 0
                                          && st.map.nodes[i].node == st.node;
                                 }));
      reroute_parked(self);
    },
    [=](atom::lease, int64_t sent_ns, uint64_t version) {
      on_lease(self, sent_ns, version);
    },
    [=](atom::store, std::string& file) -> caf::result<bool> {
      auto f = std::fopen(file.c_str(), "a");
      if (!f)
        return caf::make_error(ec::invalid_config,
                               "cannot open the apply journal " + file + ": "
                                 + std::strerror(errno));
      self->state.journal = std::shared_ptr<std::FILE>{f, &std::fclose};
      return true;
    },
    [=](lease_batch& x) -> caf::result<lease_report> {
      return self->delegate(sup(), std::move(x));
    },
    [=](atom::retry) {
      self->state.retry_scheduled = false;
      reroute_parked(self);
      schedule_retry(self);
      check_left(self);
    },
    [=](atom::persist) { persist(self); },
    [=](atom::restore, std::vector<uint32_t>& shards, uint64_t id) {
      fetch(self, std::move(shards), id);
    },
    [=](atom::release, std::vector<uint32_t>& shards) {
      return release(self, shards);
    },
    [=](atom::leave) { return leave(self); },
    [=](atom::linkup, std::string& key, shard_router_actor& handle) {
      auto& st = self->state;
      if (!handle) {
        st.peers.erase(key);
        return;
      }
      self->monitor(handle);
      st.peers[key] = shard_peer{std::move(handle), false};
      reroute_parked(self);
    },
    // Everything else is the supervisor's, as it is.
    [=](atom::status a) -> caf::result<std::vector<model_status>> {
      return self->delegate(sup(), a);
    },
    [=](atom::status a,
        std::string& x) -> caf::result<std::vector<model_status>> {
      return self->delegate(sup(), a, std::move(x));
    },
    [=](atom::status a, model_query& x) -> caf::result<model_page> {
      return self->delegate(sup(), a, std::move(x));
    },
    [=](atom::stats a) -> caf::result<monitor_stats> {
      // The supervisor's totals plus what this router shipped.
      auto rp = self->make_response_promise<monitor_stats>();
      self->request(sup(), self->state.timeout, a)
        .then(
          [=](monitor_stats& ms) mutable {
            ms.snapshots_shipped = self->state.shipped_snapshots;
            ms.snapshot_bytes_shipped = self->state.shipped_bytes;
            rp.deliver(std::move(ms));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](atom::forget a, std::string& x) -> caf::result<uint64_t> {
      return self->delegate(sup(), a, std::move(x));
    },
    [=](atom::history a, std::string& x) -> caf::result<model_history> {
      return self->delegate(sup(), a, std::move(x));
    },
    [=](atom::explain a,
        std::string& x) -> caf::result<core::policy_explanation> {
      return self->delegate(sup(), a, std::move(x));
    },
    [=](retrain_trigger& x) { self->delegate(sup(), std::move(x)); },
    [=](monitor_snapshot& x) { self->delegate(sup(), std::move(x)); },
    [=](monitor_stats& x) { self->delegate(sup(), std::move(x)); },
    [=](model_status& x) { self->delegate(sup(), std::move(x)); },
    [=](line_state& x) { self->delegate(sup(), std::move(x)); },
    [=](policy_set& x) { self->delegate(sup(), std::move(x)); },
    [=](atom::shards, atom::stats) -> caf::result<uint64_t, uint64_t> {
      return {self->state.forwarded, self->state.received};
    },
  };
}

} // namespace retrain
