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

using self_ptr = caf::stateful_actor<coordinator_link_state>*;

void schedule_retry(self_ptr self) {
  auto& st = self->state;
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
    st.retry.delay(++st.attempts, st.rng));
  self->delayed_send(self, delay, atom::reconnect::value);
}

void connected(self_ptr self, dispatcher_actor coordinator) {
  auto& st = self->state;
  st.coordinator = std::move(coordinator);
  st.attempts = 0;
  self->monitor(st.coordinator);
  log().info("{}#{} reached the coordinator at {}:{}",
             coordinator_link_state::name, self->id(), st.host, st.port);
  if (st.supervisor)
    self->send(st.supervisor, atom::linkup::value, st.coordinator);
  for (auto& worker : st.workers)
    self->send(st.coordinator, atom::enlist::value, worker);
}

// Says why the coordinator could not be reached; the causes a user can fix
// get their own words.
void log_failure(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  if (err == caf::sec::incompatible_application_ids) {
    auto ids = caf::get_or(self->system().config(), "middleman.app-identifiers",
                           std::vector<std::string>{});
    std::string mine;
    for (auto& id : ids)
      mine += (mine.empty() ? "" : ", ") + id;
    log().error("{}#{} the coordinator at {}:{} speaks another protocol "
                "version than this node ({}, expected {}); refused, retrying",
                coordinator_link_state::name, self->id(), st.host, st.port,
                mine, protocol_version);
  } else if (err == caf::sec::disconnect_during_handshake) {
    log().error("{}#{} the coordinator at {}:{} refused this node during the "
                "handshake: TLS on one side only, or a certificate from "
                "another CA; retrying",
                coordinator_link_state::name, self->id(), st.host, st.port);
  } else {
    log().warn("{}#{} cannot reach the coordinator at {}:{} ({}); retrying",
               coordinator_link_state::name, self->id(), st.host, st.port,
               self->system().render(err));
  }
}

void try_connect(self_ptr self) {
  auto& st = self->state;
  // With TLS configured, connect through CAF's openssl manager.
  auto& sys = self->system();
  auto mm = sys.has_openssl_manager() ? sys.openssl_manager().actor_handle()
                                      : sys.middleman().actor_handle();
  self->request(mm, st.timeout, caf::connect_atom::value, st.host, st.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>& ifs) {
        auto& st = self->state;
        if (!ptr) {
          log().warn("{}#{} {}:{} published no actor; retrying",
                     coordinator_link_state::name, self->id(), st.host,
                     st.port);
          schedule_retry(self);
          return;
        }
        if (!self->system().assignable<dispatcher_actor>(ifs)) {
          log().error("{}#{} {}:{} is not a retrain coordinator (wrong port "
                      "or version); retrying",
                      coordinator_link_state::name, self->id(), st.host,
                      st.port);
          schedule_retry(self);
          return;
        }
        connected(self, caf::actor_cast<dispatcher_actor>(std::move(ptr)));
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

caf::behavior
coordinator_link(caf::stateful_actor<coordinator_link_state>* self,
                 std::string host, uint16_t port,
                 std::chrono::milliseconds timeout, supervisor_actor supervisor,
                 std::vector<retrain_worker_actor> workers) {
  auto& st = self->state;
  st.host = std::move(host);
  st.port = port;
  st.timeout = timeout;
  st.supervisor = std::move(supervisor);
  st.workers = std::move(workers);
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    if (msg.source != st.coordinator.address())
      return;
    log().warn("{}#{} lost the coordinator at {}:{} ({}); reconnecting",
               coordinator_link_state::name, self->id(), st.host, st.port,
               to_string(msg.reason));
    st.coordinator = nullptr;
    schedule_retry(self);
  });
  self->send(self, atom::reconnect::value);
  return {
    [=](atom::reconnect) {
      if (!self->state.coordinator)
        try_connect(self);
    },
  };
}

} // namespace retrain
