#include "retrain/supervisor.hpp"

#include <algorithm>
#include <optional>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/system_messages.hpp>

#include "retrain/core/model_id.hpp"
#include "retrain/core/quoted.hpp"
#include "retrain/core/shard_map.hpp"
#include "retrain/core/zero_runs.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"

namespace retrain {

namespace {

constexpr const char* shown_state_names[] = {
  "", "watching", "job-active", "standing-down", "passivated", "quarantined",
};

static_assert(std::size(shown_state_names) == shown_state_count);

} // namespace

const char* to_string(shown_state x) {
  return shown_state_names[static_cast<std::size_t>(x)];
}

std::optional<shown_state> parse_shown_state(std::string_view x) {
  for (std::size_t i = 1; i < shown_state_count; ++i)
    if (x == shown_state_names[i])
      return static_cast<shown_state>(i);
  return std::nullopt;
}

void status_request::deliver(const std::vector<model_status>& result) {
  if (!is_page) {
    rows.deliver(result);
    return;
  }
  // Monitors answer in any order; the page is in model id order.
  header.rows = result;
  std::sort(header.rows.begin(), header.rows.end(),
            [](const auto& x, const auto& y) { return x.model < y.model; });
  page.deliver(std::move(header));
}

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

std::shared_ptr<const monitor_setup>
supervisor_state::setup_for(std::string_view line) {
  auto winner = book.winner(line);
  if (!winner)
    return setup;
  auto key = winner->pattern.str();
  auto& result = setups[key];
  if (!result)
    result = monitor_setup::make(
      monitor_setup::describe(core::resolve(base, winner)),
      setup->history_points, setup->history_resolution_ns);
  return result;
}

namespace {

using self_ptr = supervisor_self_actor::stateful_pointer<supervisor_state>;

void flush(self_ptr self);
void send_run(self_ptr self, uint32_t slot, metric_run&& run);

// -- snapshots ----------------------------------------------------------------

// The strings every snapshot of a policy repeats (strategy names, the
// detector specs: about 120 of a snapshot's 280 bytes), in the order
// `pack_strings` and `unpack_strings` walk them.
template <class F>
void for_each_shared_string(monitor_snapshot& snap, F f) {
  for (auto& x : snap.strategies)
    f(x.strategy);
  for (auto& x : snap.history)
    f(x.strategy);
  for (auto& x : snap.specs)
    f(x);
}

// Replaces the shared strings of `snap` by their numbers in the pool.
std::vector<uint32_t> pack_strings(core::string_pool& pool,
                                   monitor_snapshot& snap) {
  std::vector<uint32_t> ids;
  for_each_shared_string(snap, [&](std::string& x) {
    ids.push_back(pool.intern(x));
    x.clear();
  });
  return ids;
}

// Puts the strings numbered `ids` back into `snap`; false if they do not
// match its shape or the pool.
bool unpack_strings(const core::string_pool& pool,
                    const std::vector<uint32_t>& ids, monitor_snapshot& snap) {
  std::size_t i = 0;
  bool ok = true;
  for_each_shared_string(snap, [&](std::string& x) {
    auto str = i < ids.size() ? pool.find(ids[i]) : std::nullopt;
    ++i;
    if (str)
      x.assign(str->data(), str->size());
    else
      ok = false;
  });
  return ok && i == ids.size();
}

// One is kept per model, so a snapshot is packed: its shared strings are
// kept once per node, and its runs of zero bytes (counters and flags in
// fixed-width fields, mostly) are shortened (`core::pack_zero_runs`).
// Leaves the shared strings of `snap` empty.
std::vector<char> serialize(self_ptr self, monitor_snapshot& snap) {
  std::vector<char> buf;
  caf::binary_serializer sink{self->system(), buf};
  auto ids = pack_strings(self->state.strings, snap);
  if (auto err = sink(snap, ids)) {
    log().error("{}#{} {}: cannot serialize a snapshot: {}",
                supervisor_state::name, self->id(), snap.model,
                self->system().render(err));
    return {};
  }
  return core::pack_zero_runs(buf);
}

std::optional<monitor_snapshot> deserialize(self_ptr self,
                                            const monitored_model& entry) {
  if (entry.snapshot.empty())
    return std::nullopt;
  monitor_snapshot result;
  std::vector<uint32_t> ids;
  caf::error err;
  if (auto buf = core::unpack_zero_runs(entry.snapshot)) {
    caf::binary_deserializer source{self->system(), *buf};
    err = source(result, ids);
    if (!err && !unpack_strings(self->state.strings, ids, result))
      err = caf::make_error(caf::sec::invalid_argument,
                            "its strategy names are not the node's");
  } else {
    err = caf::make_error(caf::sec::invalid_argument, "its packing is broken");
  }
  if (err) {
    log().error("{}#{} {}: cannot read its snapshot: {}",
                supervisor_state::name, self->id(), entry.model,
                self->system().render(err));
    return std::nullopt;
  }
  result.model = entry.model;
  return result;
}

// -- counts by state
// -----------------------------------------------------------

// What status shows of `entry` now.
shown_state state_of(const monitored_model& entry) {
  if (entry.model.empty())
    return shown_state::none;
  if (entry.quarantined)
    return shown_state::quarantined;
  if (entry.passivated || entry.passivating)
    return shown_state::passivated;
  if (entry.standing_down)
    return shown_state::standing_down;
  return entry.line_busy ? shown_state::job_active : shown_state::watching;
}

// Moves `entry` to the count of the state it is in now.
void recount(supervisor_state& st, monitored_model& entry) {
  auto now = state_of(entry);
  if (now == entry.shown)
    return;
  if (entry.shown != shown_state::none)
    --st.by_state[static_cast<std::size_t>(entry.shown)];
  if (now != shown_state::none)
    ++st.by_state[static_cast<std::size_t>(now)];
  entry.shown = now;
}

// Mirrors what the monitor of `entry` makes of `latest`: it stands down
// once a newer version of its line is registered.
void mirror_latest(monitored_model& entry, const core::semver& latest) {
  if (entry.standing_down)
    return;
  auto id = core::parse_model_id(entry.model);
  entry.standing_down = id && core::compare(id->version, latest) < 0;
}

// Adds (`sign` 1) or takes away (-1) the counts of a passivated model's
// snapshot to or from the resting totals.
void count_resting(self_ptr self, const monitored_model& entry, int sign) {
  auto snap = deserialize(self, entry);
  if (!snap)
    return;
  auto& rest = self->state.resting;
  auto apply = [sign](uint64_t& total, uint64_t x) {
    total = sign > 0 ? total + x : total - x;
  };
  apply(rest.events, snap->events);
  apply(rest.triggers, snap->triggers);
  apply(rest.breaches, snap->breaches);
}

// Notes that the monitor of `slot` changed and makes sure a sweep comes.
void mark_changed(self_ptr self, uint32_t slot) {
  auto& st = self->state;
  if (st.sweep.mark(slot))
    self->delayed_send(self, st.config.snapshot_interval, atom::sweep::value);
}

// Asks the next chunk of the monitors that changed for snapshots. A model
// with events held asks with them: its monitor sends the snapshot after
// applying them, so the sweep cuts no flush window short and costs such a
// model one message, not two.
void sweep(self_ptr self) {
  auto& st = self->state;
  auto next = st.sweep.step([&](uint32_t slot) {
    auto& entry = st.models[slot];
    if (!entry.handle || st.batcher.ask_snapshot(entry.run))
      return;
    self->send(entry.handle, atom::tick::value);
  });
  switch (next) {
    case snapshot_sweep::next::step:
      self->send(self, atom::sweep::value);
      break;
    case snapshot_sweep::next::timer:
      self->delayed_send(self, st.config.snapshot_interval, atom::sweep::value);
      break;
    case snapshot_sweep::next::idle:
      break;
  }
}

// Keeps the snapshot a monitor sent, if it is the current incarnation's.
void keep_snapshot(self_ptr self, monitor_snapshot& snap) {
  auto& st = self->state;
  auto slot = st.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
  if (slot == core::slot_index::npos)
    return;
  auto& entry = st.models[slot];
  snap.model.clear(); // the entry has it
  entry.snapshot_events = snap.events;
  entry.snapshot = serialize(self, snap);
  if (!entry.unshipped && !entry.snapshot.empty()) {
    entry.unshipped = true;
    st.unshipped.push_back(slot);
  }
}

// -- monitors -----------------------------------------------------------------

void schedule_idle_scan(self_ptr self);

// Spawns the monitor of `slot`, from its snapshot if it has one. With
// `resume`, the snapshot is a passivated monitor's, line state included.
void spawn_monitor(self_ptr self, uint32_t slot, bool resume = false) {
  auto& st = self->state;
  auto& entry = st.models[slot];
  monitor_start start;
  start.model = entry.model;
  start.setup = st.setup_for(core::model_line_of(entry.model));
  start.snapshot = deserialize(self, entry);
  start.resume = resume;
  if (!st.latest.empty() || !st.busy_lines.empty()) {
    auto line = std::string{core::model_line_of(entry.model)};
    if (auto i = st.latest.find(line); i != st.latest.end()) {
      start.latest = i->second;
      mirror_latest(entry, i->second);
    }
    start.line_busy = st.busy_lines.count(line) > 0;
  }
  entry.line_busy = start.line_busy;
  entry.handle = self->spawn<monitor_impl>(
    std::move(start), caf::actor_cast<monitor_parent_actor>(self));
  self->monitor(entry.handle);
  st.by_actor.insert(core::hash_key(entry.handle.id()), slot);
  entry.sent = entry.snapshot_events;
  ++st.running;
  recount(st, entry);
  schedule_idle_scan(self);
}

// Starts the monitor of a passivated model again from its snapshot.
void wake(self_ptr self, uint32_t slot) {
  auto& st = self->state;
  count_resting(self, st.models[slot], -1);
  st.models[slot].passivated = false;
  --st.passivated;
  spawn_monitor(self, slot, true);
}

// What `find_or_spawn` returns for a new id past `max-models`.
constexpr uint32_t over_cap = core::slot_index::npos - 1;

// Creates the entry of the new `model` (a valid id, below the cap), with
// no monitor yet.
uint32_t add_entry(self_ptr self, const std::string& model) {
  auto& st = self->state;
  uint32_t slot;
  if (st.free_slots.empty()) {
    slot = static_cast<uint32_t>(st.models.size());
    st.models.emplace_back();
  } else {
    slot = st.free_slots.back();
    st.free_slots.pop_back();
  }
  auto& entry = st.models[slot];
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
  return slot;
}

// Finds or creates the entry of `model`; `npos` if the id is malformed
// (ingest checks ids, so this only guards against direct senders),
// `over_cap` if the node has `max-models` models already.
uint32_t find_or_spawn(self_ptr self, const std::string& model) {
  auto& st = self->state;
  if (auto slot = st.find(model); slot != core::slot_index::npos)
    return slot;
  if (core::check_model_id(model))
    return core::slot_index::npos;
  if (st.model_count() >= st.config.max_models)
    return over_cap;
  auto slot = add_entry(self, model);
  spawn_monitor(self, slot);
  return slot;
}

// Sets the line state a passivated model starts again with (its standing
// down follows from the latest version when it starts).
void set_line_busy(self_ptr self, monitored_model& entry, bool busy) {
  auto snap = deserialize(self, entry);
  if (!snap || snap->line_busy == busy)
    return;
  snap->line_busy = busy;
  snap->model.clear(); // the entry has it
  entry.snapshot = serialize(self, *snap);
}

// Records the state of a line and tells the monitors of that line.
void apply_line_state(self_ptr self, line_state& x) {
  auto& st = self->state;
  if (x.busy)
    st.busy_lines.insert(x.line);
  else
    st.busy_lines.erase(x.line);
  if (auto v = core::parse_semver(x.latest)) {
    auto& latest = st.latest[x.line];
    if (core::compare(latest, *v) < 0)
      latest = *v;
  }
  auto latest = st.latest.find(x.line);
  for (auto slot = st.first_of_line(x.line); slot != core::slot_index::npos;
       slot = st.models[slot].next_in_line) {
    auto& entry = st.models[slot];
    // Events routed before the news reach the monitor before it; the
    // other models' runs wait for their window.
    st.batcher.flush_one(slot, entry.run, [self](uint32_t s, metric_run&& run) {
      send_run(self, s, std::move(run));
    });
    entry.line_busy = x.busy;
    if (latest != st.latest.end())
      mirror_latest(entry, latest->second);
    recount(st, entry);
    if (entry.running()) {
      self->send(entry.handle, x);
      mark_changed(self, slot);
    } else if (entry.passivating) {
      entry.news_while_stopping = true;
    } else if (entry.passivated) {
      set_line_busy(self, entry, x.busy);
    }
  }
}

// -- questions to every monitor -----------------------------------------------

// How each question is put, answered and summed up. A quarantined or
// passivated model answers from its last snapshot.
struct stats_query {
  using result_type = monitor_stats;
  using atom_type = atom::stats;
  static monitor_rounds<monitor_stats>& rounds(supervisor_state& st) {
    return st.stats;
  }
  static monitor_stats of_stored(self_ptr self, const monitored_model& entry) {
    monitor_stats result;
    result.models = 1;
    result.quarantined = entry.quarantined ? 1 : 0;
    result.passivated = entry.passivated ? 1 : 0;
    // Passivated models count in the resting totals (`started`): a scrape
    // of millions of them reads no snapshot.
    if (entry.passivated)
      return result;
    if (auto snap = deserialize(self, entry)) {
      result.events = snap->events;
      result.triggers = snap->triggers;
      result.breaches = snap->breaches;
    }
    return result;
  }
  static void add(const monitored_model&, const monitor_stats& ms,
                  monitor_stats& totals) {
    totals.models += ms.models;
    totals.events += ms.events;
    totals.triggers += ms.triggers;
    totals.breaches += ms.breaches;
    totals.quarantined += ms.quarantined;
    totals.passivated += ms.passivated;
  }
  // What the passivated models hold as the round starts.
  static void started(const supervisor_state& st, monitor_stats& totals) {
    totals.events += st.resting.events;
    totals.triggers += st.resting.triggers;
    totals.breaches += st.resting.breaches;
  }
  // What the supervisor itself counts.
  static void complete(const supervisor_state& st, monitor_stats& totals) {
    totals.forgotten = st.forgotten;
    totals.flush_window_ns = st.batcher.window().count();
    totals.accepted.assign(st.accepted.begin(), st.accepted.end());
    totals.rejected.clear();
    if (st.refused_quarantined > 0)
      totals.rejected[to_string(ec::quarantined)] = st.refused_quarantined;
    if (st.refused_invalid_id > 0)
      totals.rejected[to_string(ec::invalid_model_id)] = st.refused_invalid_id;
    if (st.refused_too_many > 0)
      totals.rejected[to_string(ec::too_many_models)] = st.refused_too_many;
  }
};

struct status_query {
  using result_type = std::vector<model_status>;
  using atom_type = atom::status;
  static fan_in<result_type, status_request>& rounds(supervisor_state& st) {
    return st.status;
  }
  static model_status of_stored(self_ptr self, const monitored_model& entry) {
    model_status result;
    result.model = entry.model;
    result.state = entry.quarantined ? "quarantined" : "passivated";
    // What it runs when it starts again.
    auto setup = self->state.setup_for(core::model_line_of(entry.model));
    result.policy = setup->pattern;
    result.policy_version = setup->version;
    if (auto snap = deserialize(self, entry)) {
      result.events = snap->events;
      result.triggers = snap->triggers;
    }
    return result;
  }
  static void add(const monitored_model& entry, model_status&& ms,
                  result_type& rows) {
    if (entry.trouble) {
      ms.restarts = entry.trouble->restarts;
      ms.lost = entry.trouble->lost;
    }
    rows.push_back(std::move(ms));
  }
  static void started(const supervisor_state&, result_type&) {
    // nop
  }
  static void complete(const supervisor_state&, result_type&) {
    // nop
  }
};

template <class Query>
void start_rounds(self_ptr self);

// Delivers the round under way once every monitor it asked answered, and
// starts the next.
template <class Query>
void finish_round(self_ptr self) {
  auto& rounds = Query::rounds(self->state);
  auto deliver = [self](auto& rp, auto& result) {
    Query::complete(self->state, result);
    rp.deliver(result);
  };
  if (rounds.finish(deliver))
    start_rounds<Query>(self);
}

// Puts the question of the round under way to the monitor of `slot`, or
// answers it from the snapshot of a quarantined or passivated model. A
// passivating monitor answers nothing more: the round waits for it to go
// down (`on_replaced`).
template <class Query>
void ask(self_ptr self, uint32_t slot) {
  auto& entry = self->state.models[slot];
  auto& rounds = Query::rounds(self->state);
  if (entry.running()) {
    rounds.await(slot);
    self->send(entry.handle, typename Query::atom_type{});
  } else if (entry.passivating) {
    rounds.await(slot);
  } else if (entry.model.empty()) {
    rounds.settle(slot); // forgotten
  } else {
    rounds.settle(slot);
    Query::add(entry, Query::of_stored(self, entry), rounds.result());
  }
}

// Starts a round if queries wait and none is under way. Each monitor
// answers after the runs sent to it before, so the round covers every
// event routed so far.
template <class Query>
void start_rounds(self_ptr self) {
  auto& st = self->state;
  auto& rounds = Query::rounds(st);
  if (!rounds.ready())
    return;
  flush(self);
  for (auto slot : rounds.start(static_cast<uint32_t>(st.models.size())))
    ask<Query>(self, slot);
  Query::started(st, rounds.result());
  finish_round<Query>(self);
}

// Takes a query over the monitors of `slots`, or of every model.
template <class Query>
caf::result<typename Query::result_type>
ask_monitors(self_ptr self,
             std::optional<std::vector<uint32_t>> slots = std::nullopt) {
  auto rp = self->make_response_promise<typename Query::result_type>();
  Query::rounds(self->state).enqueue(std::move(slots), rp);
  start_rounds<Query>(self);
  return rp;
}

// Takes a monitor's answer to the round under way.
template <class Query, class Answer>
void on_answer(self_ptr self, Answer& answer) {
  auto& st = self->state;
  auto& rounds = Query::rounds(st);
  auto slot = st.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
  if (slot == core::slot_index::npos || !rounds.settle(slot))
    return;
  Query::add(st.models[slot], std::move(answer), rounds.result());
  finish_round<Query>(self);
}

// The monitor of `slot` went down and was replaced (or its model
// quarantined): if the round under way waits for it, it asks again.
template <class Query>
void on_replaced(self_ptr self, uint32_t slot) {
  if (!Query::rounds(self->state).awaits(slot))
    return;
  ask<Query>(self, slot);
  finish_round<Query>(self);
}

// The slots of one model (a model id) or of every model of one line;
// `invalid_model_line` if `which` is neither.
caf::expected<std::vector<uint32_t>> slots_of(self_ptr self,
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
  return slots;
}

// The status of one model or of every model of one line.
caf::result<std::vector<model_status>> status_of(self_ptr self,
                                                 const std::string& which) {
  auto slots = slots_of(self, which);
  if (!slots)
    return std::move(slots.error());
  return ask_monitors<status_query>(self, std::move(*slots));
}

// The history of one model: its running monitor answers; a passivated or
// quarantined model answers from its snapshot (a passivated monitor's final
// snapshot carries its history, a crashed one's none).
caf::result<model_history> history_of(self_ptr self, const std::string& model) {
  auto& st = self->state;
  auto slot = st.find(model);
  if (slot == core::slot_index::npos)
    return model_history{};
  // What is held for the model goes out first, so the answer shows it.
  flush(self);
  auto& entry = st.models[slot];
  if (entry.running())
    return self->delegate(entry.handle, atom::history::value);
  model_history result;
  result.model = entry.model;
  result.resolution_ns = st.setup->history_resolution_ns;
  result.capacity = st.setup->history_points;
  if (auto snap = deserialize(self, entry)) {
    result.kinds = std::move(snap->history);
    result.triggers = std::move(snap->marks);
  }
  return result;
}

// Answers `query`: the summary from the counts by state (or, for one
// model or line, from its entries), then the rows of the page asked for,
// which only those monitors are asked for.
caf::result<model_page> page_of(self_ptr self, const model_query& query) {
  auto& st = self->state;
  std::optional<shown_state> want;
  if (!query.state.empty()) {
    want = parse_shown_state(query.state);
    if (!want)
      return caf::make_error(ec::invalid_value,
                             "state '" + query.state
                               + "' is none of watching, job-active, "
                                 "standing-down, passivated, quarantined");
  }
  model_page page;
  page.offset = query.offset;
  page.limit = query.limit;
  page.flush_window_ns = st.batcher.window().count();
  auto matches = [&](const monitored_model& entry) {
    return entry.shown != shown_state::none && (!want || entry.shown == *want);
  };
  std::vector<uint32_t> slots;
  if (query.which.empty()) {
    page.models = st.model_count();
    for (std::size_t i = 1; i < shown_state_count; ++i)
      if (st.by_state[i] > 0)
        page.states[to_string(static_cast<shown_state>(i))] = st.by_state[i];
    page.total = want ? st.by_state[static_cast<std::size_t>(*want)]
                      : page.models;
    // Rows are the only reason to look at the entries.
    if (query.limit > 0 && query.offset < page.total)
      for (uint32_t slot = 0; slot < st.models.size(); ++slot)
        if (matches(st.models[slot]))
          slots.push_back(slot);
  } else {
    auto covered = slots_of(self, query.which);
    if (!covered)
      return std::move(covered.error());
    for (auto slot : *covered) {
      auto& entry = st.models[slot];
      ++page.models;
      ++page.states[to_string(entry.shown)];
      if (matches(entry))
        slots.push_back(slot);
    }
    page.total = slots.size();
  }
  if (query.limit == 0 || query.offset >= slots.size())
    return page;
  // Only the first offset + limit need an order.
  auto end = std::min<uint64_t>(slots.size(), query.offset + query.limit);
  auto by_model = [&](uint32_t x, uint32_t y) {
    return st.models[x].model < st.models[y].model;
  };
  std::partial_sort(slots.begin(), slots.begin() + end, slots.end(), by_model);
  std::vector<uint32_t> asked(slots.begin() + query.offset,
                              slots.begin() + end);
  auto rp = self->make_response_promise<model_page>();
  st.status.enqueue(std::move(asked), status_request{rp, std::move(page)});
  start_rounds<status_query>(self);
  return rp;
}

// -- crashes ------------------------------------------------------------------

// The monitor of `slot` stopped after its final snapshot: the model stays
// passivated, or starts again at once if events came meanwhile.
void on_passivated(self_ptr self, uint32_t slot) {
  auto& st = self->state;
  auto& entry = st.models[slot];
  entry.passivating = false;
  if (entry.news_while_stopping) {
    entry.news_while_stopping = false;
    auto line = std::string{core::model_line_of(entry.model)};
    set_line_busy(self, entry, st.busy_lines.count(line) > 0);
  }
  // A released model stays down: its shard's events go to its next owner.
  if (auto i = st.waking.find(slot); i != st.waking.end() && !entry.releasing) {
    auto runs = std::move(i->second);
    st.waking.erase(i);
    spawn_monitor(self, slot, true);
    for (auto& run : runs)
      send_run(self, slot, std::move(run));
  } else {
    entry.passivated = true;
    ++st.passivated;
    count_resting(self, entry, 1);
    recount(st, entry);
    log().debug("{}#{} {}: passivated after {} ms without events",
                supervisor_state::name, self->id(), entry.model,
                st.config.idle_timeout.count());
  }
  on_replaced<stats_query>(self, slot);
  on_replaced<status_query>(self, slot);
}

// Forgets the model of `slot`: its monitor (if any) stops, its snapshot
// and entry go, a round waiting for it no longer does. A later event
// starts it fresh.
template <class Query>
void unwait(self_ptr self, uint32_t slot) {
  if (Query::rounds(self->state).settle(slot))
    finish_round<Query>(self);
}

void forget(self_ptr self, uint32_t slot) {
  auto& st = self->state;
  auto& entry = st.models[slot];
  if (entry.handle) {
    st.by_actor.erase(core::hash_key(entry.handle.id()), slot);
    self->demonitor(entry.handle.address());
    self->send_exit(entry.handle, caf::exit_reason::user_shutdown);
    --st.running;
  }
  if (entry.passivated) {
    --st.passivated;
    count_resting(self, entry, -1);
  }
  if (entry.shown != shown_state::none)
    --st.by_state[static_cast<std::size_t>(entry.shown)];
  st.by_model.erase(core::hash_key(entry.model), slot);
  auto line = core::model_line_of(entry.model);
  auto head = st.first_of_line(line);
  if (head == slot) {
    st.by_line.erase(core::hash_key(line), slot);
    if (entry.next_in_line != core::slot_index::npos)
      st.by_line.insert(core::hash_key(line), entry.next_in_line);
  } else {
    for (auto i = head; i != core::slot_index::npos;
         i = st.models[i].next_in_line) {
      if (st.models[i].next_in_line == slot) {
        st.models[i].next_in_line = entry.next_in_line;
        break;
      }
    }
  }
  st.waking.erase(slot);
  log().debug("{}#{} {}: forgotten", supervisor_state::name, self->id(),
              entry.model);
  entry = monitored_model{};
  st.free_slots.push_back(slot);
  ++st.forgotten;
  unwait<stats_query>(self, slot);
  unwait<status_query>(self, slot);
}

// Forgets one model or every model of a line, on request.
caf::result<uint64_t> forget_now(self_ptr self, const std::string& which) {
  auto slots = slots_of(self, which);
  if (!slots)
    return std::move(slots.error());
  // Held events of a forgotten model must not reach a later one in its slot.
  flush(self);
  for (auto slot : *slots)
    forget(self, slot);
  log().info("{}#{} forgot {} models of {} on request", supervisor_state::name,
             self->id(), slots->size(), which);
  return static_cast<uint64_t>(slots->size());
}

// Stops the monitors without events for `idle-timeout`; each sends its
// final snapshot before it goes down (`on_passivated`). Forgets the models
// without events for `expire-after`. One timer per node, over every model,
// as the snapshot sweep.
void scan_idle(self_ptr self) {
  auto& st = self->state;
  st.idle_scan_scheduled = false;
  // What is held goes out first, so a passivated monitor misses nothing.
  flush(self);
  auto now = self->clock().now();
  uint64_t stopped = 0;
  uint64_t forgotten = 0;
  auto expire = st.config.expire_after;
  for (uint32_t slot = 0; slot < st.models.size(); ++slot) {
    auto& entry = st.models[slot];
    if (entry.model.empty() || entry.passivating)
      continue;
    auto idle = now - entry.last_event;
    if (expire.count() > 0 && idle >= expire) {
      forget(self, slot);
      ++forgotten;
      continue;
    }
    if (!entry.running() || st.config.idle_timeout.count() <= 0
        || idle < st.config.idle_timeout)
      continue;
    entry.passivating = true;
    recount(st, entry);
    self->send_exit(entry.handle, caf::exit_reason::user_shutdown);
    ++stopped;
  }
  if (stopped > 0)
    log().info("{}#{} passivating {} idle monitors", supervisor_state::name,
               self->id(), stopped);
  if (forgotten > 0)
    log().info("{}#{} forgot {} models without events for {} ms ({} in all)",
               supervisor_state::name, self->id(), forgotten, expire.count(),
               st.forgotten);
  schedule_idle_scan(self);
}

// Starts the idle scan's timer unless it runs or has nothing to do:
// passivation is off or no monitor runs, and expiry is off or no model is
// known.
void schedule_idle_scan(self_ptr self) {
  auto& st = self->state;
  using std::chrono::milliseconds;
  // Scanning every model costs a few ms per million: not more often than
  // snapshots, and a model idles at most a quarter longer than asked.
  auto period_of = [&](milliseconds x) {
    return std::max(st.config.snapshot_interval, milliseconds{x / 4});
  };
  std::optional<milliseconds> period;
  if (st.config.idle_timeout.count() > 0 && st.running > 0)
    period = period_of(st.config.idle_timeout);
  if (st.config.expire_after.count() > 0 && st.model_count() > 0) {
    auto x = period_of(st.config.expire_after);
    period = period ? std::min(*period, x) : x;
  }
  if (st.idle_scan_scheduled || !period)
    return;
  st.idle_scan_scheduled = true;
  self->delayed_send(self, *period, atom::passivate::value);
}

void on_released(self_ptr self, uint32_t slot);

void on_monitor_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto slot = st.find(msg.source);
  if (slot == core::slot_index::npos)
    return;
  st.by_actor.erase(core::hash_key(msg.source.id()), slot);
  auto& entry = st.models[slot];
  entry.handle = nullptr;
  --st.running;
  if (entry.passivating) {
    on_passivated(self, slot);
    if (entry.releasing)
      on_released(self, slot);
    return;
  }
  // Everything sent after the last snapshot is gone with the monitor.
  auto& trouble = entry.troubles(st.config);
  auto kept = entry.snapshot_events;
  auto lost = entry.sent > kept ? entry.sent - kept : 0;
  trouble.lost += lost;
  // Nothing here stops monitors; one that was stopped anyway is restarted
  // like one that crashed, but does not count towards quarantine.
  bool crashed = msg.reason != caf::exit_reason::user_shutdown
                 && msg.reason != caf::exit_reason::normal;
  if (crashed
      && trouble.policy.crashed(self->clock().now())
           == core::restart_policy::verdict::quarantine) {
    entry.quarantined = true;
    recount(st, entry);
    log().error("{}#{} {}: quarantined after {} crashes within {} ms "
                "(last: {}); its events are refused",
                supervisor_state::name, self->id(), entry.model,
                trouble.policy.recent_crashes(),
                st.config.restart_window.count(), to_string(msg.reason));
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
  on_replaced<stats_query>(self, slot);
  on_replaced<status_query>(self, slot);
}

// -- routing ------------------------------------------------------------------

// Sends the events held for the model of `slot` to its monitor.
void send_run(self_ptr self, uint32_t slot, metric_run&& run) {
  auto& st = self->state;
  auto& entry = st.models[slot];
  auto n = run.events.size();
  if (entry.passivating) {
    st.waking[slot].push_back(std::move(run));
    return;
  }
  if (entry.passivated)
    wake(self, slot);
  if (entry.handle) {
    entry.sent += n;
    // A run that asks for a snapshot gets one that covers it.
    auto snapshot = run.snapshot;
    self->send(entry.handle, std::move(run));
    if (!snapshot)
      mark_changed(self, slot);
  } else {
    // Quarantined while its events waited.
    entry.troubles(st.config).lost += n;
  }
}

// Sends every held run.
void flush(self_ptr self) {
  auto& st = self->state;
  if (st.batcher.empty())
    return;
  // Input waiting behind this flush (batches, most of all), or monitors
  // still applying the last flush, is what tells a node that is behind
  // from a late timer on a machine busy elsewhere.
  auto now = self->clock().now();
  auto& probe = st.drain_probe;
  auto drain = probe.pending ? now - probe.sent : probe.drain;
  auto drained = probe.pending ? probe.sent_events : probe.drain_events;
  auto last = core::slot_index::npos;
  auto events = st.batcher.flush(
    now,
    [self, &last](uint32_t slot, metric_run&& run) {
      last = slot;
      send_run(self, slot, std::move(run));
    },
    !self->mailbox().empty(), drain, drained);
  // Pings the monitor that got the last run: it answers behind every run
  // of this flush (a scheduler runs actors in the order they got work).
  if (probe.pending || last == core::slot_index::npos)
    return;
  auto& handle = st.models[last].handle;
  if (!handle || st.models[last].passivating)
    return;
  probe.pending = true;
  probe.sent = now;
  probe.sent_events = events;
  self->request(handle, caf::infinite, atom::ping::value)
    .then(
      [self](atom::ping) {
        auto& probe = self->state.drain_probe;
        probe.pending = false;
        probe.drain = self->clock().now() - probe.sent;
        probe.drain_events = probe.sent_events;
      },
      [self](caf::error&) {
        // The monitor went down meanwhile: measure the next flush.
        self->state.drain_probe.pending = false;
      });
}

// Does what the batcher says after a batch or its timer at `now`.
void follow(self_ptr self, run_batcher::action what,
            caf::actor_clock::time_point now) {
  switch (what) {
    case run_batcher::action::flush:
      flush(self);
      break;
    case run_batcher::action::start_timer:
      self->delayed_send(self, self->state.batcher.timer_delay(now),
                         atom::tick::value);
      break;
    case run_batcher::action::none:
      break;
  }
}

// Why an event of `model` is refused with `code`.
std::string refusal(self_ptr self, const std::string& model, ec code) {
  switch (code) {
    case ec::quarantined:
      return "model " + model
             + " is quarantined after repeated monitor crashes";
    case ec::too_many_models:
      return "model " + model + " is new and this node watches "
             + std::to_string(self->state.config.max_models)
             + " models already (retrain.monitor.max-models)";
    default:
      return "model " + model + " is not a valid model id";
  }
}

// Hands the events of `batch` to the batcher, which holds them per model:
// each event costs one lookup of its model id, as the entry remembers its
// run. With `rejects`, every refused event is recorded with its position.
ingest_ack route(self_ptr self, metric_batch& batch,
                 std::vector<event_reject>* rejects = nullptr) {
  auto& st = self->state;
  ingest_ack ack;
  auto now = self->clock().now();
  auto send = [self](uint32_t slot, metric_run&& run) {
    send_run(self, slot, std::move(run));
  };
  for (size_t i = 0; i < batch.events.size(); ++i) {
    auto& ev = batch.events[i];
    auto slot = find_or_spawn(self, ev.model);
    auto entry = slot < over_cap ? &st.models[slot] : nullptr;
    if (!entry || entry->quarantined) {
      auto code = entry              ? ec::quarantined
                  : slot == over_cap ? ec::too_many_models
                                     : ec::invalid_model_id;
      auto reason = refusal(self, ev.model, code);
      if (ack.rejected++ == 0)
        ack.first_error = reason;
      if (rejects)
        rejects->push_back(
          event_reject{i, caf::make_error(code, std::move(reason))});
      if (entry) {
        ++entry->troubles(st.config).refused;
        ++st.refused_quarantined;
      } else if (code == ec::too_many_models) {
        ++st.refused_too_many;
      } else {
        ++st.refused_invalid_id;
      }
      continue;
    }
    entry->last_event = now;
    ++ack.accepted;
    if (auto kind = static_cast<std::size_t>(ev.kind); kind < metric_kind_count)
      ++st.accepted[kind];
    st.batcher.add(slot, entry->run,
                   run_event{ev.kind, ev.value, ev.observed_at_ns}, send);
  }
  follow(self, st.batcher.after_batch(now), now);
  return ack;
}

// -- the ownership lease ------------------------------------------------------

// Applies `x` only before its deadline: the router stamped it with the end
// of the node's lease, and a batch that waited here longer (the process was
// stopped, or the mailbox was long) goes back untouched, since the
// coordinator may have given its shards to another node meanwhile.
lease_report apply_leased(self_ptr self, lease_batch& x) {
  lease_report result;
  auto now = self->clock().now().time_since_epoch();
  auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now);
  if (now_ns.count() >= x.deadline_ns) {
    result.expired = true;
    result.returned = std::move(x.batch);
    return result;
  }
  result.applied_ns = now_ns.count();
  result.report.ack = route(self, x.batch, &result.report.rejects);
  return result;
}

// -- policies -----------------------------------------------------------------

// Runs the policies of `set` from now on: every running monitor whose
// line's policy changed switches at once; passivated and restarted ones
// start under the new one.
void apply_policies(self_ptr self, policy_set& set) {
  auto& st = self->state;
  if (set.epoch == st.policy_epoch)
    return;
  core::policy_book next;
  for (auto& x : set.policies) {
    auto pattern = core::parse_policy_pattern(x.pattern);
    auto value = core::parse_policy(x.text);
    if (!pattern || !value) {
      // The coordinator checked it; only another build's text gets here.
      log().error("{}#{} policy {} v{} does not read here, ignored: {}",
                  supervisor_state::name, self->id(), x.pattern, x.version,
                  pattern ? value.error().message : pattern.error().message);
      continue;
    }
    next.put(
      core::stored_policy{std::move(*pattern), x.version, std::move(*value)});
  }
  auto before = std::move(st.book);
  st.book = std::move(next);
  st.setups.clear();
  st.policy_epoch = set.epoch;
  // Per line: what it ran before and what it runs now, resolved once.
  std::unordered_map<std::string, std::optional<monitor_policy>> changed;
  uint64_t switched = 0;
  for (uint32_t slot = 0; slot < st.models.size(); ++slot) {
    auto& entry = st.models[slot];
    if (entry.model.empty() || !entry.running())
      continue;
    auto line = std::string{core::model_line_of(entry.model)};
    auto i = changed.find(line);
    if (i == changed.end()) {
      auto old
        = monitor_setup::describe(core::resolve(st.base, before.winner(line)));
      auto now
        = monitor_setup::describe(core::resolve(st.base, st.book.winner(line)));
      auto same = old.pattern == now.pattern && old.version == now.version
                  && old.kinds == now.kinds && old.specs == now.specs
                  && old.cooldown_ms == now.cooldown_ms;
      i = changed
            .emplace(line,
                     same ? std::nullopt : std::optional<monitor_policy>{now})
            .first;
    }
    if (i->second) {
      self->send(entry.handle, *i->second);
      mark_changed(self, slot);
      ++switched;
    }
  }
  log().info("{}#{} policies of epoch {} in force ({} policies): {} "
             "monitors switched",
             supervisor_state::name, self->id(), set.epoch,
             st.book.entries().size(), switched);
}

// Which policy applies to `which` (a model id or a line) and why.
caf::result<core::policy_explanation> explain_policy(self_ptr self,
                                                     const std::string& which) {
  auto& st = self->state;
  std::string line;
  if (core::parse_model_id(which)) {
    line = std::string{core::model_line_of(which)};
  } else if (auto parsed = core::parse_model_line(which)) {
    line = *parsed;
  } else {
    return caf::make_error(ec::invalid_model_line,
                           core::quoted(which, core::echo_limit)
                             + " is neither a model id nor a model line");
  }
  return st.book.explain(st.base, line);
}

// -- shards -------------------------------------------------------------------

// The snapshots kept since the router last asked, history left out (the
// final snapshot of a passivated monitor carries it).
std::vector<monitor_snapshot> take_unshipped(self_ptr self) {
  auto& st = self->state;
  std::vector<monitor_snapshot> result;
  for (auto slot : st.unshipped) {
    auto& entry = st.models[slot];
    if (!entry.unshipped)
      continue;
    entry.unshipped = false;
    if (entry.model.empty() || entry.releasing)
      continue;
    if (auto snap = deserialize(self, entry)) {
      snap->history.clear();
      result.push_back(std::move(*snap));
    }
  }
  st.unshipped.clear();
  return result;
}

// Keeps `snaps` like passivated models: the next event of each starts its
// monitor from its snapshot (`wake`). A model this node holds with fewer
// events is stale (another node owned it meanwhile) and goes first.
uint64_t restore(self_ptr self, std::vector<monitor_snapshot>& snaps) {
  auto& st = self->state;
  // Held events of a replaced model must not reach its restored monitor.
  flush(self);
  auto now = self->clock().now();
  uint64_t kept = 0;
  for (auto& snap : snaps) {
    if (core::check_model_id(snap.model))
      continue;
    if (auto old = st.find(snap.model); old != core::slot_index::npos) {
      // What this node holds is as far as the stored state, or further
      // (its shard came back to it after no one else applied events).
      if (st.models[old].releasing || st.models[old].sent >= snap.events)
        continue;
      forget(self, old);
      --st.forgotten; // replaced, not forgotten
    }
    if (st.model_count() >= st.config.max_models) {
      log().error("{}#{} {}: not restored, this node watches {} models "
                  "already (retrain.monitor.max-models)",
                  supervisor_state::name, self->id(), snap.model,
                  st.config.max_models);
      continue;
    }
    auto model = snap.model;
    auto slot = add_entry(self, model);
    auto& entry = st.models[slot];
    snap.model.clear(); // the entry has it
    entry.snapshot_events = snap.events;
    entry.sent = snap.events;
    entry.snapshot = serialize(self, snap);
    entry.last_event = now;
    entry.passivated = true;
    ++st.passivated;
    count_resting(self, entry, 1);
    recount(st, entry);
    ++kept;
  }
  schedule_idle_scan(self);
  if (kept > 0)
    log().info("{}#{} restored {} models from their stored snapshots",
               supervisor_state::name, self->id(), kept);
  return kept;
}

// Answers a release round whose monitors are all down: their final
// snapshots, and the models forgotten.
void finish_release(self_ptr self, std::size_t index) {
  auto& st = self->state;
  auto round = std::move(st.releases[index]);
  st.releases.erase(st.releases.begin() + static_cast<std::ptrdiff_t>(index));
  std::vector<monitor_snapshot> result;
  for (auto slot : round.slots) {
    auto& entry = st.models[slot];
    if (entry.model.empty() || !entry.releasing)
      continue;
    if (auto snap = deserialize(self, entry))
      result.push_back(std::move(*snap));
    forget(self, slot);
    --st.forgotten; // handed over, not forgotten
  }
  if (!result.empty())
    log().info("{}#{} released {} models", supervisor_state::name, self->id(),
               result.size());
  round.rp.deliver(std::move(result));
}

// The monitor of `slot`, which was releasing, is down after its final
// snapshot.
void on_released(self_ptr self, uint32_t slot) {
  auto& st = self->state;
  for (std::size_t i = 0; i < st.releases.size(); ++i) {
    auto& round = st.releases[i];
    if (std::find(round.slots.begin(), round.slots.end(), slot)
        == round.slots.end())
      continue;
    if (round.open > 0 && --round.open == 0)
      finish_release(self, i);
    return;
  }
}

// Stops the monitors of the models of `shards` (of `count`) after every
// event routed so far; answers with their final snapshots.
caf::result<std::vector<monitor_snapshot>>
release(self_ptr self, const std::vector<uint32_t>& shards, uint32_t count) {
  auto& st = self->state;
  // Every event routed so far reaches its monitor before it stops.
  flush(self);
  std::vector<bool> wanted(std::max<uint32_t>(count, 1), false);
  for (auto s : shards)
    if (s < wanted.size())
      wanted[s] = true;
  supervisor_state::release_round round;
  for (uint32_t slot = 0; slot < st.models.size(); ++slot) {
    auto& entry = st.models[slot];
    if (entry.model.empty() || entry.releasing
        || !wanted[core::shard_of_model(entry.model, count)])
      continue;
    entry.releasing = true;
    round.slots.push_back(slot);
    if (entry.passivating) {
      ++round.open;
    } else if (entry.handle) {
      // Like passivation: the monitor sends its final snapshot, history
      // included, and goes down.
      entry.passivating = true;
      recount(st, entry);
      self->send_exit(entry.handle, caf::exit_reason::user_shutdown);
      ++round.open;
    }
  }
  round.rp = self->make_response_promise<std::vector<monitor_snapshot>>();
  auto rp = round.rp;
  st.releases.push_back(std::move(round));
  if (st.releases.back().open == 0)
    finish_release(self, st.releases.size() - 1);
  return rp;
}

} // namespace

supervisor_self_actor::behavior_type
supervisor(supervisor_self_actor::stateful_pointer<supervisor_state> self,
           monitor_config config, coordinator_link_actor link) {
  auto& st = self->state;
  st.setup = monitor_setup::make(config);
  st.base = config.policy_base();
  st.base.job_known = false;
  st.batcher = run_batcher{config.flush_interval, config.max_flush_delay};
  st.config = std::move(config);
  st.link = std::move(link);
  // The link relays what the coordinator says of each line, and resyncs
  // after every reconnect.
  if (st.link)
    self->send(st.link, atom::subscribe::value,
               caf::actor_cast<line_news_actor>(self));
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_monitor_down(self, msg); });
  return {
    [=](metric_batch& batch) -> ingest_ack { return route(self, batch); },
    [=](atom::explain, metric_batch& batch) -> batch_report {
      batch_report result;
      result.ack = route(self, batch, &result.rejects);
      return result;
    },
    [=](lease_batch& x) -> lease_report { return apply_leased(self, x); },
    [=](atom::tick) {
      auto now = self->clock().now();
      follow(self, self->state.batcher.timer_fired(now), now);
    },
    [=](atom::sweep) { sweep(self); },
    [=](atom::passivate) { scan_idle(self); },
    [=](atom::forget, std::string& which) -> caf::result<uint64_t> {
      return forget_now(self, which);
    },
    [=](retrain_trigger& trigger) {
      // The link holds it while the coordinator is unreachable.
      self->send(self->state.link, std::move(trigger));
    },
    [=](line_state& x) { apply_line_state(self, x); },
    [=](monitor_snapshot& snap) { keep_snapshot(self, snap); },
    [=](atom::status) -> caf::result<std::vector<model_status>> {
      return ask_monitors<status_query>(self);
    },
    [=](atom::status,
        std::string& which) -> caf::result<std::vector<model_status>> {
      return status_of(self, which);
    },
    [=](model_status& ms) { on_answer<status_query>(self, ms); },
    [=](atom::stats) -> caf::result<monitor_stats> {
      return ask_monitors<stats_query>(self);
    },
    [=](atom::status, model_query& query) -> caf::result<model_page> {
      return page_of(self, query);
    },
    [=](monitor_stats& ms) { on_answer<stats_query>(self, ms); },
    [=](atom::history, std::string& model) -> caf::result<model_history> {
      return history_of(self, model);
    },
    [=](policy_set& set) { apply_policies(self, set); },
    [=](atom::persist) { return take_unshipped(self); },
    [=](atom::restore, std::vector<monitor_snapshot>& snaps) {
      return restore(self, snaps);
    },
    [=](atom::release, const std::vector<uint32_t>& shards,
        uint32_t count) -> caf::result<std::vector<monitor_snapshot>> {
      return release(self, shards, count);
    },
    [=](atom::explain,
        std::string& which) -> caf::result<core::policy_explanation> {
      return explain_policy(self, which);
    },
  };
}

} // namespace retrain
