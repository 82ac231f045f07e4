#include "retrain/shard_allocator.hpp"

#include <vector>

#include <set>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "retrain/config_error.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"

namespace retrain {

namespace {

using self_ptr = shard_allocator_actor::stateful_pointer<shard_allocator_state>;

void publish(self_ptr self) {
  auto table = self->state.table();
  for (auto& [addr, x] : self->state.members)
    self->send(x.link, table);
}

void answer_leaves(self_ptr self, uint64_t moved);
void hand_over(self_ptr self, core::shard_map next,
               std::vector<uint32_t> moved);

// Stores and publishes `next`, which moved `moved`. Memory changes only
// once the map is stored.
void commit(self_ptr self, core::shard_map next,
            const std::vector<uint32_t>& moved) {
  auto& st = self->state;
  if (st.store) {
    if (auto err = st.store->save(next)) {
      log().error("{}#{} cannot store the shard map, trying again in {} ms: "
                  "{}",
                  shard_allocator_state::name, self->id(), st.retry.count(),
                  error_text(err));
      if (!st.recover_scheduled) {
        st.recover_scheduled = true;
        self->delayed_send(self, st.retry, atom::recover::value);
      }
      return;
    }
  }
  st.map = std::move(next);
  std::string spread;
  for (auto& [node, n] : st.map.counts())
    spread += (spread.empty() ? "" : ", ") + node + " " + std::to_string(n);
  log().info("{}#{} shard map v{}: {} shards moved; {}",
             shard_allocator_state::name, self->id(), st.map.version(),
             moved.size(), spread.empty() ? "no monitor node" : spread);
  publish(self);
  answer_leaves(self, moved.size());
}

// Rebalances over the members (but those leaving); has the old owners
// hand the moved shards over, then stores and publishes the map if it
// changed.
void rebalance(self_ptr self) {
  auto& st = self->state;
  if (st.handoff) {
    st.again = true;
    return;
  }
  std::vector<std::string> names;
  for (auto& [addr, x] : st.members)
    if (st.leaving.count(x.member.node) == 0)
      names.push_back(x.member.node);
  auto next = st.map;
  auto moved = next.rebalance(names);
  if (moved.empty()) {
    answer_leaves(self, 0);
    return;
  }
  hand_over(self, std::move(next), std::move(moved));
}

void join(self_ptr self, shard_member& m) {
  auto& st = self->state;
  auto link = caf::actor_cast<job_news_actor>(self->current_sender());
  auto sender = link.address();
  if (!link || m.node.empty())
    return;
  // A restarted node joins under its old name, maybe before its old link
  // is known lost: the new link replaces the old one.
  for (auto i = st.members.begin(); i != st.members.end();) {
    if (i->second.member.node == m.node && i->first != sender)
      i = st.members.erase(i);
    else
      ++i;
  }
  bool known = st.members.count(sender) > 0;
  if (!known)
    self->monitor(link);
  log().info("{}#{} monitor node {} joined (events at {}:{})",
             shard_allocator_state::name, self->id(), m.node, m.host, m.port);
  // A node started again under the name of one that left.
  st.leaving.erase(m.node);
  st.members[sender] = shard_member_link{std::move(m), link};
  auto version = st.map.version();
  rebalance(self);
  // Nothing moved: the new member still needs the map.
  if (st.map.version() == version)
    self->send(link, st.table());
}

void on_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto i = st.members.find(msg.source);
  if (i == st.members.end())
    return;
  log().warn("{}#{} monitor node {} lost ({})", shard_allocator_state::name,
             self->id(), i->second.member.node, to_string(msg.reason));
  st.members.erase(i);
  rebalance(self);
}

// A member's renewal of its ownership lease. Answered only for a link
// that is a member now: the allocator drops a link it lost (after
// `middleman.connection-timeout` of silence) before it gives the shards
// away, so a renewal answered here was heard while the node still held
// them, and one from a node that rejoins waits for its join.
caf::result<uint64_t> renew(self_ptr self) {
  auto& st = self->state;
  auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
  if (!sender || st.members.count(sender) == 0)
    return caf::make_error(ec::unreachable,
                           "not a member of the shard map (the coordinator "
                           "lost this node or it has not joined yet)");
  return st.map.version();
}

// -- durable monitor state and handoff ----------------------------------------

// Stores what `x` holds that is current; returns how many. A handover's
// final snapshots pass while their shards move; periodic ones do not.
caf::expected<uint64_t> store_snapshots(self_ptr self, snapshot_shipment& x,
                                        bool handover = false) {
  auto& st = self->state;
  std::vector<stored_snapshot> current;
  for (auto& item : x.items) {
    bool ok = handover ? st.map.accepts_snapshot(item.shard, item.epoch)
                       : st.accepts(item.shard, item.epoch);
    if (ok && !item.snapshot.model.empty())
      current.push_back(std::move(item));
  }
  auto refused = x.items.size() - current.size();
  st.snapshots_refused += refused;
  if (refused > 0)
    log().info("{}#{} refused {} snapshots from {}: their shards moved "
               "since",
               shard_allocator_state::name, self->id(), refused, x.node);
  if (st.store) {
    if (auto err = st.store->save_snapshots(current)) {
      log().error("{}#{} cannot store {} monitor snapshots from {}: {}",
                  shard_allocator_state::name, self->id(), current.size(),
                  x.node, error_text(err));
      return err;
    }
  } else {
    for (auto& item : current) {
      auto model = item.snapshot.model;
      st.kept[model] = std::move(item);
    }
  }
  st.snapshots_stored += current.size();
  return static_cast<uint64_t>(current.size());
}

caf::result<uint64_t> on_shipment(self_ptr self, snapshot_shipment& x) {
  // A failed write answers the error: the node ships them again.
  auto stored = store_snapshots(self, x);
  if (!stored)
    return std::move(stored.error());
  return *stored;
}

caf::result<snapshot_shipment> on_restore(self_ptr self,
                                          std::vector<uint32_t>& shards) {
  auto& st = self->state;
  snapshot_shipment result;
  if (st.store) {
    auto loaded = st.store->load_snapshots(shards);
    if (!loaded)
      return std::move(loaded.error());
    result.items = std::move(*loaded);
  } else {
    std::set<uint32_t> wanted(shards.begin(), shards.end());
    for (auto& [model, x] : st.kept)
      if (wanted.count(x.shard) > 0)
        result.items.push_back(x);
  }
  return result;
}

// Answers the nodes that asked to leave and own no shard now.
void answer_leaves(self_ptr self, uint64_t moved) {
  auto& st = self->state;
  for (auto i = st.leave_waiters.begin(); i != st.leave_waiters.end();) {
    if (st.map.shards_of(i->first).empty()) {
      i->second.deliver(moved);
      i = st.leave_waiters.erase(i);
    } else {
      ++i;
    }
  }
}

// One old owner answered (or was skipped): the map goes out once all did.
void handed_over(self_ptr self) {
  auto& st = self->state;
  if (!st.handoff || st.handoff->open == 0 || --st.handoff->open > 0)
    return;
  auto pending = std::move(*st.handoff);
  st.handoff.reset();
  commit(self, std::move(pending.next), pending.moved);
  if (st.again) {
    st.again = false;
    rebalance(self);
  }
}

// Asks the router of the live old owner `m` to release `shards`.
void ask_release(self_ptr self, const shard_member& m,
                 std::vector<uint32_t> shards) {
  auto& st = self->state;
  auto& sys = self->system();
  auto mm = sys.has_openssl_manager() ? sys.openssl_manager().actor_handle()
                                      : sys.middleman().actor_handle();
  auto node = m.node;
  auto skip = [=](const std::string& why) {
    log().warn("{}#{} {} did not hand over {} shards ({}): their next "
               "owners restore the last periodic snapshots",
               shard_allocator_state::name, self->id(), node, shards.size(),
               why);
    handed_over(self);
  };
  auto timeout = st.handoff_timeout;
  self->request(mm, timeout, caf::connect_atom::value, m.host, m.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>& ifs) {
        if (!ptr || !self->system().assignable<shard_router_actor>(ifs)) {
          skip("no shard router there");
          return;
        }
        auto router = caf::actor_cast<shard_router_actor>(std::move(ptr));
        self->request(router, timeout, atom::release::value, shards)
          .then(
            [=](snapshot_shipment& x) {
              auto n = x.items.size();
              auto stored = store_snapshots(self, x, true);
              log().info("{}#{} {} handed over {} shards: {} of {} "
                         "snapshots stored",
                         shard_allocator_state::name, self->id(), node,
                         shards.size(), stored ? *stored : 0, n);
              handed_over(self);
            },
            [=](caf::error& err) { skip(self->system().render(err)); });
      },
      [=](caf::error& err) { skip(self->system().render(err)); });
}

// Has the live old owners of `moved` hand them over, then commits `next`.
void hand_over(self_ptr self, core::shard_map next,
               std::vector<uint32_t> moved) {
  auto& st = self->state;
  std::map<std::string, std::vector<uint32_t>> by_owner;
  for (auto s : moved) {
    auto& owner = st.map.owner(s);
    if (!owner.empty())
      by_owner[owner].push_back(s);
  }
  std::vector<std::pair<shard_member, std::vector<uint32_t>>> asks;
  for (auto& [addr, x] : st.members) {
    auto i = by_owner.find(x.member.node);
    if (i != by_owner.end() && x.member.port != 0) {
      asks.emplace_back(x.member, std::move(i->second));
      by_owner.erase(i);
    }
  }
  if (asks.empty()) {
    commit(self, std::move(next), moved);
    return;
  }
  st.handoff = shard_allocator_state::pending_handoff{
    std::move(next), std::move(moved), asks.size()};
  for (auto& [m, shards] : asks)
    ask_release(self, m, std::move(shards));
}

caf::result<uint64_t> on_leave(self_ptr self, std::string& node) {
  auto& st = self->state;
  auto rp = self->make_response_promise<uint64_t>();
  log().info("{}#{} monitor node {} leaves: moving its shards away",
             shard_allocator_state::name, self->id(), node);
  st.leaving.insert(node);
  st.leave_waiters.emplace_back(node, rp);
  rebalance(self);
  return rp;
}

} // namespace

bool shard_allocator_state::accepts(uint32_t shard, uint64_t epoch) const {
  if (!map.accepts_snapshot(shard, epoch))
    return false;
  if (handoff)
    for (auto s : handoff->moved)
      if (s == shard)
        return false;
  return true;
}

shard_table shard_allocator_state::table() const {
  shard_table result;
  result.version = map.version();
  std::map<std::string, int32_t> index;
  for (auto& [addr, x] : members) {
    if (index.count(x.member.node) > 0)
      continue;
    index.emplace(x.member.node, static_cast<int32_t>(result.nodes.size()));
    result.nodes.push_back(x.member);
  }
  result.owners.resize(map.shards(), -1);
  result.epochs.resize(map.shards());
  for (uint32_t s = 0; s < map.shards(); ++s) {
    result.epochs[s] = map.epoch(s);
    auto& owner = map.owner(s);
    if (owner.empty())
      continue;
    auto i = index.find(owner);
    if (i == index.end()) {
      // An owner stored before a restart of the coordinator that has not
      // joined again yet: named, with no address.
      i = index.emplace(owner, static_cast<int32_t>(result.nodes.size())).first;
      result.nodes.push_back(shard_member{owner, {}, 0});
    }
    result.owners[s] = i->second;
  }
  return result;
}

shard_allocator_actor::behavior_type shard_allocator(
  shard_allocator_actor::stateful_pointer<shard_allocator_state> self,
  std::unique_ptr<shard_store> store, uint32_t shards) {
  auto& st = self->state;
  st.map = core::shard_map{shards};
  if (store) {
    if (auto map = store->load(shards)) {
      st.map = std::move(*map);
      if (st.map.version() > 0)
        log().info("{}#{} shard map v{} restored ({} shards)",
                   shard_allocator_state::name, self->id(), st.map.version(),
                   st.map.shards());
    } else {
      log().error("{}#{} cannot read the shard map, starting a new one: {}",
                  shard_allocator_state::name, self->id(),
                  error_text(map.error()));
    }
    st.store = std::move(store);
  }
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  return {
    [=](shard_member& m) { join(self, m); },
    [=](atom::shards) { return self->state.table(); },
    [=](atom::recover) {
      self->state.recover_scheduled = false;
      rebalance(self);
    },
    [=](atom::lease) { return renew(self); },
    [=](snapshot_shipment& x) { return on_shipment(self, x); },
    [=](atom::restore, std::vector<uint32_t>& shards) {
      return on_restore(self, shards);
    },
    [=](atom::leave, std::string& node) { return on_leave(self, node); },
  };
}

shard_allocator_actor
spawn_shard_allocator(caf::actor_system& sys, const std::string& data_dir,
                      const std::string& url, uint32_t shards,
                      std::shared_ptr<write_fence> fence) {
  std::unique_ptr<shard_store> store;
  if (!data_dir.empty() || !url.empty()) {
    auto opened = shard_store::open(data_dir, url, std::move(fence));
    if (!opened) {
      log().error("shard_allocator cannot open the shard map: {}",
                  error_text(opened.error()));
      return {};
    }
    store = std::move(*opened);
  }
  return sys.spawn<caf::detached>(shard_allocator, std::move(store), shards);
}

} // namespace retrain
