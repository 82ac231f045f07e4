#include "retrain/shard_allocator.hpp"

#include <vector>

#include <caf/actor_system.hpp>

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

// Rebalances over the members; stores and publishes the map if it changed.
// Memory changes only once the map is stored.
void rebalance(self_ptr self) {
  auto& st = self->state;
  std::vector<std::string> names;
  for (auto& [addr, x] : st.members)
    names.push_back(x.member.node);
  auto next = st.map;
  auto moved = next.rebalance(names);
  if (moved.empty())
    return;
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

} // namespace

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
