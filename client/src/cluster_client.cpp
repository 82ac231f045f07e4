#include "retrain/cluster_client.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <set>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>

#include "retrain/core/backoff.hpp"
#include "retrain/core/model_id.hpp"
#include "retrain/core/shard_map.hpp"
#include "retrain/ec.hpp"

namespace retrain {

caf::expected<cluster_endpoint>
parse_cluster_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  cluster_endpoint result;
  if (colon != std::string::npos && colon > 0 && colon + 1 < text.size()
      && colon + 6 >= text.size()) {
    auto digits = text.substr(colon + 1);
    if (std::all_of(digits.begin(), digits.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      auto port = std::stoul(digits);
      if (port >= 1 && port <= std::numeric_limits<uint16_t>::max()) {
        result.host = text.substr(0, colon);
        result.port = static_cast<uint16_t>(port);
        return result;
      }
    }
  }
  return caf::make_error(ec::invalid_config,
                         "'" + text
                           + "' is not HOST:PORT (port within [1, 65535])");
}

caf::error cluster_client_config::validate() const {
  auto fail = [](std::string text) {
    return caf::make_error(ec::invalid_config, std::move(text));
  };
  if (coordinators.empty())
    return fail("a cluster client needs at least one coordinator (HOST:PORT)");
  for (auto& c : coordinators)
    if (auto ep = parse_cluster_endpoint(c); !ep)
      return fail("coordinator " + c
                  + " is not HOST:PORT (port within [1, 65535])");
  if (timeout.count() <= 0)
    return fail("the timeout of a cluster client must be positive");
  if (attempts == 0)
    return fail("a cluster client needs at least 1 attempt per event");
  if (retry_delay.count() <= 0 || retry_delay_cap < retry_delay)
    return fail("a cluster client's retry delay must be positive and at "
                "most its cap");
  return caf::none;
}

std::chrono::milliseconds cluster_client_config::answer_within() const {
  // Per attempt: a connect and a request may each take the timeout, a
  // fetch of the map the timeout per coordinator, then the delay.
  auto per_attempt = timeout * (2 + coordinators.size()) + retry_delay_cap;
  return per_attempt * attempts + timeout;
}

namespace {

using self_ptr
  = cluster_client_self_actor::stateful_pointer<cluster_client_state>;

std::string key_of(const std::string& host, uint16_t port) {
  return host + ":" + std::to_string(port);
}

// The text of a refusal: what the node put as the context of a retrain
// error (the same text its ingest would have given), else CAF's rendering.
std::string reason_text(const caf::error& err) {
  auto& context = err.context();
  if (err.category() == caf::atom("retrain")
      && context.match_elements<std::string>())
    return context.get_as<std::string>(0);
  return caf::to_string(err);
}

caf::io::middleman_actor middleman_of(caf::actor_system& sys) {
  return sys.has_openssl_manager() ? sys.openssl_manager().actor_handle()
                                   : sys.middleman().actor_handle();
}

int64_t unix_now_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch())
    .count();
}

// What a monitor node's ingest checks of an event; the owner's router takes
// events as checked, so they are checked here. Returns why `ev` is refused,
// or an empty string.
std::string check_event(cluster_client_state& st, metric_event& ev) {
  // As in ingest, ids are checked once and remembered by hash: a collision
  // lets a malformed id through to the owner's supervisor, which checks
  // every new id again and refuses it.
  auto hash = core::hash_key(ev.model);
  if (!st.checked_ids.contains(hash)) {
    if (auto err = core::check_model_id(ev.model))
      return err.message;
    st.checked_ids.insert(hash);
  }
  if (auto err = check_value(ev.kind, ev.value))
    return err.message;
  if (ev.observed_at_ns == 0)
    ev.observed_at_ns = unix_now_ns();
  return {};
}

bool ready(const cluster_client_state& st) {
  if (st.fetching || !st.fetched)
    return false;
  for (auto& m : st.map.nodes) {
    auto i = st.routers.find(key_of(m.host, m.port));
    if (i != st.routers.end() && i->second.connecting)
      return false;
  }
  return true;
}

void schedule_retry(self_ptr self) {
  auto& st = self->state;
  if (st.retry_scheduled)
    return;
  st.retry_scheduled = true;
  core::backoff delays{st.cfg.retry_delay, st.cfg.retry_delay_cap, 0.0};
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
    delays.nominal(++st.failures));
  self->delayed_send(self, delay, atom::retry::value);
}

// Answers batch `id` once every event of it is settled.
void finish(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto i = st.batches.find(id);
  if (i == st.batches.end() || !i->second.fanout.done())
    return;
  auto r = i->second.fanout.result();
  i->second.promise.deliver(
    ingest_ack{r.accepted, r.rejected, std::move(r.first_error)});
  st.batches.erase(i);
  if (st.batches.empty())
    st.failures = 0;
}

void on_reply(self_ptr self, uint64_t id, const core::batch_fanout::part& sent,
              const std::string& key, shard_reply& r) {
  auto& st = self->state;
  auto i = st.batches.find(id);
  if (i == st.batches.end())
    return;
  std::vector<std::pair<uint64_t, std::string>> rejects;
  rejects.reserve(r.report.rejects.size());
  for (auto& x : r.report.rejects)
    rejects.emplace_back(x.index, reason_text(x.reason));
  i->second.fanout.settle(sent, r.returned, rejects,
                          key + " does not own its shard by its map v"
                            + std::to_string(r.version));
  if (!r.returned.empty()) {
    st.retried += r.returned.size();
    schedule_retry(self);
  }
  finish(self, id);
}

void on_lost(self_ptr self, uint64_t id, const core::batch_fanout::part& sent,
             const std::string& key, const caf::error& err) {
  auto& st = self->state;
  auto i = st.batches.find(id);
  if (i == st.batches.end())
    return;
  i->second.fanout.lost(sent, "no answer from the router at " + key + ": "
                                + self->system().render(err));
  st.retried += sent.size();
  schedule_retry(self);
  finish(self, id);
}

// Sends the waiting events of batch `id` to the owners of their shards.
void route(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto i = st.batches.find(id);
  if (i == st.batches.end())
    return;
  auto& b = i->second;
  if (b.fanout.waiting() == 0)
    return;
  // Per member of the map: its router, if reached.
  std::vector<shard_router_actor> reached(st.map.nodes.size());
  for (size_t n = 0; n < st.map.nodes.size(); ++n) {
    auto& m = st.map.nodes[n];
    auto r = st.routers.find(key_of(m.host, m.port));
    if (r != st.routers.end())
      reached[n] = r->second.handle;
  }
  std::vector<int32_t> owner_of(b.events.size(), -1);
  auto shards = st.map.shards();
  if (shards > 0)
    for (size_t e = 0; e < b.events.size(); ++e) {
      auto owner
        = st.map.owners[core::shard_of_model(b.events[e].model, shards)];
      if (owner >= 0 && static_cast<size_t>(owner) < reached.size()
          && reached[static_cast<size_t>(owner)])
        owner_of[e] = owner;
    }
  auto why = shards == 0 ? std::string{"no shard map yet"}
                         : "no reachable owner of its shard in shard map v"
                             + std::to_string(st.map.version);
  auto parts = b.fanout.split(owner_of, why);
  st.retried += b.fanout.waiting(); // none of them had a reachable owner
  for (auto& [owner, part] : parts) {
    auto& m = st.map.nodes[static_cast<size_t>(owner)];
    auto key = key_of(m.host, m.port);
    shard_batch msg;
    msg.version = st.map.version;
    msg.events.reserve(part.size());
    for (auto e : part)
      msg.events.push_back(b.events[e]);
    st.sent += part.size();
    auto sent = std::make_shared<core::batch_fanout::part>(std::move(part));
    self
      ->request(reached[static_cast<size_t>(owner)], st.cfg.timeout,
                std::move(msg))
      .then([=](shard_reply& r) { on_reply(self, id, *sent, key, r); },
            [=](caf::error& err) { on_lost(self, id, *sent, key, err); });
  }
  if (b.fanout.waiting() > 0)
    schedule_retry(self);
  finish(self, id);
}

void route_all(self_ptr self) {
  std::vector<uint64_t> ids;
  for (auto& [id, b] : self->state.batches)
    if (b.fanout.waiting() > 0)
      ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (auto id : ids)
    route(self, id);
}

void connect_router(self_ptr self, const shard_member& m) {
  auto& st = self->state;
  auto key = key_of(m.host, m.port);
  auto& r = st.routers[key];
  if (r.handle || r.connecting)
    return;
  r.connecting = true;
  self
    ->request(middleman_of(self->system()), st.cfg.timeout,
              caf::connect_atom::value, m.host, m.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>& ifs) {
        shard_router_actor handle;
        if (ptr && self->system().assignable<shard_router_actor>(ifs))
          handle = caf::actor_cast<shard_router_actor>(std::move(ptr));
        self->send(self, atom::linkup::value, key, handle);
      },
      [=](caf::error&) {
        self->send(self, atom::linkup::value, key, shard_router_actor{});
      });
}

// Asks the coordinators for the map, starting with the one that answered
// last; `tried` of them failed so far, for the reasons in `errors`.
void ask_source(self_ptr self, size_t tried, std::string errors) {
  auto& st = self->state;
  if (tried == st.coordinators.size()) {
    self->send(self, atom::shards::value, shard_table{},
               "no coordinator answered with the shard map (" + errors + ")");
    return;
  }
  auto& ep = st.coordinators[st.source_index];
  auto key = key_of(ep.host, ep.port);
  auto next = [=](std::string why) {
    auto& st = self->state;
    st.source = shard_map_source_actor{};
    st.source_index = (st.source_index + 1) % st.coordinators.size();
    ask_source(self, tried + 1,
               errors + (errors.empty() ? "" : "; ") + key + ": " + why);
  };
  if (st.source) {
    self->request(st.source, st.cfg.timeout, atom::shards::value)
      .then(
        [=](shard_table& t) {
          self->send(self, atom::shards::value, std::move(t), std::string{});
        },
        [=](caf::error& err) { next(self->system().render(err)); });
    return;
  }
  self
    ->request(middleman_of(self->system()), st.cfg.timeout,
              caf::connect_atom::value, ep.host, ep.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>& ifs) {
        if (!ptr || !self->system().assignable<shard_map_source_actor>(ifs)) {
          next("not a retrain coordinator");
          return;
        }
        self->state.source
          = caf::actor_cast<shard_map_source_actor>(std::move(ptr));
        ask_source(self, tried, errors);
      },
      [=](caf::error& err) { next(self->system().render(err)); });
}

void fetch(self_ptr self) {
  auto& st = self->state;
  if (st.fetching)
    return;
  st.fetching = true;
  ask_source(self, 0, std::string{});
}

void take_map(self_ptr self, shard_table& map, const std::string& error) {
  auto& st = self->state;
  st.fetching = false;
  if (!error.empty()) {
    // Every waiting event loses an attempt: without a map there is no
    // owner to send it to.
    std::vector<uint64_t> ids;
    for (auto& [id, b] : st.batches)
      if (b.fanout.waiting() > 0)
        ids.push_back(id);
    for (auto id : ids) {
      auto& b = st.batches.at(id);
      st.retried += b.fanout.waiting();
      b.fanout.split({}, error);
      finish(self, id);
    }
    if (!st.batches.empty())
      schedule_retry(self);
    return;
  }
  // A new map is progress: the next failure waits the shortest delay again.
  if (map.version != st.map.version)
    st.failures = 0;
  st.map = std::move(map);
  st.fetched = true;
  for (auto& m : st.map.nodes)
    if (m.port != 0)
      connect_router(self, m);
  if (ready(st))
    route_all(self);
}

} // namespace

cluster_client_self_actor::behavior_type cluster_client_impl(
  cluster_client_self_actor::stateful_pointer<cluster_client_state> self,
  cluster_client_config cfg, std::vector<cluster_endpoint> coordinators) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.coordinators = std::move(coordinators);
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& routers = self->state.routers;
    for (auto i = routers.begin(); i != routers.end(); ++i)
      if (i->second.handle && i->second.handle.address() == msg.source) {
        routers.erase(i);
        return;
      }
  });
  fetch(self);
  return {
    [=](metric_batch& batch) -> caf::result<ingest_ack> {
      auto& st = self->state;
      auto id = ++st.next_batch;
      auto n = batch.events.size();
      auto& b = st.batches
                  .emplace(id, cluster_client_batch{std::move(batch.events),
                                                    core::batch_fanout{
                                                      n, st.cfg.attempts},
                                                    {}})
                  .first->second;
      for (uint64_t i = 0; i < n; ++i)
        if (auto why = check_event(st, b.events[i]); !why.empty())
          b.fanout.reject(i, std::move(why));
      if (b.fanout.done()) {
        auto r = b.fanout.result();
        st.batches.erase(id);
        return ingest_ack{r.accepted, r.rejected, std::move(r.first_error)};
      }
      b.promise = self->make_response_promise<ingest_ack>();
      auto rp = b.promise;
      if (ready(st))
        route(self, id);
      else if (!st.fetching && !st.retry_scheduled)
        fetch(self); // the last fetch failed with no batch waiting
      return rp;
    },
    [=](atom::shards) { return self->state.map; },
    [=](atom::stats) -> caf::result<uint64_t, uint64_t> {
      return {self->state.sent, self->state.retried};
    },
    [=](atom::retry) {
      self->state.retry_scheduled = false;
      fetch(self);
    },
    [=](atom::linkup, std::string& key, shard_router_actor& handle) {
      auto& st = self->state;
      if (handle) {
        self->monitor(handle);
        st.routers[key] = cluster_client_router{std::move(handle), false};
      } else {
        st.routers.erase(key);
      }
      if (ready(st))
        route_all(self);
    },
    [=](atom::shards, shard_table& map, std::string& error) {
      take_map(self, map, error);
    },
  };
}

caf::expected<cluster_client_actor>
spawn_cluster_client(caf::actor_system& sys, cluster_client_config cfg) {
  if (auto err = cfg.validate())
    return err;
  std::vector<cluster_endpoint> coordinators;
  for (auto& c : cfg.coordinators)
    coordinators.push_back(*parse_cluster_endpoint(c));
  return caf::actor_cast<cluster_client_actor>(
    sys.spawn(cluster_client_impl, std::move(cfg), std::move(coordinators)));
}

caf::expected<cluster_client> cluster_client::start(caf::actor_system& sys,
                                                    cluster_client_config cfg) {
  auto wait = cfg.answer_within();
  auto actor = spawn_cluster_client(sys, std::move(cfg));
  if (!actor)
    return actor.error();
  return cluster_client{sys, std::move(*actor), wait};
}

cluster_client::cluster_client(caf::actor_system& sys,
                               cluster_client_actor actor,
                               std::chrono::milliseconds wait)
  : sys_(&sys), actor_(std::move(actor)), wait_(wait) {
  // nop
}

cluster_client::~cluster_client() {
  if (actor_)
    caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
}

caf::expected<ingest_ack> cluster_client::send(metric_batch batch) {
  caf::expected<ingest_ack> result{ingest_ack{}};
  caf::scoped_actor self{*sys_};
  self->request(actor_, wait_, std::move(batch))
    .receive([&](ingest_ack& ack) { result = std::move(ack); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<shard_table> cluster_client::map() {
  caf::expected<shard_table> result{shard_table{}};
  caf::scoped_actor self{*sys_};
  self->request(actor_, wait_, atom::shards::value)
    .receive([&](shard_table& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<std::pair<uint64_t, uint64_t>> cluster_client::sent() {
  caf::expected<std::pair<uint64_t, uint64_t>> result{
    std::pair<uint64_t, uint64_t>{}};
  caf::scoped_actor self{*sys_};
  self->request(actor_, wait_, atom::stats::value)
    .receive(
      [&](uint64_t n, uint64_t again) {
        result = std::pair{n, again};
      },
      [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace retrain
