#include "retrain/dispatcher.hpp"

#include <algorithm>

#include <caf/system_messages.hpp>

#include "retrain/core/job_policy.hpp"
#include "retrain/core/model_id.hpp"
#include "retrain/core/semver.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"
#include "retrain/registry.hpp"
#include "retrain/unix_time.hpp"
#include "retrain/version_store.hpp"

namespace retrain {

namespace {

using self_ptr = dispatcher_self_actor::stateful_pointer<dispatcher_state>;

// Writes `job` to the store; a failure is logged loudly (the job carries on
// in memory so no work is lost while the disk recovers).
void persist(self_ptr self, active_job& job) {
  job.record.updated_at_ns = unix_now_ns();
  if (auto err = self->state.store->update_job(job.record))
    log().error("{}#{} job {}: cannot persist: {}", dispatcher_state::name,
                self->id(), job.record.id, storage_error_text(err));
}

void announce(self_ptr self, const job_record& rec) {
  auto update = job_update::of(rec);
  for (auto& sub : self->state.subscribers)
    self->send(sub, update);
}

// Hands ready jobs to idle workers.
void assign(self_ptr self) {
  auto& st = self->state;
  for (auto& [addr, slot] : st.workers) {
    if (st.ready.empty())
      return;
    if (slot.job_id != 0)
      continue;
    auto id = st.ready.front();
    st.ready.pop_front();
    auto i = st.jobs.find(id);
    if (i == st.jobs.end())
      continue;
    auto& job = i->second;
    job.record.state = job_state::running;
    ++job.record.attempts;
    slot.job_id = id;
    persist(self, job);
    retrain_job msg{job.record, job.record.attempts};
    log().info("{}#{} job {} {}: attempt {} on worker {}",
               dispatcher_state::name, self->id(), id, job.record.model,
               job.record.attempts, to_string(addr));
    self->send(slot.handle, std::move(msg));
    announce(self, job.record);
  }
}

void finish(self_ptr self, uint64_t id, job_state state) {
  auto& st = self->state;
  auto i = st.jobs.find(id);
  if (i == st.jobs.end())
    return;
  auto& job = i->second;
  job.record.state = state;
  persist(self, job);
  if (state == job_state::succeeded)
    ++st.succeeded;
  else
    ++st.failed;
  announce(self, job.record);
  st.by_line.erase(job.record.line);
  st.jobs.erase(i);
}

// Puts a job back in line after a failed attempt or a lost worker.
void requeue(self_ptr self, active_job& job, bool front) {
  auto& st = self->state;
  job.record.state = job_state::queued;
  persist(self, job);
  if (front)
    st.ready.push_front(job.record.id);
  else
    st.ready.push_back(job.record.id);
  announce(self, job.record);
}

void give_up(self_ptr self, active_job& job, const std::string& error) {
  job.record.error = error;
  log().error("{}#{} job {} {}: failed after {} attempts: {}",
              dispatcher_state::name, self->id(), job.record.id,
              job.record.model, job.record.attempts, error);
  finish(self, job.record.id, job_state::failed);
}

void retry_later(self_ptr self, active_job& job, const std::string& error) {
  auto& st = self->state;
  job.record.error = error;
  auto delay = st.retry_backoff.delay(job.record.attempts, st.rng);
  auto delay_ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay);
  log().warn("{}#{} job {} {}: attempt {} failed ({}), retry in {} ms",
             dispatcher_state::name, self->id(), job.record.id,
             job.record.model, job.record.attempts, error, delay_ms.count());
  job.record.state = job_state::queued;
  job.waiting_retry = true;
  persist(self, job);
  announce(self, job.record);
  self->delayed_send(self, delay_ms, atom::retry::value, job.record.id);
}

// The running attempt of `job` failed (or its version could not be
// registered): retry or give up.
void on_failure(self_ptr self, active_job& job, const std::string& error) {
  auto action = core::decide_result(false, true, job.record.attempts,
                                    self->state.config.max_attempts);
  if (action == core::result_action::fail)
    give_up(self, job, error);
  else
    retry_later(self, job, error);
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
  register_version req{job.record.id, job.record.model, job.record.reason,
                       result.artifact};
  auto id = job.record.id;
  self->request(st.registry, st.timeout, std::move(req))
    .then(
      [=](model_version& v) {
        auto& st = self->state;
        auto i = st.jobs.find(id);
        if (i == st.jobs.end())
          return;
        i->second.record.version = v.version;
        i->second.record.error.clear();
        st.latest[v.line] = v.version;
        log().info("{}#{} job {} {}: succeeded, registered {} {}",
                   dispatcher_state::name, self->id(), id,
                   i->second.record.model, v.line, v.version);
        finish(self, id, job_state::succeeded);
        assign(self);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        auto i = st.jobs.find(id);
        if (i == st.jobs.end())
          return;
        i->second.registering = false;
        on_failure(self, i->second,
                   "registration failed: " + self->system().render(err));
        assign(self);
      });
}

void on_trigger(self_ptr self, retrain_trigger& trigger) {
  auto& st = self->state;
  auto id = core::parse_model_id(trigger.model);
  if (!id) {
    log().error("{}#{} trigger refused: {}", dispatcher_state::name, self->id(),
                id.error().message);
    return;
  }
  auto line = id->line();
  std::optional<core::semver> latest;
  if (auto i = st.latest.find(line); i != st.latest.end())
    if (auto v = core::parse_semver(i->second))
      latest = std::move(*v);
  auto active = st.by_line.find(line);
  switch (
    core::decide_trigger(id->version, latest, active != st.by_line.end())) {
    case core::trigger_action::drop_superseded:
      log().info("{}#{} trigger from {} dropped: superseded by {}",
                 dispatcher_state::name, self->id(), trigger.model,
                 core::to_string(*latest));
      return;
    case core::trigger_action::merge: {
      auto& job = st.jobs[active->second];
      ++job.record.merged;
      persist(self, job);
      log().info("{}#{} trigger from {} merged into job {} ({} merged)",
                 dispatcher_state::name, self->id(), trigger.model,
                 active->second, job.record.merged);
      return;
    }
    case core::trigger_action::create:
      break;
  }
  job_record rec;
  rec.model = trigger.model;
  rec.line = line;
  auto base = core::retrain_base(latest, id->version);
  rec.base_version = core::to_string(base);
  rec.next_version = core::to_string(core::next_version(base));
  rec.state = job_state::queued;
  rec.reason = to_string(trigger.reason);
  rec.created_at_ns = rec.updated_at_ns = unix_now_ns();
  auto new_id = st.store->insert_job(rec);
  if (!new_id) {
    log().error("{}#{} trigger from {} cannot be stored: {}",
                dispatcher_state::name, self->id(), trigger.model,
                storage_error_text(new_id.error()));
    return;
  }
  rec.id = *new_id;
  log().info("{}#{} job {} {}: queued ({} -> {}): {}", dispatcher_state::name,
             self->id(), rec.id, rec.model, rec.base_version, rec.next_version,
             rec.reason);
  st.by_line[line] = rec.id;
  st.ready.push_back(rec.id);
  auto& job = st.jobs[rec.id];
  job.record = std::move(rec);
  announce(self, job.record);
  assign(self);
}

void on_result(self_ptr self, job_result& result) {
  auto& st = self->state;
  auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
  if (auto w = st.workers.find(sender);
      w != st.workers.end() && w->second.job_id == result.job_id)
    w->second.job_id = 0;
  auto i = st.jobs.find(result.job_id);
  if (i == st.jobs.end() || i->second.registering) {
    log().info("{}#{} job {}: late result of attempt {} ignored",
               dispatcher_state::name, self->id(), result.job_id,
               result.attempt);
    assign(self);
    return;
  }
  auto& job = i->second;
  bool current = job.record.state == job_state::running
                 && result.attempt == job.record.attempts;
  switch (core::decide_result(result.success, current, job.record.attempts,
                              st.config.max_attempts)) {
    case core::result_action::register_version:
      // A success counts even from an attempt given up on: registration is
      // idempotent by job id.
      on_success(self, job, result);
      break;
    case core::result_action::retry:
      retry_later(self, job, result.error);
      break;
    case core::result_action::fail:
      give_up(self, job, result.error);
      break;
    case core::result_action::ignore:
      log().info("{}#{} job {}: failure of stale attempt {} ignored",
                 dispatcher_state::name, self->id(), result.job_id,
                 result.attempt);
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
  auto i = st.jobs.find(job_id);
  if (i != st.jobs.end() && !i->second.registering
      && i->second.record.state == job_state::running)
    requeue(self, i->second, true);
  assign(self);
}

// Loads the latest versions and the jobs a previous run left active.
void restore(self_ptr self) {
  auto& st = self->state;
  if (auto latest = st.store->latest_versions()) {
    for (auto& [line, version] : *latest)
      st.latest[line] = version;
  } else {
    log().error("{}#{} cannot read versions: {}", dispatcher_state::name,
                self->id(), storage_error_text(latest.error()));
  }
  auto active = st.store->active_jobs();
  if (!active) {
    log().error("{}#{} cannot read jobs: {}", dispatcher_state::name,
                self->id(), storage_error_text(active.error()));
    return;
  }
  for (auto& rec : *active) {
    auto id = rec.id;
    if (rec.state == job_state::running)
      log().info("{}#{} job {} {}: was running when the coordinator stopped, "
                 "re-queued",
                 dispatcher_state::name, self->id(), id, rec.model);
    auto& job = st.jobs[id];
    job.record = std::move(rec);
    job.record.state = job_state::queued;
    persist(self, job);
    st.by_line[job.record.line] = id;
    st.ready.push_back(id);
  }
  if (!st.jobs.empty())
    log().info("{}#{} resumed {} queued jobs", dispatcher_state::name,
               self->id(), st.jobs.size());
}

} // namespace

dispatcher_self_actor::behavior_type
dispatcher(dispatcher_self_actor::stateful_pointer<dispatcher_state> self,
           std::unique_ptr<job_store> store, registry_actor registry,
           job_config config, std::chrono::milliseconds timeout) {
  auto& st = self->state;
  st.store = std::move(store);
  st.registry = std::move(registry);
  st.retry_backoff = core::backoff{config.retry_delay, config.retry_cap};
  st.config = std::move(config);
  st.timeout = timeout;
  restore(self);
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  return {
    [=](retrain_trigger& trigger) { on_trigger(self, trigger); },
    [=](atom::enlist, retrain_worker_actor& worker) {
      auto& st = self->state;
      auto addr = worker.address();
      if (st.workers.count(addr) > 0)
        return;
      self->monitor(worker);
      st.workers[addr] = worker_slot{worker, 0};
      log().info("{}#{} worker {} enlisted ({} workers)",
                 dispatcher_state::name, self->id(), to_string(addr),
                 st.workers.size());
      assign(self);
    },
    [=](atom::subscribe, job_news_actor& sub) -> std::vector<line_state> {
      auto& st = self->state;
      self->monitor(sub);
      st.subscribers.push_back(std::move(sub));
      // The state of every line, so a returning supervisor can resync.
      std::unordered_map<std::string, line_state> lines;
      for (auto& [line, version] : st.latest)
        lines[line] = line_state{line, false, version};
      for (auto& [line, id] : st.by_line) {
        auto& x = lines[line];
        x.line = line;
        x.busy = true;
      }
      std::vector<line_state> result;
      result.reserve(lines.size());
      for (auto& [line, x] : lines)
        result.push_back(std::move(x));
      return result;
    },
    [=](job_result& result) { on_result(self, result); },
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
      return result;
    },
  };
}

caf::expected<coordinator_actors>
spawn_coordinator(caf::actor_system& sys, job_config config,
                  std::chrono::milliseconds timeout) {
  auto versions = version_store::open(config.data_dir);
  if (!versions)
    return std::move(versions.error());
  auto jobs = job_store::open(config.data_dir);
  if (!jobs)
    return std::move(jobs.error());
  coordinator_actors result;
  result.registry = sys.spawn<caf::detached>(registry, std::move(*versions));
  result.dispatcher = sys.spawn<caf::detached>(
    dispatcher, std::move(*jobs), result.registry, std::move(config), timeout);
  return result;
}

} // namespace retrain
