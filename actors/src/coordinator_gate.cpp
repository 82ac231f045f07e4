#include "retrain/coordinator_gate.hpp"

#include <utility>

#include <caf/mailbox_element.hpp>
#include <caf/message_view.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include "retrain/ec.hpp"
#include "retrain/log.hpp"

namespace retrain {

namespace {

using self_ptr = caf::stateful_actor<coordinator_gate_state>*;

std::chrono::steady_clock::time_point from_ns(int64_t ns) {
  return std::chrono::steady_clock::time_point{
    std::chrono::steady_clock::duration{ns}};
}

// Whether the current message comes from an actor of this process (a peer
// must not make the node step down).
bool from_this_node(self_ptr self) {
  auto& sender = self->current_sender();
  return sender && sender->node() == self->node();
}

bool from_keeper(self_ptr self) {
  auto& st = self->state;
  return st.keeper
         && self->current_sender()
              == caf::actor_cast<caf::strong_actor_ptr>(st.keeper);
}

// Stops acting: no write passes the fence from here on, the coordinator's
// actors stop, and the links that follow it look for the active one.
void step_down(self_ptr self, const std::string& why) {
  auto& st = self->state;
  if (!st.dispatcher)
    return;
  st.fence->drop();
  log().warn("{}#{} stepping down from epoch {}: {}; {} node links told to "
             "look for the active coordinator",
             coordinator_gate_state::name, self->id(), st.epoch, why,
             st.links.size());
  self->demonitor(st.dispatcher.address());
  self->demonitor(st.registry.address());
  self->send_exit(st.dispatcher, caf::exit_reason::kill);
  self->send_exit(st.registry, caf::exit_reason::kill);
  st.dispatcher = nullptr;
  st.registry = nullptr;
  for (auto& [addr, link] : st.links) {
    self->demonitor(addr);
    self->send(link, atom::standby::value, st.epoch);
  }
  st.links.clear();
  st.epoch = 0;
  if (st.keeper)
    self->send(st.keeper, atom::standby::value);
}

void activate(self_ptr self, dispatcher_actor dispatcher,
              registry_actor registry, uint64_t epoch, int64_t sent_ns) {
  auto& st = self->state;
  if (st.dispatcher)
    step_down(self, "the keeper took the lease again");
  st.dispatcher = std::move(dispatcher);
  st.registry = std::move(registry);
  st.epoch = epoch;
  st.stop_at = st.timing.stop_at(from_ns(sent_ns));
  self->monitor(st.dispatcher);
  self->monitor(st.registry);
  caf::anon_send(st.dispatcher, atom::hello::value, st.version);
  log().info("{}#{} active at epoch {}: queued jobs resume, running ones are "
             "queued again",
             coordinator_gate_state::name, self->id(), epoch);
}

// The self-fence: an active coordinator that did not renew in time, or
// whose write found another epoch, stops on its own.
void check(self_ptr self) {
  auto& st = self->state;
  if (!st.dispatcher)
    return;
  if (auto lost = st.fence->lost_to(); lost != 0) {
    step_down(self, "a write found the lease at epoch " + std::to_string(lost)
                      + ": another coordinator took over");
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (now >= st.stop_at) {
    auto late = std::chrono::duration_cast<std::chrono::milliseconds>(
      now - st.stop_at + st.timing.self_fence());
    step_down(self, "the lease was not renewed for "
                      + std::to_string(late.count()) + " ms (self-fence after "
                      + std::to_string(st.timing.self_fence().count())
                      + " ms)");
  }
}

// Passes the current message on to the dispatcher as if it had been sent
// there: same sender, same request id, so the answer goes straight back.
caf::result<caf::message> forward(self_ptr self, caf::message_view& x) {
  auto& st = self->state;
  auto& content = x.content();
  // A link says hello at every connect: remember it for the step-down.
  if (content.match_elements<atom::hello, std::string>()) {
    if (auto link = caf::actor_cast<caf::actor>(self->current_sender())) {
      self->monitor(link);
      st.links.emplace(link.address(), link);
    }
  }
  auto mid = self->take_current_message_id();
  auto dest = caf::actor_cast<caf::strong_actor_ptr>(st.dispatcher);
  dest->enqueue(caf::make_mailbox_element(
                  std::move(self->current_sender()), mid,
                  std::move(self->current_mailbox_element()->stages),
                  x.move_content_to_message()),
                self->context());
  return caf::delegated<caf::message>{};
}

caf::result<caf::message> refuse(self_ptr self, caf::message_view&) {
  if (self->current_message_id().is_request())
    return caf::make_error(ec::standby,
                           "this coordinator is a standby: another "
                           "coordinator on its database holds the lease");
  return caf::message{};
}

} // namespace

caf::behavior
coordinator_gate(caf::stateful_actor<coordinator_gate_state>* self,
                 core::lease_timing timing, std::shared_ptr<write_fence> fence,
                 std::string version) {
  auto& st = self->state;
  st.timing = timing;
  st.fence = std::move(fence);
  st.version = std::move(version);
  self->set_default_handler(
    [self](caf::scheduled_actor*, caf::message_view& x) {
      return self->state.dispatcher ? forward(self, x) : refuse(self, x);
    });
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    if (msg.source == st.dispatcher.address()
        || msg.source == st.registry.address()) {
      step_down(self,
                "the coordinator stopped (" + to_string(msg.reason) + ")");
      return;
    }
    st.links.erase(msg.source);
  });
  self->send(self, atom::tick::value);
  return {
    [=](atom::linkup, caf::actor& keeper) {
      // Once: the keeper introduces itself before anything else.
      if (!self->state.keeper && from_this_node(self))
        self->state.keeper = std::move(keeper);
    },
    [=](atom::linkup, dispatcher_actor& dispatcher, registry_actor& registry,
        uint64_t epoch, int64_t sent_ns) {
      if (!from_keeper(self))
        return;
      activate(self, std::move(dispatcher), std::move(registry), epoch,
               sent_ns);
    },
    [=](atom::lease, uint64_t epoch, int64_t sent_ns) {
      auto& st = self->state;
      if (from_keeper(self) && st.dispatcher && epoch == st.epoch)
        st.stop_at = st.timing.stop_at(from_ns(sent_ns));
    },
    [=](atom::standby, std::string& why) {
      if (from_keeper(self))
        step_down(self, why);
    },
    [=](atom::standby) -> caf::result<uint64_t> {
      auto& st = self->state;
      check(self);
      if (!st.dispatcher)
        return caf::make_error(ec::standby,
                               "this coordinator is a standby: another "
                               "coordinator on its database holds the "
                               "lease");
      return st.epoch;
    },
    [=](atom::tick) {
      if (self->current_sender()
          != caf::actor_cast<caf::strong_actor_ptr>(self))
        return;
      check(self);
      self->delayed_send(self, gate_tick, atom::tick::value);
    },
    [=](atom::drain) -> caf::result<uint64_t> {
      if (!from_this_node(self))
        return caf::make_error(ec::invalid_value, "not from this node");
      step_down(self, "the node stops");
      return uint64_t{0};
    },
  };
}

} // namespace retrain
