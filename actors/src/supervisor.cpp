#include "retrain/supervisor.hpp"

#include <algorithm>
#include <limits>

#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>

#include "retrain/log.hpp"
#include "retrain/monitor.hpp"

namespace retrain {

namespace {

using self_ptr = supervisor_actor::stateful_pointer<supervisor_state>;

void flush(self_ptr self);

// Spawns the monitor of `entry`, from its snapshot if it has one.
void spawn_monitor(self_ptr self, const std::string& model,
                   monitored_model& entry) {
  auto& st = self->state;
  monitor_start start;
  start.id = entry.id;
  start.config = st.config;
  start.snapshot = entry.snapshot;
  auto line = entry.id.line();
  if (auto i = st.latest.find(line); i != st.latest.end())
    start.latest = i->second;
  start.line_busy = st.busy_lines.count(line) > 0;
  entry.handle = self->spawn(monitor, std::move(start),
                             caf::actor_cast<supervisor_actor>(self));
  self->monitor(entry.handle);
  st.by_addr[entry.handle.address()] = model;
  entry.sent = entry.snapshot ? entry.snapshot->events : 0;
}

// Finds or creates the entry of `model`; nullptr if the id is malformed
// (ingest checks ids, so this only guards against direct senders).
monitored_model* find_or_spawn(self_ptr self, const std::string& model) {
  auto& st = self->state;
  if (auto i = st.models.find(model); i != st.models.end())
    return &i->second;
  auto id = core::parse_model_id(model);
  if (!id)
    return nullptr;
  auto& entry = st.models[model];
  entry.id = std::move(*id);
  st.by_line[entry.id.line()].push_back(&entry);
  spawn_monitor(self, model, entry);
  return &entry;
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
  if (auto i = st.by_line.find(x.line); i != st.by_line.end())
    for (auto entry : i->second)
      if (entry->handle)
        self->send(entry->handle, x);
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
              caf::actor_cast<supervisor_actor>(self))
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

void start_stats_round(self_ptr self);

// Delivers the current stats round once every monitor answered, then starts
// the next if queries wait.
void finish_stats_round(self_ptr self) {
  auto& st = self->state;
  if (!st.stats || st.stats->pending > 0)
    return;
  for (auto& rp : st.stats->promises)
    rp.deliver(st.stats->totals);
  st.stats.reset();
  if (!st.stats_waiting.empty())
    start_stats_round(self);
}

// Asks every running monitor for its counters. Each answers after the runs
// sent to it before, so the totals cover every event routed so far.
// Quarantined models count with what their last snapshot holds.
void start_stats_round(self_ptr self) {
  auto& st = self->state;
  flush(self);
  st.stats.emplace();
  st.stats->promises.swap(st.stats_waiting);
  for (auto& [model, entry] : st.models) {
    if (!entry.handle) {
      ++st.stats->totals.models;
      if (entry.snapshot) {
        st.stats->totals.events += entry.snapshot->events;
        st.stats->totals.triggers += entry.snapshot->triggers;
      }
      continue;
    }
    entry.stats_pending = true;
    ++st.stats->pending;
    self->send(entry.handle, atom::stats::value);
  }
  finish_stats_round(self);
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
  auto i = st.by_addr.find(msg.source);
  if (i == st.by_addr.end())
    return;
  auto model = std::move(i->second);
  st.by_addr.erase(i);
  auto& entry = st.models[model];
  if (entry.stats_pending) {
    // Left out of the current stats round.
    entry.stats_pending = false;
    --st.stats->pending;
    finish_stats_round(self);
  }
  if (msg.reason == caf::exit_reason::user_shutdown
      || msg.reason == caf::exit_reason::normal)
    return;
  // Everything sent after the last snapshot is gone with the monitor.
  auto kept = entry.snapshot ? entry.snapshot->events : 0;
  entry.lost += entry.sent > kept ? entry.sent - kept : 0;
  auto now = self->clock().now();
  auto& crashes = entry.crashes;
  auto recent = std::find_if(crashes.begin(), crashes.end(), [&](auto t) {
    return t + st.config.restart_window > now;
  });
  crashes.erase(crashes.begin(), recent);
  crashes.push_back(now);
  if (entry.crashes.size() > st.config.max_restarts) {
    entry.quarantined = true;
    entry.handle = nullptr;
    log().error("{}#{} {}: quarantined after {} crashes within {} ms "
                "(last: {}); its events are refused",
                supervisor_state::name, self->id(), model, entry.crashes.size(),
                st.config.restart_window.count(), to_string(msg.reason));
    return;
  }
  ++entry.restarts;
  log().warn("{}#{} {}: monitor crashed ({}), restarting from {} "
             "({} events lost)",
             supervisor_state::name, self->id(), model, to_string(msg.reason),
             entry.snapshot ? "its last snapshot" : "scratch", entry.lost);
  spawn_monitor(self, model, entry);
}

// Sends the events held for one model to its monitor.
void send_run(self_ptr self, std::pair<monitored_model*, metric_batch>& run) {
  auto n = run.second.events.size();
  if (n == 0)
    return;
  auto entry = run.first;
  if (entry->handle) {
    entry->sent += n;
    self->send(entry->handle, std::move(run.second));
  } else {
    // Quarantined while its events waited.
    entry->lost += n;
  }
  run.second.events = std::vector<metric_event>{};
}

// Sends every held run.
void flush(self_ptr self) {
  auto& st = self->state;
  if (st.runs.empty())
    return;
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
ingest_ack route(self_ptr self, metric_batch& batch) {
  auto& st = self->state;
  ingest_ack ack;
  for (auto& ev : batch.events) {
    auto entry = find_or_spawn(self, ev.model);
    if (!entry || entry->quarantined) {
      if (ack.rejected++ == 0)
        ack.first_error = "model " + ev.model
                          + (entry ? " is quarantined after repeated "
                                     "monitor crashes"
                                   : " is not a valid model id");
      if (entry)
        ++entry->refused;
      continue;
    }
    ++ack.accepted;
    if (entry->generation != st.generation) {
      entry->generation = st.generation;
      entry->run = static_cast<uint32_t>(st.runs.size());
      st.runs.emplace_back(entry, metric_batch{});
      st.runs.back().second.events.reserve(st.run_hint);
    }
    auto& run = st.runs[entry->run];
    run.second.events.push_back(std::move(ev));
    if (run.second.events.size() >= supervisor_state::max_run)
      send_run(self, run);
  }
  if (st.config.flush_interval.count() == 0) {
    flush(self);
  } else if (!st.runs.empty() && !st.flush_scheduled) {
    st.flush_scheduled = true;
    self->delayed_send(self, st.config.flush_interval, atom::tick::value);
  }
  return ack;
}

model_status quarantined_status(const std::string& model,
                                const monitored_model& entry) {
  model_status result;
  result.model = model;
  result.state = "quarantined";
  if (entry.snapshot) {
    result.events = entry.snapshot->events;
    result.triggers = entry.snapshot->triggers;
  }
  return result;
}

} // namespace

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           monitor_config config, dispatcher_actor dispatcher) {
  self->state.config = std::move(config);
  use_dispatcher(self, std::move(dispatcher));
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_monitor_down(self, msg); });
  return {
    [=](metric_batch& batch) -> ingest_ack { return route(self, batch); },
    [=](atom::tick) {
      self->state.flush_scheduled = false;
      flush(self);
    },
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
    [=](atom::linkup, caf::actor& coordinator) {
      use_dispatcher(self, caf::actor_cast<dispatcher_actor>(coordinator));
    },
    [=](monitor_snapshot& snap) {
      auto& st = self->state;
      auto i = st.models.find(snap.model);
      if (i == st.models.end())
        return;
      // Only the current incarnation's snapshots count.
      if (self->current_sender() != i->second.handle.address())
        return;
      i->second.snapshot = std::move(snap);
    },
    [=](job_update& update) {
      apply_line_state(self, line_state{update.line, is_active(update.state),
                                        update.version});
    },
    [=](atom::status) -> caf::result<std::vector<model_status>> {
      auto& st = self->state;
      flush(self);
      auto rp = self->make_response_promise<std::vector<model_status>>();
      auto result = std::make_shared<std::vector<model_status>>();
      auto pending = std::make_shared<size_t>(0);
      for (auto& [model, entry] : st.models) {
        if (!entry.handle) {
          result->push_back(quarantined_status(model, entry));
          result->back().restarts = entry.restarts;
          result->back().lost = entry.lost;
          continue;
        }
        ++*pending;
      }
      if (*pending == 0) {
        rp.deliver(std::move(*result));
        return rp;
      }
      for (auto& [model, entry] : st.models) {
        if (!entry.handle)
          continue;
        auto restarts = entry.restarts;
        auto lost = entry.lost;
        self
          ->request(entry.handle, st.config.request_timeout,
                    atom::status::value)
          .then(
            [=](model_status& ms) mutable {
              ms.restarts = restarts;
              ms.lost = lost;
              result->push_back(std::move(ms));
              if (--*pending == 0)
                rp.deliver(std::move(*result));
            },
            [=](caf::error&) mutable {
              // A monitor that crashed meanwhile is simply left out.
              if (--*pending == 0)
                rp.deliver(std::move(*result));
            });
      }
      return rp;
    },
    [=](atom::stats) -> caf::result<monitor_stats> {
      auto& st = self->state;
      auto rp = self->make_response_promise<monitor_stats>();
      // A query during a round waits for the next one, which starts after
      // it and so covers everything routed before the query.
      st.stats_waiting.push_back(rp);
      if (!st.stats)
        start_stats_round(self);
      return rp;
    },
    [=](monitor_stats& ms) {
      auto& st = self->state;
      auto i = st.by_addr.find(
        caf::actor_cast<caf::actor_addr>(self->current_sender()));
      if (!st.stats || i == st.by_addr.end())
        return;
      auto& entry = st.models[i->second];
      if (!entry.stats_pending)
        return;
      entry.stats_pending = false;
      st.stats->totals.models += ms.models;
      st.stats->totals.events += ms.events;
      st.stats->totals.triggers += ms.triggers;
      st.stats->totals.breaches += ms.breaches;
      --st.stats->pending;
      finish_stats_round(self);
    },
  };
}

} // namespace retrain
