#include "retrain/coordinator_link.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/system_messages.hpp>

#include "retrain/log.hpp"
#include "retrain/register_messages.hpp"

namespace retrain {

namespace {

using self_ptr
  = coordinator_link_self_actor::stateful_pointer<coordinator_link_state>;

void schedule_retry(self_ptr self) {
  auto& st = self->state;
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
    st.retry.delay(++st.attempts, st.rng));
  self->delayed_send(self, delay, atom::reconnect::value);
}

// -- line news ----------------------------------------------------------------

// Tells the subscriber the state of a line, remembering whether it is busy.
void relay(self_ptr self, line_state x) {
  auto& st = self->state;
  if (x.busy)
    st.busy_lines.insert(x.line);
  else
    st.busy_lines.erase(x.line);
  if (auto sub = caf::actor_cast<line_news_actor>(st.subscriber))
    self->send(sub, std::move(x));
}

// Takes the coordinator's state of every line it knows, after a
// (re)connection: jobs may have finished while it was unreachable.
void resync(self_ptr self, std::vector<line_state>& lines) {
  auto& st = self->state;
  std::unordered_set<std::string> busy;
  for (auto& x : lines)
    if (x.busy)
      busy.insert(x.line);
  std::vector<std::string> idle;
  for (auto& line : st.busy_lines)
    if (busy.count(line) == 0)
      idle.push_back(line);
  for (auto& line : idle)
    relay(self, line_state{line, false, ""});
  for (auto& x : lines)
    relay(self, std::move(x));
}

// Subscribes to job news for the subscriber and resyncs.
void subscribe(self_ptr self) {
  auto& st = self->state;
  self
    ->request(st.coordinator, st.timeout, atom::subscribe::value,
              caf::actor_cast<job_news_actor>(self))
    .then([=](std::vector<line_state>& lines) { resync(self, lines); },
          [=](caf::error& err) {
            log().warn("{}#{} subscribing with the coordinator failed: {}",
                       coordinator_link_state::name, self->id(),
                       self->system().render(err));
          });
}

// -- triggers -----------------------------------------------------------------

void on_trigger(self_ptr self, retrain_trigger& trigger) {
  auto& st = self->state;
  if (st.coordinator) {
    self->send(st.coordinator, std::move(trigger));
    return;
  }
  auto model = trigger.model;
  if (auto dropped = st.outbox.hold(std::move(trigger)))
    log().error("{}#{} {}: oldest held trigger dropped ({} so far), the "
                "coordinator is unreachable",
                coordinator_link_state::name, self->id(), dropped->model,
                st.outbox.dropped());
  log().info("{}#{} {}: trigger held until the coordinator is reachable",
             coordinator_link_state::name, self->id(), model);
}

void deliver_held(self_ptr self) {
  auto& st = self->state;
  auto held = st.outbox.take();
  if (held.empty())
    return;
  log().info("{}#{} delivering {} triggers held while the coordinator was "
             "unreachable",
             coordinator_link_state::name, self->id(), held.size());
  for (auto& trigger : held)
    self->send(st.coordinator, std::move(trigger));
}

// -- reachability -------------------------------------------------------------

void connected(self_ptr self, coordinator_actor coordinator) {
  auto& st = self->state;
  st.coordinator = std::move(coordinator);
  st.attempts = 0;
  self->monitor(st.coordinator);
  if (!st.where.local)
    log().info("{}#{} reached the coordinator at {}:{}",
               coordinator_link_state::name, self->id(), st.where.host,
               st.where.port);
  for (auto& worker : st.workers)
    self->send(st.coordinator, atom::enlist::value, worker);
  if (st.subscriber)
    subscribe(self);
  deliver_held(self);
}

void on_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (!st.coordinator || msg.source != st.coordinator.address())
    return;
  st.coordinator = nullptr;
  if (st.where.local) {
    // Nothing to reconnect to: triggers wait in the outbox.
    log().warn("{}#{} lost the coordinator of this process ({}); holding "
               "triggers",
               coordinator_link_state::name, self->id(), to_string(msg.reason));
    return;
  }
  log().warn("{}#{} lost the coordinator at {}:{} ({}); reconnecting",
             coordinator_link_state::name, self->id(), st.where.host,
             st.where.port, to_string(msg.reason));
  schedule_retry(self);
}

// Says why the coordinator could not be reached; the causes a user can fix
// get their own words.
void log_failure(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  auto& host = st.where.host;
  auto port = st.where.port;
  if (err == caf::sec::incompatible_application_ids) {
    auto ids = caf::get_or(self->system().config(), "middleman.app-identifiers",
                           std::vector<std::string>{});
    std::string mine;
    for (auto& id : ids)
      mine += (mine.empty() ? "" : ", ") + id;
    log().error("{}#{} the coordinator at {}:{} speaks another protocol "
                "version than this node ({}, expected {}); refused, retrying",
                coordinator_link_state::name, self->id(), host, port, mine,
                protocol_version);
  } else if (err == caf::sec::disconnect_during_handshake) {
    log().error("{}#{} the coordinator at {}:{} refused this node during the "
                "handshake: TLS on one side only, or a certificate from "
                "another CA; retrying",
                coordinator_link_state::name, self->id(), host, port);
  } else {
    log().warn("{}#{} cannot reach the coordinator at {}:{} ({}); retrying",
               coordinator_link_state::name, self->id(), host, port,
               self->system().render(err));
  }
}

void try_connect(self_ptr self) {
  auto& st = self->state;
  // With TLS configured, connect through CAF's openssl manager.
  auto& sys = self->system();
  auto mm = sys.has_openssl_manager() ? sys.openssl_manager().actor_handle()
                                      : sys.middleman().actor_handle();
  self
    ->request(mm, st.timeout, caf::connect_atom::value, st.where.host,
              st.where.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>& ifs) {
        auto& st = self->state;
        if (!ptr) {
          log().warn("{}#{} {}:{} published no actor; retrying",
                     coordinator_link_state::name, self->id(), st.where.host,
                     st.where.port);
          schedule_retry(self);
          return;
        }
        if (!self->system().assignable<dispatcher_actor>(ifs)) {
          log().error("{}#{} {}:{} is not a retrain coordinator (wrong port "
                      "or version); retrying",
                      coordinator_link_state::name, self->id(), st.where.host,
                      st.where.port);
          schedule_retry(self);
          return;
        }
        self->send(self, atom::linkup::value,
                   caf::actor_cast<coordinator_actor>(std::move(ptr)));
      },
      [=](caf::error& err) {
        auto& st = self->state;
        // Log the first failure and then every 20th, not every retry.
        if (st.attempts % 20 == 0)
          log_failure(self, err);
        schedule_retry(self);
      });
}

} // namespace

coordinator_link_self_actor::behavior_type coordinator_link(
  coordinator_link_self_actor::stateful_pointer<coordinator_link_state> self,
  coordinator_location where, std::chrono::milliseconds timeout,
  std::vector<retrain_worker_actor> workers) {
  auto& st = self->state;
  st.where = std::move(where);
  st.timeout = timeout;
  st.workers = std::move(workers);
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  if (st.where.local)
    self->send(self, atom::linkup::value, st.where.local);
  else
    self->send(self, atom::reconnect::value);
  return {
    [=](retrain_trigger& trigger) { on_trigger(self, trigger); },
    [=](job_update& update) {
      relay(self,
            line_state{update.line, is_active(update.state), update.version});
    },
    [=](atom::subscribe, line_news_actor& subscriber) {
      auto& st = self->state;
      st.subscriber = subscriber.address();
      if (st.coordinator)
        subscribe(self);
    },
    [=](atom::reconnect) {
      if (!self->state.coordinator)
        try_connect(self);
    },
    [=](atom::linkup, coordinator_actor& coordinator) {
      connected(self, std::move(coordinator));
    },
  };
}

} // namespace retrain
