#include "retrain/supervisor.hpp"

#include <algorithm>
#include <limits>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>

#include "retrain/ec.hpp"
#include "retrain/log.hpp"
#include "retrain/monitor.hpp"

namespace retrain {

uint32_t supervisor_state::find(std::string_view model) const {
  return by_model.find(core::hash_key(model), [&](uint32_t slot) {
    return models[slot].model == model;
  });
}

uint32_t supervisor_state::first_of_line(std::string_view line) const {
  return by_line.find(core::hash_key(line), [&](uint32_t slot) {
    return core::model_line_of(models[slot].model) == line;
  });
}

uint32_t supervisor_state::find(const caf::actor_addr& x) const {
  if (!x)
    return core::slot_index::npos;
  auto id = x.id();
  return by_actor.find(core::hash_key(id), [&](uint32_t slot) {
    auto& handle = models[slot].handle;
    return handle && handle.id() == id;
  });
}

namespace {

using self_ptr = supervisor_self_actor::stateful_pointer<supervisor_state>;

void flush(self_ptr self);

std::vector<char> serialize(self_ptr self, monitor_snapshot& snap) {
  std::vector<char> buf;
  caf::binary_serializer sink{self->system(), buf};
  if (auto err = sink(snap)) {
    log().error("{}#{} {}: cannot serialize a snapshot: {}",
                supervisor_state::name, self->id(), snap.model,
                self->system().render(err));
    return {};
  }
  // Exactly sized: one is kept per model.
  return std::vector<char>(buf.begin(), buf.end());
}

std::optional<monitor_snapshot> deserialize(self_ptr self,
                                            const monitored_model& entry) {
  if (entry.snapshot.empty())
    return std::nullopt;
  monitor_snapshot result;
  caf::binary_deserializer source{self->system(), entry.snapshot};
  if (auto err = source(result)) {
    log().error("{}#{} {}: cannot read its snapshot: {}",
                supervisor_state::name, self->id(), entry.model,
                self->system().render(err));
    return std::nullopt;
  }
  result.model = entry.model;
  return result;
}

// Notes that the monitor of `slot` changed and makes sure a sweep comes.
void mark_changed(self_ptr self, uint32_t slot) {
  auto& st = self->state;
  auto& entry = st.models[slot];
  if (entry.changed)
    return;
  entry.changed = true;
  st.changed.push_back(slot);
  if (!st.sweep_scheduled) {
    st.sweep_scheduled = true;
    self->delayed_send(self, st.config.snapshot_interval, atom::sweep::value);
  }
}

// Asks the monitors that changed since the last sweep for snapshots, a
// chunk at a time: the rest follows after the answers that came in
// meanwhile, so a sweep over a million monitors never has a million
// snapshots queued at once.
void sweep(self_ptr self) {
  auto& st = self->state;
  if (st.sweep_pos == 0) {
    flush(self);
    st.sweeping.swap(st.changed);
    st.changed.clear();
    for (auto slot : st.sweeping)
      st.models[slot].changed = false;
  }
  auto end = std::min(st.sweeping.size(),
                      st.sweep_pos + supervisor_state::sweep_chunk);
  for (; st.sweep_pos < end; ++st.sweep_pos)
    if (auto& handle = st.models[st.sweeping[st.sweep_pos]].handle)
      self->send(handle, atom::tick::value);
  if (st.sweep_pos < st.sweeping.size()) {
    self->send(self, atom::sweep::value);
    return;
  }
  st.sweeping.clear();
  st.sweep_pos = 0;
  st.sweep_scheduled = false;
  if (!st.changed.empty()) {
    st.sweep_scheduled = true;
    self->delayed_send(self, st.config.snapshot_interval, atom::sweep::value);
  }
}

// Spawns the monitor of `slot`, from its snapshot if it has one.
void spawn_monitor(self_ptr self, uint32_t slot) {
  auto& st = self->state;
  auto& entry = st.models[slot];
  monitor_start start;
  start.model = entry.model;
  start.setup = st.setup;
  start.snapshot = deserialize(self, entry);
  if (!st.latest.empty() || !st.busy_lines.empty()) {
    auto line = std::string{core::model_line_of(entry.model)};
    if (auto i = st.latest.find(line); i != st.latest.end())
      start.latest = i->second;
    start.line_busy = st.busy_lines.count(line) > 0;
  }
  entry.handle = self->spawn(monitor, std::move(start),
                             caf::actor_cast<monitor_parent_actor>(self));
  self->monitor(entry.handle);
  st.by_actor.insert(core::hash_key(entry.handle.id()), slot);
  entry.sent = entry.snapshot_events;
}

// Finds or creates the entry of `model`; `npos` if the id is malformed
// (ingest checks ids, so this only guards against direct senders).
uint32_t find_or_spawn(self_ptr self, const std::string& model) {
  auto& st = self->state;
  if (auto slot = st.find(model); slot != core::slot_index::npos)
    return slot;
  if (core::check_model_id(model))
    return core::slot_index::npos;
  auto slot = static_cast<uint32_t>(st.models.size());
  st.models.emplace_back();
  auto& entry = st.models.back();
  entry.model = model;
  st.by_model.insert(core::hash_key(model), slot);
  auto line = core::model_line_of(model);
  auto head = st.first_of_line(line);
  if (head == core::slot_index::npos) {
    st.by_line.insert(core::hash_key(line), slot);
  } else {
    entry.next_in_line = st.models[head].next_in_line;
    st.models[head].next_in_line = slot;
  }
  spawn_monitor(self, slot);
  return slot;
}

// Records the state of a line and tells the monitors of that line.
void apply_line_state(self_ptr self, line_state x) {
  auto& st = self->state;
  // Events routed before the news reach their monitors before it.
  flush(self);
  if (x.busy)
    st.busy_lines.insert(x.line);
  else
    st.busy_lines.erase(x.line);
  if (auto v = core::parse_semver(x.latest)) {
    auto& latest = st.latest[x.line];
    if (core::compare(latest, *v) < 0)
      latest = *v;
  }
  for (auto slot = st.first_of_line(x.line); slot != core::slot_index::npos;
       slot = st.models[slot].next_in_line) {
    if (st.models[slot].handle) {
      self->send(st.models[slot].handle, x);
      mark_changed(self, slot);
    }
  }
}

// Starts using `dispatcher`: subscribes, resyncs the state of every line
// (jobs may have finished while it was unreachable) and delivers held
// triggers.
void use_dispatcher(self_ptr self, dispatcher_actor dispatcher) {
  auto& st = self->state;
  st.dispatcher = std::move(dispatcher);
  if (!st.dispatcher)
    return;
  self->monitor(st.dispatcher);
  self
    ->request(st.dispatcher, st.config.request_timeout, atom::subscribe::value,
              caf::actor_cast<job_news_actor>(self))
    .then(
      [=](std::vector<line_state>& lines) {
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
          apply_line_state(self, line_state{line, false, ""});
        for (auto& x : lines)
          apply_line_state(self, std::move(x));
      },
      [=](caf::error& err) {
        log().warn("{}#{} subscribing with the coordinator failed: {}",
                   supervisor_state::name, self->id(),
                   self->system().render(err));
      });
  if (!st.held.empty())
    log().info("{}#{} delivering {} triggers held while the coordinator was "
               "unreachable",
               supervisor_state::name, self->id(), st.held.size());
  for (auto& trigger : st.held)
    self->send(st.dispatcher, std::move(trigger));
  st.triggers_forwarded += st.held.size();
  st.held.clear();
}

model_status quarantined_status(self_ptr self, const monitored_model& entry) {
  model_status result;
  result.model = entry.model;
  result.state = "quarantined";
  if (auto snap = deserialize(self, entry)) {
    result.events = snap->events;
    result.triggers = snap->triggers;
  }
  return result;
}

// How each query is put, answered and summed up.
struct stats_query {
  using result_type = monitor_stats;
  using atom_type = atom::stats;
  static monitor_query<monitor_stats>& of(supervisor_state& st) {
    return st.stats;
  }
  static bool& pending(monitored_model& entry) {
    return entry.stats_pending;
  }
  // Quarantined models count with what their last snapshot holds.
  static void add_quarantined(self_ptr self, const monitored_model& entry,
                              monitor_stats& totals) {
    ++totals.models;
    if (auto snap = deserialize(self, entry)) {
      totals.events += snap->events;
      totals.triggers += snap->triggers;
      totals.breaches += snap->breaches;
    }
  }
  static void add(const monitored_model&, monitor_stats& ms,
                  monitor_stats& totals) {
    totals.models += ms.models;
    totals.events += ms.events;
    totals.triggers += ms.triggers;
    totals.breaches += ms.breaches;
  }
};

struct status_query {
  using result_type = std::vector<model_status>;
  using atom_type = atom::status;
  static monitor_query<result_type>& of(supervisor_state& st) {
    return st.status;
  }
  static bool& pending(monitored_model& entry) {
    return entry.status_pending;
  }
  static void add_quarantined(self_ptr self, const monitored_model& entry,
                              result_type& rows) {
    rows.push_back(quarantined_status(self, entry));
    if (entry.trouble) {
      rows.back().restarts = entry.trouble->restarts;
      rows.back().lost = entry.trouble->lost;
    }
  }
  static void add(const monitored_model& entry, model_status& ms,
                  result_type& rows) {
    if (entry.trouble) {
      ms.restarts = entry.trouble->restarts;
      ms.lost = entry.trouble->lost;
    }
    rows.push_back(std::move(ms));
  }
};

template <class Query>
void start_round(self_ptr self);

// Delivers the current round once every monitor answered, then starts the
// next if queries wait.
template <class Query>
void finish_round(self_ptr self) {
  auto& q = Query::of(self->state);
  if (!q.round || q.round->pending > 0)
    return;
  for (auto& rp : q.round->promises)
    rp.deliver(q.round->result);
  q.round.reset();
  if (!q.waiting.empty())
    start_round<Query>(self);
}

// Asks every running monitor. Each answers after the runs sent to it
// before, so the round covers every event routed so far.
template <class Query>
void start_round(self_ptr self) {
  auto& st = self->state;
  auto& q = Query::of(st);
  flush(self);
  q.round.emplace();
  q.round->promises.swap(q.waiting);
  for (auto& entry : st.models) {
    if (!entry.handle) {
      Query::add_quarantined(self, entry, q.round->result);
      continue;
    }
    Query::pending(entry) = true;
    ++q.round->pending;
    self->send(entry.handle, typename Query::atom_type{});
  }
  finish_round<Query>(self);
}

// Takes a query: it joins the next round.
template <class Query>
caf::result<typename Query::result_type> ask_monitors(self_ptr self) {
  auto& q = Query::of(self->state);
  auto rp = self->make_response_promise<typename Query::result_type>();
  q.waiting.push_back(rp);
  if (!q.round)
    start_round<Query>(self);
  return rp;
}

// Takes a monitor's answer to the current round.
template <class Query, class Answer>
void on_answer(self_ptr self, Answer& answer) {
  auto& st = self->state;
  auto& q = Query::of(st);
  auto slot = st.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
  if (!q.round || slot == core::slot_index::npos)
    return;
  auto& entry = st.models[slot];
  if (!Query::pending(entry))
    return;
  Query::pending(entry) = false;
  Query::add(entry, answer, q.round->result);
  --q.round->pending;
  finish_round<Query>(self);
}

// The monitor the current round waits for went down and was replaced:
// the new one is asked instead, and a quarantined model counts as such.
template <class Query>
void on_replaced(self_ptr self, monitored_model& entry) {
  if (!Query::pending(entry))
    return;
  if (entry.handle) {
    self->send(entry.handle, typename Query::atom_type{});
    return;
  }
  auto& round = *Query::of(self->state).round;
  Query::pending(entry) = false;
  Query::add_quarantined(self, entry, round.result);
  --round.pending;
  finish_round<Query>(self);
}

void on_monitor_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (st.dispatcher && msg.source == st.dispatcher.address()) {
    log().warn("{}#{} coordinator lost ({}); holding triggers until it is "
               "back",
               supervisor_state::name, self->id(), to_string(msg.reason));
    st.dispatcher = nullptr;
    return;
  }
  auto slot = st.find(msg.source);
  if (slot == core::slot_index::npos)
    return;
  st.by_actor.erase(core::hash_key(msg.source.id()), slot);
  auto& entry = st.models[slot];
  entry.handle = nullptr;
  // Everything sent after the last snapshot is gone with the monitor.
  auto& trouble = entry.troubles();
  auto kept = entry.snapshot_events;
  auto lost = entry.sent > kept ? entry.sent - kept : 0;
  trouble.lost += lost;
  // Nothing here stops monitors; one that was stopped anyway is restarted
  // like one that crashed, but does not count towards quarantine.
  bool crashed = msg.reason != caf::exit_reason::user_shutdown
                 && msg.reason != caf::exit_reason::normal;
  if (crashed) {
    auto now = self->clock().now();
    auto& crashes = trouble.crashes;
    auto recent = std::find_if(crashes.begin(), crashes.end(), [&](auto t) {
      return t + st.config.restart_window > now;
    });
    crashes.erase(crashes.begin(), recent);
    crashes.push_back(now);
    if (crashes.size() > st.config.max_restarts) {
      entry.quarantined = true;
      log().error("{}#{} {}: quarantined after {} crashes within {} ms "
                  "(last: {}); its events are refused",
                  supervisor_state::name, self->id(), entry.model,
                  crashes.size(), st.config.restart_window.count(),
                  to_string(msg.reason));
    }
  }
  if (!entry.quarantined) {
    ++trouble.restarts;
    log().warn("{}#{} {}: monitor {} ({}), restarting from {} ({} events "
               "lost)",
               supervisor_state::name, self->id(), entry.model,
               crashed ? "crashed" : "stopped", to_string(msg.reason),
               entry.snapshot.empty() ? "scratch" : "its last snapshot", lost);
    spawn_monitor(self, slot);
  }
  // Only now, with the model restarted or quarantined: a round that waited
  // for the old monitor may finish here and the next one start.
  on_replaced<stats_query>(self, entry);
  on_replaced<status_query>(self, entry);
}

// Sends the events held for one model to its monitor.
void send_run(self_ptr self, std::pair<uint32_t, metric_run>& run) {
  auto n = run.second.events.size();
  if (n == 0)
    return;
  auto& entry = self->state.models[run.first];
  if (entry.handle) {
    entry.sent += n;
    self->send(entry.handle, std::move(run.second));
    mark_changed(self, run.first);
  } else {
    // Quarantined while its events waited.
    entry.troubles().lost += n;
  }
  run.second.events = std::vector<run_event>{};
}

// Sends every held run.
void flush(self_ptr self) {
  auto& st = self->state;
  if (st.runs.empty())
    return;
  // A pending timer then finds a fresh window (or nothing) to flush.
  st.held_since = self->clock().now();
  size_t events = 0;
  for (auto& run : st.runs) {
    events += run.second.events.size();
    send_run(self, run);
  }
  st.run_hint = std::max<size_t>(1, std::min(supervisor_state::max_run,
                                             events / st.runs.size()));
  st.runs.clear();
  ++st.generation;
}

// Appends the events of `batch` to the runs of their models, in order of
// first appearance: each event costs one lookup of its model id, as the
// entry remembers its run. Runs go out when full, at the end of the batch
// without a flush interval, else when the interval is over.
// With `rejects`, every refused event is recorded with its position.
ingest_ack route(self_ptr self, metric_batch& batch,
                 std::vector<event_reject>* rejects = nullptr) {
  auto& st = self->state;
  ingest_ack ack;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    auto& ev = batch.events[i];
    auto slot = find_or_spawn(self, ev.model);
    auto entry = slot == core::slot_index::npos ? nullptr : &st.models[slot];
    if (!entry || entry->quarantined) {
      auto reason = "model " + ev.model
                    + (entry ? " is quarantined after repeated monitor "
                               "crashes"
                             : " is not a valid model id");
      if (ack.rejected++ == 0)
        ack.first_error = reason;
      if (rejects)
        rejects->push_back(event_reject{i, std::move(reason)});
      if (entry)
        ++entry->troubles().refused;
      continue;
    }
    ++ack.accepted;
    if (entry->generation != st.generation) {
      entry->generation = st.generation;
      entry->run = static_cast<uint32_t>(st.runs.size());
      st.runs.emplace_back(slot, metric_run{});
      st.runs.back().second.events.reserve(st.run_hint);
    }
    auto& run = st.runs[entry->run];
    run.second.events.push_back(
      run_event{ev.kind, ev.value, ev.observed_at_ns});
    if (run.second.events.size() >= supervisor_state::max_run)
      send_run(self, run);
  }
  if (st.config.flush_interval.count() == 0 || st.runs.empty()) {
    flush(self);
    return ack;
  }
  auto now = self->clock().now();
  if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    st.held_since = now;
    self->delayed_send(self, st.config.flush_interval, atom::tick::value);
  } else if (now - st.held_since >= st.config.flush_interval) {
    // Under load the timer waits behind batches in the mailbox: the oldest
    // held event is due, so everything goes now.
    flush(self);
  }
  return ack;
}

// The status of one model or of every model of one line: asks only their
// monitors (a handful), with a request each.
caf::result<std::vector<model_status>> status_of(self_ptr self,
                                                 const std::string& which) {
  auto& st = self->state;
  std::vector<uint32_t> slots;
  if (!core::check_model_id(which)) {
    if (auto slot = st.find(which); slot != core::slot_index::npos)
      slots.push_back(slot);
  } else if (core::parse_model_line(which)) {
    for (auto slot = st.first_of_line(which); slot != core::slot_index::npos;
         slot = st.models[slot].next_in_line)
      slots.push_back(slot);
  } else {
    return caf::make_error(ec::invalid_model_line,
                           "'" + which
                             + "' is neither a model id "
                               "(<project>:<name>:<semver>) nor a model line "
                               "(<project>:<name>)");
  }
  // Events routed before the query are applied before the answer.
  flush(self);
  auto result = std::make_shared<std::vector<model_status>>();
  auto pending = std::make_shared<size_t>(0);
  for (auto slot : slots) {
    auto& entry = st.models[slot];
    if (entry.handle)
      ++*pending;
    else
      status_query::add_quarantined(self, entry, *result);
  }
  if (*pending == 0)
    return std::move(*result);
  auto rp = self->make_response_promise<std::vector<model_status>>();
  for (auto slot : slots) {
    auto& entry = st.models[slot];
    if (!entry.handle)
      continue;
    self->request(entry.handle, st.config.request_timeout, atom::status::value)
      .then(
        [=](model_status& ms) mutable {
          status_query::add(self->state.models[slot], ms, *result);
          if (--*pending == 0)
            rp.deliver(std::move(*result));
        },
        [=](caf::error&) mutable {
          // A monitor that crashed meanwhile is left out.
          if (--*pending == 0)
            rp.deliver(std::move(*result));
        });
  }
  return rp;
}

} // namespace

supervisor_self_actor::behavior_type
supervisor(supervisor_self_actor::stateful_pointer<supervisor_state> self,
           monitor_config config, dispatcher_actor dispatcher) {
  self->state.setup = monitor_setup::make(config);
  self->state.config = std::move(config);
  use_dispatcher(self, std::move(dispatcher));
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_monitor_down(self, msg); });
  return {
    [=](metric_batch& batch) -> ingest_ack { return route(self, batch); },
    [=](atom::explain, metric_batch& batch) -> batch_report {
      batch_report result;
      result.ack = route(self, batch, &result.rejects);
      return result;
    },
    [=](atom::tick) {
      self->state.flush_scheduled = false;
      flush(self);
    },
    [=](atom::sweep) { sweep(self); },
    [=](retrain_trigger& trigger) {
      auto& st = self->state;
      if (st.dispatcher) {
        ++st.triggers_forwarded;
        self->send(st.dispatcher, std::move(trigger));
        return;
      }
      if (st.held.size() == supervisor_state::max_held_triggers) {
        ++st.triggers_dropped;
        log().error("{}#{} {}: oldest held trigger dropped ({} so far), the "
                    "coordinator is unreachable",
                    supervisor_state::name, self->id(), st.held.front().model,
                    st.triggers_dropped);
        st.held.pop_front();
      }
      log().info("{}#{} {}: trigger held until the coordinator is reachable",
                 supervisor_state::name, self->id(), trigger.model);
      st.held.push_back(std::move(trigger));
    },
    [=](atom::linkup, dispatcher_actor& coordinator) {
      use_dispatcher(self, std::move(coordinator));
    },
    [=](monitor_snapshot& snap) {
      auto& st = self->state;
      // Only the current incarnation's snapshots count.
      auto slot
        = st.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
      if (slot == core::slot_index::npos)
        return;
      auto& entry = st.models[slot];
      snap.model.clear(); // the entry has it
      entry.snapshot_events = snap.events;
      entry.snapshot = serialize(self, snap);
    },
    [=](job_update& update) {
      apply_line_state(self, line_state{update.line, is_active(update.state),
                                        update.version});
    },
    [=](atom::status) -> caf::result<std::vector<model_status>> {
      return ask_monitors<status_query>(self);
    },
    [=](model_status& ms) { on_answer<status_query>(self, ms); },
    [=](atom::status,
        std::string& which) -> caf::result<std::vector<model_status>> {
      return status_of(self, which);
    },
    [=](atom::stats) -> caf::result<monitor_stats> {
      return ask_monitors<stats_query>(self);
    },
    [=](monitor_stats& ms) { on_answer<stats_query>(self, ms); },
  };
}

} // namespace retrain
