#include "retrain/shard_router.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "retrain/config_error.hpp"
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

namespace {

using self_ptr = shard_router_self_actor::stateful_pointer<shard_router_state>;

/// Events of one batch on their way somewhere, with their indexes in it.
struct part {
  std::vector<uint64_t> index;
  metric_batch batch;
};

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

void apply_local(self_ptr self, uint64_t id, part p) {
  auto& st = self->state;
  auto index = std::make_shared<std::vector<uint64_t>>(std::move(p.index));
  self
    ->request(st.supervisor, st.timeout, atom::explain::value,
              std::move(p.batch))
    .then([=](batch_report& r) { resolve(self, id, *index, r); },
          [=](caf::error& err) {
            for (auto i : *index)
              reject(self, id, i, err);
          });
}

void route(self_ptr self, uint64_t id,
           std::vector<std::pair<uint64_t, metric_event>> items);

void forward(self_ptr self, uint64_t id, const shard_router_actor& to, part p) {
  auto& st = self->state;
  st.forwarded += p.batch.events.size();
  auto sent = std::make_shared<part>(std::move(p));
  shard_batch msg{st.map.version, sent->batch.events};
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
  for (auto& [index, ev] : items) {
    auto owner = st.owner_of(ev.model);
    if (owner && owner->node == st.node) {
      local.index.push_back(index);
      local.batch.events.push_back(std::move(ev));
      continue;
    }
    if (owner && owner->port != 0) {
      auto key = endpoint_of(*owner);
      auto peer = st.peers.find(key);
      if (peer != st.peers.end() && peer->second.handle) {
        auto& p = remote[key];
        p.index.push_back(index);
        p.batch.events.push_back(std::move(ev));
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

// Whether every event of `batch` is this node's to apply.
bool all_local(const shard_router_state& st, const metric_batch& batch) {
  for (auto& ev : batch.events) {
    auto owner = st.owner_of(ev.model);
    if (!owner || owner->node != st.node)
      return false;
  }
  return true;
}

// Events another node forwarded: applies those this node owns.
caf::result<shard_reply> receive(self_ptr self, shard_batch& x) {
  auto& st = self->state;
  st.received += x.events.size();
  shard_reply reply;
  reply.version = st.map.version;
  auto index = std::make_shared<std::vector<uint64_t>>();
  metric_batch mine;
  for (uint64_t i = 0; i < x.events.size(); ++i) {
    auto owner = st.owner_of(x.events[i].model);
    if (owner && owner->node == st.node) {
      index->push_back(i);
      mine.events.push_back(std::move(x.events[i]));
    } else {
      reply.returned.push_back(i);
    }
  }
  if (mine.events.empty())
    return reply;
  auto rp = self->make_response_promise<shard_reply>();
  self
    ->request(st.supervisor, st.timeout, atom::explain::value, std::move(mine))
    .then(
      [=](batch_report& r) mutable {
        auto result = reply;
        result.report.ack = r.ack;
        for (auto& rej : r.rejects)
          result.report.rejects.push_back(
            event_reject{index->at(rej.index), std::move(rej.reason)});
        rp.deliver(std::move(result));
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

} // namespace

shard_router_self_actor::behavior_type
shard_router(shard_router_self_actor::stateful_pointer<shard_router_state> self,
             supervisor_actor supervisor, coordinator_link_actor link,
             std::chrono::milliseconds timeout) {
  auto& st = self->state;
  st.supervisor = std::move(supervisor);
  st.timeout = timeout;
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
      if (all_local(self->state, batch))
        return self->delegate(sup(), std::move(batch));
      auto rp = self->make_response_promise<ingest_ack>();
      start(self, batch, false, rp);
      return rp;
    },
    [=](atom::explain, metric_batch& batch) -> caf::result<batch_report> {
      if (all_local(self->state, batch))
        return self->delegate(sup(), atom::explain::value, std::move(batch));
      auto rp = self->make_response_promise<batch_report>();
      start(self, batch, true, rp);
      return rp;
    },
    [=](shard_batch& x) { return receive(self, x); },
    [=](shard_member& m) {
      self->state.node = m.node;
      if (link)
        self->send(link, std::move(m));
      reroute_parked(self);
    },
    [=](shard_table& x) {
      auto& st = self->state;
      auto first = st.map.owners.empty();
      st.map = std::move(x);
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
    [=](atom::retry) {
      self->state.retry_scheduled = false;
      reroute_parked(self);
      schedule_retry(self);
    },
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
      return self->delegate(sup(), a);
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
