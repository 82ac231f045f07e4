#include "retrain/dispatcher.hpp"

#include <algorithm>
#include <unordered_set>

#include <caf/system_messages.hpp>

#include "retrain/core/job_policy.hpp"
#include "retrain/core/model_id.hpp"
#include "retrain/core/semver.hpp"
#include "retrain/dispatcher_policies.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"
#include "retrain/registry.hpp"
#include "retrain/unix_time.hpp"
#include "retrain/version_store.hpp"

namespace retrain {

std::optional<core::semver>
dispatcher_state::latest_of(const std::string& line) const {
  std::optional<core::semver> result;
  if (auto i = latest.find(line); i != latest.end())
    if (auto v = core::parse_semver(i->second))
      result = std::move(*v);
  if (auto i = floor.find(line); i != floor.end())
    if (!result || core::compare(*result, i->second) < 0)
      result = i->second;
  return result;
}

namespace {

using self_ptr = dispatcher_self_actor::stateful_pointer<dispatcher_state>;

bool is_storage_failure(const caf::error& err) {
  return err.category() == caf::atom("retrain")
         && err.code() == static_cast<uint8_t>(ec::storage_failure);
}

// -- storage faults -----------------------------------------------------------

void schedule_recover(self_ptr self, std::chrono::nanoseconds delay) {
  auto& st = self->state;
  if (st.recover_scheduled)
    return;
  st.recover_scheduled = true;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay);
  self->delayed_send(self, ms, atom::recover::value);
}

// Records a write the database refused: the first of an episode is logged
// (with what now waits), the rest only push the next try out.
void storage_failed(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  auto text = storage_error_text(err);
  ++st.storage_errors;
  if (st.health.failed(text, std::chrono::steady_clock::now()))
    log().error("{}#{} storage degraded: {}; triggers wait in the monitor "
                "nodes' outboxes and job changes are kept until writes go "
                "through again",
                dispatcher_state::name, self->id(), text);
  schedule_recover(self, st.health.retry_delay());
}

// Records a write that went through; the first after failures ends the
// episode and brings the deferred transitions forward.
void storage_ok(self_ptr self) {
  auto& st = self->state;
  auto failures = st.health.failures();
  if (!st.health.succeeded())
    return;
  log().info("{}#{} storage recovered after {} failed writes",
             dispatcher_state::name, self->id(), failures);
  if (!st.deferred.empty()) {
    st.recover_scheduled = true;
    self->send(self, atom::recover::value);
  }
}

// Keeps `transition` to try again once the database takes writes.
void defer(self_ptr self, std::function<bool()> transition) {
  auto& st = self->state;
  st.deferred.push_back(std::move(transition));
  schedule_recover(self, st.health.retry_delay());
}

// Writes `next` as the new state of `job` and, once the database has it,
// makes it the job in memory. Returns false (and changes nothing) when the
// database refused the write.
bool write(self_ptr self, active_job& job, job_record next) {
  next.updated_at_ns = unix_now_ns();
  if (auto err = self->state.store->update_job(next)) {
    storage_failed(self, err);
    return false;
  }
  storage_ok(self);
  job.record = std::move(next);
  return true;
}

void announce(self_ptr self, const job_record& rec) {
  auto update = job_update::of(rec);
  for (auto& sub : self->state.subscribers)
    self->send(sub, update);
}

// Tells the observer, if any, what happened (never waits for it). Callers
// send each event once: after the write that made it true.
template <class... Ts>
void tell(self_ptr self, const Ts&... xs) {
  if (self->state.news)
    self->send(self->state.news, atom::news::value, xs...);
}

// -- job transitions ----------------------------------------------------------

// Hands ready jobs to idle workers.
void assign(self_ptr self) {
  auto& st = self->state;
  for (auto& [addr, slot] : st.workers) {
    if (st.ready.empty())
      return;
    if (slot.job_id != 0)
      continue;
    auto id = st.ready.front();
    auto i = st.jobs.find(id);
    if (i == st.jobs.end()) {
      st.ready.pop_front();
      continue;
    }
    auto& job = i->second;
    auto next = job.record;
    next.state = job_state::running;
    ++next.attempts;
    // Refused: the job stays first in line; `recover` assigns again.
    if (!write(self, job, std::move(next)))
      return;
    st.ready.pop_front();
    ++st.attempts;
    slot.job_id = id;
    retrain_job msg;
    msg.record = job.record;
    msg.attempt = job.record.attempts;
    dispatcher_policies::apply(st, msg);
    log().info("{}#{} job {} {}: attempt {} on worker {}",
               dispatcher_state::name, self->id(), id, job.record.model,
               job.record.attempts, to_string(addr));
    self->send(slot.handle, std::move(msg));
    announce(self, job.record);
    tell(self, job.record);
  }
}

// Ends job `id` as `state`; false when the database refused it.
bool finish(self_ptr self, uint64_t id, job_state state, std::string version,
            std::string error) {
  auto& st = self->state;
  auto i = st.jobs.find(id);
  if (i == st.jobs.end())
    return true;
  auto& job = i->second;
  auto next = job.record;
  next.state = state;
  if (!version.empty())
    next.version = std::move(version);
  next.error = std::move(error);
  if (!write(self, job, std::move(next)))
    return false;
  if (state == job_state::succeeded)
    ++st.succeeded;
  else
    ++st.failed;
  st.durations.observe(std::chrono::nanoseconds{job.record.updated_at_ns
                                                - job.record.created_at_ns});
  announce(self, job.record);
  tell(self, job.record);
  st.by_line.erase(job.record.line);
  st.jobs.erase(i);
  return true;
}

// Ends job `id` as `state`, now or once the database takes the write. The
// job counts as registering meanwhile, so nothing else moves it.
void finish_or_defer(self_ptr self, uint64_t id, job_state state,
                     std::string version, std::string error) {
  if (finish(self, id, state, version, error))
    return;
  if (auto i = self->state.jobs.find(id); i != self->state.jobs.end())
    i->second.registering = true;
  defer(self, [=] { return finish(self, id, state, version, error); });
}

// Puts job `id` back in line after its worker was lost; false when the
// database refused it.
bool requeue(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto i = st.jobs.find(id);
  if (i == st.jobs.end() || i->second.registering
      || i->second.record.state != job_state::running)
    return true;
  auto next = i->second.record;
  next.state = job_state::queued;
  if (!write(self, i->second, std::move(next)))
    return false;
  st.ready.push_front(id);
  announce(self, i->second.record);
  return true;
}

void give_up(self_ptr self, active_job& job, const std::string& error) {
  log().error("{}#{} job {} {}: failed after {} attempts: {}",
              dispatcher_state::name, self->id(), job.record.id,
              job.record.model, job.record.attempts, error);
  finish_or_defer(self, job.record.id, job_state::failed, "", error);
}

// Queues job `id` again after `error`, once its retry delay is over; false
// when the database refused it.
bool retry_later(self_ptr self, uint64_t id, const std::string& error) {
  auto& st = self->state;
  auto i = st.jobs.find(id);
  if (i == st.jobs.end())
    return true;
  auto& job = i->second;
  auto next = job.record;
  next.state = job_state::queued;
  next.error = error;
  if (!write(self, job, std::move(next)))
    return false;
  auto delay = st.retry_backoff.delay(job.record.attempts, st.rng);
  auto delay_ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay);
  log().warn("{}#{} job {} {}: attempt {} failed ({}), retry in {} ms",
             dispatcher_state::name, self->id(), id, job.record.model,
             job.record.attempts, error, delay_ms.count());
  job.waiting_retry = true;
  announce(self, job.record);
  self->delayed_send(self, delay_ms, atom::retry::value, id);
  return true;
}

// The running attempt of `job` failed: retry or give up.
void on_failure(self_ptr self, active_job& job, const std::string& error) {
  auto action = core::decide_result(
    false, true, job.record.attempts,
    dispatcher_policies::max_attempts_of(self->state, job.record.line));
  if (action == core::result_action::fail) {
    give_up(self, job, error);
    return;
  }
  auto id = job.record.id;
  if (!retry_later(self, id, error))
    defer(self, [=] { return retry_later(self, id, error); });
}

void register_success(self_ptr self, uint64_t id, std::string artifact);

// The registry answered the registration of job `id`.
void on_registered(self_ptr self, uint64_t id, model_version& v) {
  auto& st = self->state;
  if (st.jobs.count(id) == 0)
    return;
  st.latest[v.line] = v.version;
  log().info("{}#{} job {} {}: succeeded, registered {} {}",
             dispatcher_state::name, self->id(), id, st.jobs[id].record.model,
             v.line, v.version);
  tell(self, v);
  finish_or_defer(self, id, job_state::succeeded, v.version, "");
  assign(self);
}

// Asks the registry for the version of succeeded job `id`. A registry that
// cannot write asks again later: the training is not repeated.
void register_success(self_ptr self, uint64_t id, std::string artifact) {
  auto& st = self->state;
  auto i = st.jobs.find(id);
  if (i == st.jobs.end())
    return;
  auto& rec = i->second.record;
  register_version req{id, rec.model, rec.reason, artifact, rec.base_version};
  self->request(st.registry, st.timeout, std::move(req))
    .then([=](model_version& v) { on_registered(self, id, v); },
          [=](caf::error& err) {
            auto& st = self->state;
            auto i = st.jobs.find(id);
            if (i == st.jobs.end())
              return;
            if (is_storage_failure(err) || err == caf::sec::request_timeout) {
              storage_failed(self, err);
              defer(self, [=] {
                register_success(self, id, artifact);
                return true;
              });
              return;
            }
            i->second.registering = false;
            on_failure(self, i->second,
                       "registration failed: " + self->system().render(err));
            assign(self);
          });
}

void on_success(self_ptr self, active_job& job, const job_result& result) {
  auto& st = self->state;
  job.registering = true;
  // A success may come from an attempt given up on (its worker's node was
  // declared lost) while a newer one waits to retry or to run: the job must
  // not run again while it registers.
  job.waiting_retry = false;
  st.ready.erase(std::remove(st.ready.begin(), st.ready.end(), job.record.id),
                 st.ready.end());
  register_success(self, job.record.id, result.artifact);
}

void on_result(self_ptr self, job_result& result) {
  auto& st = self->state;
  // The worker that ran it is free now (a link passes results on for its
  // workers, so the worker is found by its job, not by the sender).
  for (auto& [addr, slot] : st.workers)
    if (slot.job_id == result.job_id)
      slot.job_id = 0;
  auto i = st.jobs.find(result.job_id);
  if (i == st.jobs.end() || i->second.registering) {
    log().info("{}#{} late result of job {} attempt {}: ignored (the job "
               "{})",
               dispatcher_state::name, self->id(), result.job_id,
               result.attempt,
               i == st.jobs.end() ? "is over" : "registers its version");
    assign(self);
    return;
  }
  auto& job = i->second;
  bool current = job.record.state == job_state::running
                 && result.attempt == job.record.attempts;
  switch (core::decide_result(
    result.success, current, job.record.attempts,
    dispatcher_policies::max_attempts_of(st, job.record.line))) {
    case core::result_action::register_version:
      // A success counts even from an attempt given up on: registration is
      // idempotent by job id.
      if (!current)
        log().info("{}#{} late result of job {} attempt {}: accepted "
                   "(succeeded)",
                   dispatcher_state::name, self->id(), result.job_id,
                   result.attempt);
      on_success(self, job, result);
      break;
    case core::result_action::retry:
    case core::result_action::fail:
      on_failure(self, job, result.error);
      break;
    case core::result_action::ignore:
      log().info("{}#{} late result of job {} attempt {}: ignored (attempt "
                 "{} is the job's)",
                 dispatcher_state::name, self->id(), result.job_id,
                 result.attempt, job.record.attempts);
      break;
  }
  assign(self);
}

void on_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto& subs = st.subscribers;
  subs.erase(std::remove_if(subs.begin(), subs.end(),
                            [&](const job_news_actor& x) {
                              return x.address() == msg.source;
                            }),
             subs.end());
  st.node_versions.erase(msg.source);
  auto w = st.workers.find(msg.source);
  if (w == st.workers.end())
    return;
  auto job_id = w->second.job_id;
  st.workers.erase(w);
  log().warn("{}#{} worker {} lost ({}){}", dispatcher_state::name, self->id(),
             to_string(msg.source), to_string(msg.reason),
             job_id != 0 ? ", re-queueing job " + std::to_string(job_id) : "");
  if (job_id == 0)
    return;
  if (!requeue(self, job_id))
    defer(self, [=] { return requeue(self, job_id); });
  assign(self);
}

// Takes `worker` into the pool; a worker enlisted already (its node's link
// came back while it was known) keeps its slot and job.
void enlist(self_ptr self, retrain_worker_actor worker) {
  auto& st = self->state;
  if (!worker)
    return;
  auto addr = worker.address();
  if (st.workers.count(addr) > 0)
    return;
  self->monitor(worker);
  st.workers[addr] = worker_slot{worker, 0};
  log().info("{}#{} worker {} enlisted ({} workers)", dispatcher_state::name,
             self->id(), to_string(addr), st.workers.size());
  assign(self);
}

// Notes the version a node runs: this coordinator's own without a sender,
// else that of the sending link's node (in role `all` the coordinator's node
// too, as a monitor node), until the link goes down.
void hello(self_ptr self, std::string version) {
  auto& st = self->state;
  auto& sender = self->current_sender();
  if (!sender) {
    st.version = std::move(version);
    return;
  }
  auto node = to_string(sender->node());
  if (st.version != version && !version.empty() && !st.version.empty())
    log().warn("{}#{} node {} runs retrain {}, this coordinator {}",
               dispatcher_state::name, self->id(), node, version, st.version);
  if (st.node_versions.count(sender->address()) == 0)
    self->monitor(sender);
  st.node_versions[sender->address()] = {std::move(node), std::move(version)};
}

// -- triggers -----------------------------------------------------------------

// Raises the version of `line` that monitor nodes know to `version`.
void note_floor(self_ptr self, const std::string& line,
                const std::string& version) {
  core::raise_version(self->state.floor, line, version);
}

caf::result<trigger_ack> on_trigger(self_ptr self, retrain_trigger& trigger) {
  auto& st = self->state;
  auto id = core::parse_model_id(trigger.model);
  if (!id) {
    log().error("{}#{} trigger refused: {}", dispatcher_state::name, self->id(),
                id.error().message);
    return to_error(std::move(id.error()));
  }
  note_floor(self, id->line(), trigger.known_latest);
  auto rp = self->make_response_promise<trigger_ack>();
  st.incoming.push_back(pending_trigger{std::move(trigger), rp});
  // Everything already in the mailbox comes before the note: it all goes
  // into the same transaction.
  if (!st.store_scheduled) {
    st.store_scheduled = true;
    self->send(self, atom::store::value);
  }
  return rp;
}

// What one trigger of a group commit comes to.
struct trigger_plan {
  trigger_ack ack;
  /// The job created, or the merged job as it will be after the commit.
  std::optional<job_record> job;
  bool created = false;
};

// Stores the triggers that came since the last group commit in one
// transaction, then acknowledges them; a refused transaction acknowledges
// none (their monitor nodes send them again).
void store_triggers(self_ptr self) {
  auto& st = self->state;
  st.store_scheduled = false;
  std::vector<pending_trigger> group;
  if (st.incoming.size() <= dispatcher_state::max_group) {
    group.swap(st.incoming);
  } else {
    auto end = st.incoming.begin() + dispatcher_state::max_group;
    group.assign(std::make_move_iterator(st.incoming.begin()),
                 std::make_move_iterator(end));
    st.incoming.erase(st.incoming.begin(), end);
    st.store_scheduled = true;
    self->send(self, atom::store::value);
  }
  if (group.empty())
    return;
  auto refuse = [&](const caf::error& err) {
    storage_failed(self, err);
    for (auto& p : group)
      p.promise.deliver(caf::make_error(
        ec::storage_failure, "the coordinator cannot store triggers right now ("
                               + storage_error_text(err)
                               + "); the trigger is kept and sent again"));
  };
  auto tx = st.store->begin_write("cannot store " + std::to_string(group.size())
                                  + " triggers");
  if (!tx) {
    refuse(tx.error());
    return;
  }
  auto now = unix_now_ns();
  std::vector<trigger_plan> plans(group.size());
  // Jobs of this group by line (index into `plans`), and acks by trigger
  // id for a trigger that comes twice in one group.
  std::unordered_map<std::string, size_t> line_plan;
  std::unordered_map<std::string, size_t> id_plan;
  for (size_t n = 0; n < group.size(); ++n) {
    auto& t = group[n].trigger;
    auto& plan = plans[n];
    plan.ack.trigger_id = t.id;
    auto model = core::parse_model_id(t.model);
    auto line = model->line();
    auto latest = st.latest_of(line);
    plan.ack.latest = latest ? core::to_string(*latest) : "";
    // A re-send: the answer the first one got, with its job as it is now.
    if (!t.id.empty()) {
      if (auto i = id_plan.find(t.id); i != id_plan.end()) {
        plan.ack = plans[i->second].ack;
        plan.ack.outcome = trigger_outcome::repeated;
        continue;
      }
      auto known = st.store->job_of_trigger(t.id);
      if (!known) {
        refuse(known.error());
        return;
      }
      if (*known) {
        plan.ack.outcome = trigger_outcome::repeated;
        plan.ack.job_id = **known;
        if (auto j = st.jobs.find(**known); j != st.jobs.end()) {
          plan.ack.state = j->second.record.state;
        } else {
          auto rec = st.store->job(**known);
          if (!rec) {
            refuse(rec.error());
            return;
          }
          plan.ack.state = *rec ? (*rec)->state : job_state::failed;
        }
        continue;
      }
    }
    // The line's job: one made earlier in this group, or an active one.
    const job_record* active = nullptr;
    if (auto i = line_plan.find(line); i != line_plan.end())
      active = &*plans[i->second].job;
    else if (auto j = st.by_line.find(line); j != st.by_line.end())
      active = &st.jobs[j->second].record;
    switch (core::decide_trigger(model->version, latest, active != nullptr)) {
      case core::trigger_action::drop_superseded:
        plan.ack.outcome = trigger_outcome::superseded;
        continue;
      case core::trigger_action::merge: {
        auto rec = *active;
        ++rec.merged;
        rec.updated_at_ns = now;
        if (auto err = st.store->update_job(rec)) {
          refuse(err);
          return;
        }
        plan.ack.outcome = trigger_outcome::merged;
        plan.job = std::move(rec);
        break;
      }
      case core::trigger_action::create: {
        job_record rec;
        rec.model = t.model;
        rec.line = line;
        auto base = core::retrain_base(latest, model->version);
        rec.base_version = core::to_string(base);
        rec.next_version = core::to_string(core::next_version(base));
        rec.state = job_state::queued;
        rec.reason = to_string(t.reason);
        rec.created_at_ns = rec.updated_at_ns = now;
        auto new_id = st.store->insert_job(rec);
        if (!new_id) {
          refuse(new_id.error());
          return;
        }
        rec.id = *new_id;
        plan.ack.outcome = trigger_outcome::created;
        plan.job = std::move(rec);
        plan.created = true;
        break;
      }
    }
    plan.ack.job_id = plan.job->id;
    plan.ack.state = plan.job->state;
    line_plan[line] = n;
    if (!t.id.empty()) {
      if (auto err = st.store->record_trigger(t.id, plan.job->id, now)) {
        refuse(err);
        return;
      }
      id_plan[t.id] = n;
    }
  }
  if (auto err = tx->commit()) {
    refuse(err);
    return;
  }
  storage_ok(self);
  // Stored: now memory, news and acks follow.
  for (size_t n = 0; n < group.size(); ++n) {
    auto& t = group[n].trigger;
    auto& plan = plans[n];
    switch (plan.ack.outcome) {
      case trigger_outcome::created: {
        auto& rec = *plan.job;
        log().info("{}#{} job {} {}: queued ({} -> {}): {}",
                   dispatcher_state::name, self->id(), rec.id, rec.model,
                   rec.base_version, rec.next_version, rec.reason);
        st.by_line[rec.line] = rec.id;
        st.ready.push_back(rec.id);
        st.jobs[rec.id].record = rec;
        announce(self, rec);
        tell(self, t, rec);
        tell(self, rec);
        break;
      }
      case trigger_outcome::merged: {
        auto& rec = *plan.job;
        // A later merge of this group carries the higher count.
        auto& job = st.jobs[rec.id];
        job.record.merged = std::max(job.record.merged, rec.merged);
        job.record.updated_at_ns = rec.updated_at_ns;
        log().info("{}#{} trigger from {} merged into job {} ({} merged)",
                   dispatcher_state::name, self->id(), t.model, rec.id,
                   job.record.merged);
        tell(self, t, job.record);
        break;
      }
      case trigger_outcome::repeated:
        log().info("{}#{} trigger {} from {} came again: job {} ({})",
                   dispatcher_state::name, self->id(), t.id, t.model,
                   plan.ack.job_id, to_string(plan.ack.state));
        break;
      case trigger_outcome::superseded:
        log().info("{}#{} trigger from {} dropped: superseded by {}",
                   dispatcher_state::name, self->id(), t.model,
                   plan.ack.latest);
        break;
    }
    group[n].promise.deliver(std::move(plan.ack));
  }
  assign(self);
}

// -- start and recovery -------------------------------------------------------

// Tries again what the database refused, oldest first, and hands out work.
void recover(self_ptr self) {
  auto& st = self->state;
  st.recover_scheduled = false;
  while (!st.deferred.empty()) {
    // A transition may defer another one: take it off first.
    auto transition = std::move(st.deferred.front());
    st.deferred.pop_front();
    if (!transition()) {
      st.deferred.push_front(std::move(transition));
      break;
    }
  }
  assign(self);
  if (st.health.degraded() && !st.deferred.empty())
    schedule_recover(self, st.health.retry_delay());
}

// Loads the latest versions and the jobs a previous run left active. The
// store was checked writable at start; a job that was running is queued
// again.
caf::error restore(self_ptr self) {
  auto& st = self->state;
  auto identity = st.store->identity();
  if (!identity)
    return std::move(identity.error());
  st.identity = std::move(*identity);
  auto latest = st.store->latest_versions();
  if (!latest)
    return std::move(latest.error());
  for (auto& [line, version] : *latest)
    st.latest[line] = version;
  auto active = st.store->active_jobs();
  if (!active)
    return std::move(active.error());
  for (auto& rec : *active) {
    auto id = rec.id;
    auto& job = st.jobs[id];
    job.record = std::move(rec);
    st.by_line[job.record.line] = id;
    if (job.record.state == job_state::running) {
      log().info("{}#{} job {} {}: was running when the coordinator stopped, "
                 "re-queued",
                 dispatcher_state::name, self->id(), id, job.record.model);
      auto next = job.record;
      next.state = job_state::queued;
      next.updated_at_ns = unix_now_ns();
      if (auto err = st.store->update_job(next))
        return err;
      job.record = std::move(next);
    }
    st.ready.push_back(id);
  }
  log().info("{}#{} registry {} (identity {}): {} queued jobs resumed",
             dispatcher_state::name, self->id(), st.store->path(), st.identity,
             st.jobs.size());
  return caf::none;
}

// The state of every line the coordinator knows, for a monitor node that
// (re)subscribes; `known` are the lines that node knows.
std::vector<line_state> resync(self_ptr self,
                               const std::vector<line_state>& known) {
  auto& st = self->state;
  for (auto& x : known)
    note_floor(self, x.line, x.latest);
  std::unordered_map<std::string, line_state> lines;
  for (auto& [line, version] : st.latest)
    lines[line] = line_state{line, false, ""};
  for (auto& [line, version] : st.floor)
    lines[line] = line_state{line, false, ""};
  for (auto& [line, id] : st.by_line)
    lines[line] = line_state{line, true, ""};
  std::vector<line_state> result;
  result.reserve(lines.size());
  for (auto& [line, x] : lines) {
    if (auto v = st.latest_of(line))
      x.latest = core::to_string(*v);
    result.push_back(std::move(x));
  }
  return result;
}

// Why a shard request fails without an allocator.
caf::error no_allocator() {
  return caf::make_error(ec::storage_failure,
                         "the shard map cannot be read (see the "
                         "coordinator's log)");
}

// The shard allocator, spawned at first use; null when the shard map
// cannot be read.
shard_allocator_actor shards_of(self_ptr self) {
  auto& st = self->state;
  if (!st.shards) {
    st.shards = spawn_shard_allocator(self->system(), st.config.data_dir,
                                      st.config.registry_url, st.config.shards,
                                      st.store ? st.store->fence() : nullptr);
    if (st.shards)
      self->link_to(st.shards);
  }
  return st.shards;
}

} // namespace

dispatcher_self_actor::behavior_type
dispatcher(dispatcher_self_actor::stateful_pointer<dispatcher_state> self,
           std::unique_ptr<job_store> store, registry_actor registry,
           job_config config, std::chrono::milliseconds timeout,
           news_actor news) {
  auto& st = self->state;
  st.news = std::move(news);
  st.store = std::move(store);
  st.registry = std::move(registry);
  st.retry_backoff = core::backoff{config.retry_delay, config.retry_cap};
  st.config = std::move(config);
  st.timeout = timeout;
  if (auto err = restore(self)) {
    log().error("{}#{} cannot resume the jobs: {}", dispatcher_state::name,
                self->id(), storage_error_text(err));
    self->quit(err);
  }
  dispatcher_policies::load(self);
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  return {
    [=](retrain_trigger& trigger) -> caf::result<trigger_ack> {
      return on_trigger(self, trigger);
    },
    [=](atom::store) { store_triggers(self); },
    [=](atom::recover) { recover(self); },
    [=](atom::enlist, retrain_worker_actor& worker) {
      enlist(self, std::move(worker));
    },
    [=](atom::enlist) {
      enlist(self,
             caf::actor_cast<retrain_worker_actor>(self->current_sender()));
    },
    [=](atom::hello, std::string& version) { hello(self, std::move(version)); },
    [=](atom::subscribe, job_news_actor& sub,
        std::vector<line_state>& known) -> std::vector<line_state> {
      self->monitor(sub);
      // A node that was away during a change gets the set now.
      dispatcher_policies::push(self, sub);
      self->state.subscribers.push_back(std::move(sub));
      return resync(self, known);
    },
    [=](atom::standby) {
      // Asked directly, never through a gate: it runs without a lease.
      return uint64_t{0};
    },
    [=](job_result& result) { on_result(self, result); },
    [=](atom::report, job_result& result) -> uint64_t {
      auto id = result.job_id;
      on_result(self, result);
      return id;
    },
    [=](atom::retry, uint64_t id) {
      auto& st = self->state;
      auto i = st.jobs.find(id);
      if (i == st.jobs.end() || !i->second.waiting_retry)
        return;
      i->second.waiting_retry = false;
      st.ready.push_back(id);
      assign(self);
    },
    [=](atom::jobs) -> caf::result<std::vector<job_record>> {
      auto jobs = self->state.store->jobs();
      if (!jobs)
        return std::move(jobs.error());
      return std::move(*jobs);
    },
    [=](atom::versions,
        std::string& line) -> caf::result<std::vector<model_version>> {
      return self->delegate(self->state.registry, atom::versions::value,
                            std::move(line));
    },
    [=](policy_change& x) -> caf::result<policy_record> {
      return dispatcher_policies::change(self, x);
    },
    [=](atom::policy) -> std::vector<policy_record> {
      return dispatcher_policies::current(self->state);
    },
    [=](atom::policy,
        std::string& pattern) -> caf::result<std::vector<policy_record>> {
      return dispatcher_policies::history(self, pattern);
    },
    [=](atom::status) -> coordinator_status {
      auto& st = self->state;
      coordinator_status result;
      for (auto& [id, job] : st.jobs) {
        if (job.record.state == job_state::running)
          ++result.running;
        else
          ++result.queued;
      }
      result.succeeded = st.succeeded;
      result.failed = st.failed;
      result.supervisors = st.subscribers.size();
      for (auto& [addr, slot] : st.workers)
        result.workers.push_back(worker_status{to_string(addr), slot.job_id});
      result.storage = st.health.describe();
      result.registry = st.identity;
      result.version = st.version;
      for (auto& [addr, nv] : st.node_versions)
        result.node_versions[nv.first] = nv.second;
      result.attempts = st.attempts;
      result.storage_errors = st.storage_errors;
      result.job_seconds = st.durations.counts();
      result.job_ms_sum = st.durations.sum_ms();
      return result;
    },
    [=](shard_member& m) {
      if (auto allocator = shards_of(self))
        self->delegate(allocator, std::move(m));
    },
    [=](atom::shards) -> caf::result<shard_table> {
      if (auto allocator = shards_of(self))
        return self->delegate(allocator, atom::shards::value);
      return caf::make_error(ec::storage_failure,
                             "the shard map cannot be read (see the "
                             "coordinator's log)");
    },
    [=](atom::lease) -> caf::result<uint64_t> {
      if (auto allocator = shards_of(self))
        return self->delegate(allocator, atom::lease::value);
      return no_allocator();
    },
    // Durable monitor state: the shard allocator stores and hands out
    // monitor snapshots and moves the shards of a leaving node.
    [=](snapshot_shipment& x) -> caf::result<uint64_t> {
      if (auto allocator = shards_of(self))
        return self->delegate(allocator, std::move(x));
      return no_allocator();
    },
    [=](atom::restore a,
        std::vector<uint32_t>& x) -> caf::result<snapshot_shipment> {
      if (auto allocator = shards_of(self))
        return self->delegate(allocator, a, std::move(x));
      return no_allocator();
    },
    [=](atom::leave a, std::string& x) -> caf::result<uint64_t> {
      if (auto allocator = shards_of(self))
        return self->delegate(allocator, a, std::move(x));
      return no_allocator();
    },
  };
}

caf::expected<coordinator_actors>
spawn_coordinator(caf::actor_system& sys, job_config config,
                  std::chrono::milliseconds timeout, news_actor news,
                  std::shared_ptr<write_fence> fence) {
  auto versions = version_store::open(config.data_dir, config.registry_url,
                                      fence);
  if (!versions)
    return std::move(versions.error());
  auto jobs = job_store::open(config.data_dir, config.registry_url,
                              std::move(fence));
  if (!jobs)
    return std::move(jobs.error());
  coordinator_actors result;
  result.registry = sys.spawn<caf::detached>(registry, std::move(*versions));
  result.dispatcher
    = sys.spawn<caf::detached>(dispatcher, std::move(*jobs), result.registry,
                               std::move(config), timeout, std::move(news));
  return result;
}

} // namespace retrain
