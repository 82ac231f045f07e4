#include "retrain/monitor.hpp"

#include <algorithm>
#include <chrono>

#include "retrain/core/model_id.hpp"
#include "retrain/core/policy.hpp"
#include "retrain/core/strategy_factory.hpp"
#include "retrain/latency_probe.hpp"
#include "retrain/log.hpp"
#include "retrain/unix_time.hpp"

namespace retrain {

namespace {

// Records how long each event of `run` waited; events of one batch share
// their time, so equal neighbours go in together.
void record_latency(latency_probe& probe, const metric_run& run) {
  auto now = probe.now_ns();
  auto& evs = run.events;
  for (std::size_t i = 0; i < evs.size();) {
    auto j = i + 1;
    while (j < evs.size() && evs[j].observed_at_ns == evs[i].observed_at_ns)
      ++j;
    probe.record(now - evs[i].observed_at_ns, j - i);
    i = j;
  }
}

} // namespace

std::shared_ptr<const monitor_setup>
monitor_setup::make(const monitor_config& config) {
  return make(describe(core::resolve(config.policy_base(), nullptr)),
              static_cast<std::size_t>(config.history_points),
              std::chrono::duration_cast<std::chrono::nanoseconds>(
                config.history_resolution)
                .count());
}

monitor_policy monitor_setup::describe(const core::resolved_policy& policy) {
  monitor_policy result;
  result.pattern = policy.pattern;
  result.version = policy.version;
  result.cooldown_ms = policy.cooldown.count();
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    if (!policy.kinds[i])
      continue;
    result.kinds.push_back(static_cast<metric_kind>(i));
    result.specs.push_back(core::to_text(*policy.kinds[i]));
  }
  return result;
}

std::shared_ptr<const monitor_setup>
monitor_setup::make(const monitor_policy& policy, std::size_t history_points,
                    int64_t history_resolution_ns) {
  auto result = std::make_shared<monitor_setup>();
  result->history_points = history_points;
  result->history_resolution_ns = history_resolution_ns;
  result->cooldown = std::chrono::milliseconds{policy.cooldown_ms};
  result->pattern = policy.pattern;
  result->version = policy.version;
  auto n = std::min(policy.kinds.size(), policy.specs.size());
  for (std::size_t k = 0; k < n; ++k) {
    if (!is_valid(policy.kinds[k]))
      continue;
    auto i = static_cast<std::size_t>(policy.kinds[k]);
    // Validated where the policy was stored and where the node read its
    // configuration, so this fails only for a spec of another build.
    auto spec = core::parse_strategy_spec(policy.specs[k]);
    if (!spec)
      continue;
    auto s = core::make_strategy(spec->name, spec->params);
    if (!s)
      continue;
    result->prototypes[i] = std::move(*s);
    result->spec_texts[i] = core::to_text(*spec);
    result->specs[i] = std::move(*spec);
  }
  return result;
}

void monitor_state::switch_to(std::shared_ptr<const monitor_setup> next) {
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    auto& old = strategies[i];
    if (!old)
      continue;
    if (next->prototypes[i] && setup->specs[i] && next->specs[i]
        && core::same_detector(*setup->specs[i], *next->specs[i])) {
      auto kept = next->prototypes[i]->clone();
      if (kept->restore(old->snapshot())) {
        old = std::move(kept);
        continue;
      }
    }
    // Another detector: it starts from its first value again.
    old.reset();
  }
  gate.cooldown(next->cooldown);
  setup = std::move(next);
  dirty = true;
}

core::strategy* monitor_state::strategy_of(metric_kind kind) {
  auto i = static_cast<std::size_t>(kind);
  if (!strategies[i] && setup->prototypes[i])
    strategies[i] = setup->prototypes[i]->clone();
  return strategies[i].get();
}

core::history_ring* monitor_state::ring_of(metric_kind kind) {
  auto i = static_cast<std::size_t>(kind);
  if (!history[i] && setup->history_points > 0)
    history[i] = std::make_unique<core::history_ring>(
      setup->history_points, setup->history_resolution_ns);
  return history[i].get();
}

std::optional<retrain_trigger>
monitor_state::apply(const run_event& ev, core::trigger_gate::time_point now) {
  ++events;
  auto strategy = strategy_of(ev.kind);
  if (!strategy)
    return std::nullopt; // a kind this node does not watch
  auto x = strategy->binary() ? error_indicator(ev.kind, ev.value) : ev.value;
  auto d = strategy->update(x);
  if (d.breach)
    ++breaches;
  // The value as received: for outcomes the 0/1 the producer sent.
  if (auto ring = ring_of(ev.kind))
    ring->add(ev.observed_at_ns, ev.value, d, strategy->samples());
  if (d.state != core::verdict::drift || standing_down || !gate.open(now))
    return std::nullopt;
  gate.fired(now);
  ++triggers;
  if (marks.size() == model_history::trigger_marks_kept)
    marks.erase(marks.begin());
  marks.push_back(trigger_mark{ev.observed_at_ns, ev.kind, strategy->samples(),
                               d.statistic, d.threshold});
  retrain_trigger result;
  result.model = model;
  result.reason.strategy = std::string{strategy->name()};
  result.reason.kind = ev.kind;
  result.reason.statistic = d.statistic;
  result.reason.threshold = d.threshold;
  result.reason.samples = strategy->samples();
  result.triggered_at_ns = unix_now_ns();
  return result;
}

bool monitor_state::stand_down_for(const core::semver& latest) {
  if (standing_down)
    return false;
  auto id = core::parse_model_id(model);
  if (!id || core::compare(id->version, latest) >= 0)
    return false;
  standing_down = true;
  return true;
}

monitor_snapshot monitor_state::snapshot(bool with_history) const {
  monitor_snapshot result;
  result.model = model;
  result.events = events;
  result.triggers = triggers;
  result.breaches = breaches;
  result.standing_down = standing_down;
  result.line_busy = gate.busy();
  result.fired = gate.has_fired();
  result.fired_at_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         gate.fired_at().time_since_epoch())
                         .count();
  // Sized once: a snapshot goes out every interval for every busy model.
  auto watched = static_cast<std::size_t>(
    std::count_if(strategies.begin(), strategies.end(),
                  [](const auto& x) { return x != nullptr; }));
  result.kinds.reserve(watched);
  result.strategies.reserve(watched);
  result.specs.reserve(watched);
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    if (strategies[i]) {
      result.kinds.push_back(static_cast<metric_kind>(i));
      result.strategies.push_back(strategies[i]->snapshot());
      result.specs.push_back(setup->spec_texts[i]);
    }
  }
  result.marks = marks;
  if (with_history)
    result.history = history_of().kinds;
  return result;
}

void monitor_state::restore_history(const monitor_snapshot& snap) {
  marks = snap.marks;
  if (marks.size() > model_history::trigger_marks_kept)
    marks.erase(marks.begin(), marks.end() - model_history::trigger_marks_kept);
  for (auto& kh : snap.history)
    if (is_valid(kh.kind))
      if (auto ring = ring_of(kh.kind))
        ring->assign(kh.points);
}

model_history monitor_state::history_of() const {
  model_history result;
  result.model = model;
  result.resolution_ns = setup->history_resolution_ns;
  result.capacity = setup->history_points;
  for (std::size_t i = 0; i < history.size(); ++i) {
    if (!history[i] || history[i]->size() == 0)
      continue;
    kind_history kh;
    kh.kind = static_cast<metric_kind>(i);
    if (strategies[i])
      kh.strategy = std::string{strategies[i]->name()};
    kh.points = history[i]->points();
    result.kinds.push_back(std::move(kh));
  }
  result.triggers = marks;
  return result;
}

model_status monitor_state::status() const {
  model_status result;
  result.model = model;
  result.state = standing_down ? "standing-down"
                               : (gate.busy() ? "job-active" : "watching");
  result.events = events;
  result.triggers = triggers;
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    // Kinds this model never reported are left out.
    if (!strategies[i] || strategies[i]->samples() == 0)
      continue;
    auto last = strategies[i]->last();
    kind_status ks;
    ks.kind = static_cast<metric_kind>(i);
    ks.strategy = std::string{strategies[i]->name()};
    ks.statistic = last.statistic;
    ks.threshold = last.threshold;
    ks.samples = strategies[i]->samples();
    ks.state = std::string{to_string(last.state)};
    result.kinds.push_back(std::move(ks));
  }
  result.policy = setup->pattern;
  result.policy_version = setup->version;
  return result;
}

namespace {

thread_local monitor_impl* current_monitor = nullptr;

} // namespace

monitor_impl* monitor_impl::current() noexcept {
  return current_monitor;
}

caf::resumable::resume_result monitor_impl::resume(caf::execution_unit* ctx,
                                                   size_t max) {
  auto before = current_monitor;
  current_monitor = this;
  auto result = super::resume(ctx, max);
  current_monitor = before;
  return result;
}

monitor_impl::monitor_impl(caf::actor_config& cfg, monitor_start start,
                           monitor_parent_actor supervisor)
  : super(cfg) {
  auto self = this;
  auto& st = state;
  st.model = std::move(start.model);
  st.setup = std::move(start.setup);
  st.supervisor = supervisor.address();
  st.gate = core::trigger_gate{st.setup->cooldown};
  if (start.snapshot) {
    auto& snap = *start.snapshot;
    st.events = snap.events;
    st.triggers = snap.triggers;
    st.breaches = snap.breaches;
    st.standing_down = snap.standing_down;
    if (snap.fired)
      st.gate.restore_fired(core::trigger_gate::time_point{
        std::chrono::nanoseconds{snap.fired_at_ns}});
    if (start.resume && snap.line_busy)
      start.line_busy = true;
    st.restore_history(snap);
    // Kinds and strategies pair up by position; a snapshot that does not
    // (it came off the wire or from an older build) restores nothing.
    auto pairs = snap.kinds.size() == snap.strategies.size() ? snap.kinds.size()
                                                             : 0;
    // The specs it ran, if the snapshot has them: a detector the policy
    // changed since starts fresh (a passivated monitor wakes up under the
    // policy in force now).
    auto with_specs = snap.specs.size() == pairs;
    for (std::size_t i = 0; i < pairs; ++i) {
      if (!is_valid(snap.kinds[i]))
        continue;
      auto k = static_cast<std::size_t>(snap.kinds[i]);
      if (with_specs && st.setup->specs[k]) {
        auto ran = core::parse_strategy_spec(snap.specs[i]);
        if (!ran || !core::same_detector(*ran, *st.setup->specs[k]))
          continue;
      }
      auto s = st.strategy_of(snap.kinds[i]);
      if (s && !s->restore(snap.strategies[i]))
        log().warn("{}#{} {}: snapshot of {} does not fit, starting fresh",
                   monitor_state::name, self->id(), st.model,
                   to_string(snap.kinds[i]));
    }
  }
  if (start.latest)
    st.stand_down_for(*start.latest);
  st.gate.line_busy(start.line_busy);
  // Asked to stop (passivation, or on purpose): the supervisor gets the
  // final state first, so nothing applied is lost.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    st.dirty = false;
    st.tell_supervisor(self, st.snapshot(true));
    self->quit(std::move(msg.reason));
  });
}

monitor_impl::behavior_type monitor_impl::make_behavior() {
  // Built once: the handlers capture nothing and find their monitor
  // through `current()`.
  static const behavior_type shared = behavior_type{
    [](metric_run& run) {
      auto self = current();
      auto& st = self->state;
      auto now = self->clock().now();
      st.dirty = true;
      if (auto probe = latency_probe::installed())
        record_latency(*probe, run);
      bool fired = false;
      for (auto& ev : run.events) {
        if (auto trigger = st.apply(ev, now)) {
          log().info("{}#{} {}: trigger: {}", monitor_state::name, self->id(),
                     st.model, to_string(trigger->reason));
          st.tell_supervisor(self, std::move(*trigger));
          fired = true;
        }
      }
      // A restarted monitor must not fire the same episode again; and the
      // snapshot sweep may have asked for a snapshot with this run.
      if (fired || run.snapshot) {
        st.dirty = false;
        st.tell_supervisor(self, st.snapshot());
      }
    },
    [](line_state& line) {
      auto self = current();
      auto& st = self->state;
      st.dirty = true;
      st.gate.line_busy(line.busy);
      if (line.latest.empty())
        return;
      auto version = core::parse_semver(line.latest);
      if (version && st.stand_down_for(*version))
        log().info("{}#{} {}: standing down, {} is registered",
                   monitor_state::name, self->id(), st.model, line.latest);
    },
    [](atom::tick) {
      auto self = current();
      auto& st = self->state;
      if (st.dirty) {
        st.dirty = false;
        st.tell_supervisor(self, st.snapshot());
      }
    },
    [](atom::ping x) { return x; },
    [](atom::status) -> model_status { return current()->state.status(); },
    [](atom::history) -> model_history {
      return current()->state.history_of();
    },
    [](monitor_policy& policy) {
      auto self = current();
      auto& st = self->state;
      // Debug only: a change of `*` switches every monitor of the node, and
      // the supervisor logs the count.
      log().debug("{}#{} {}: policy {} v{}", monitor_state::name, self->id(),
                  st.model, policy.pattern, policy.version);
      st.switch_to(monitor_setup::make(policy, st.setup->history_points,
                                       st.setup->history_resolution_ns));
    },
    [](atom::stats) {
      auto self = current();
      // A message rather than a response: one supervisor waiting for
      // thousands of responses is slow in CAF 0.17.
      auto& st = self->state;
      monitor_stats ms;
      ms.models = 1;
      ms.events = st.events;
      ms.triggers = st.triggers;
      ms.breaches = st.breaches;
      st.tell_supervisor(self, std::move(ms));
    },
  };
  return shared;
}

} // namespace retrain
