#include "retrain/ingest.hpp"

#include <caf/send.hpp>

#include "retrain/core/model_id.hpp"
#include "retrain/core/slot_index.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"

namespace retrain {

namespace {

int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace

std::optional<std::string> ingest_state::check(metric_event& ev) {
  // Ids are checked once: the set keeps only their hashes (16 bytes per
  // model). A collision would let a malformed id through to the
  // supervisor, which checks every new id again and refuses it.
  auto hash = core::hash_key(ev.model);
  if (!checked_ids.contains(hash)) {
    if (auto err = core::check_model_id(ev.model))
      return err;
    checked_ids.insert(hash);
  }
  if (auto err = check_value(ev.kind, ev.value))
    return err;
  auto i = static_cast<std::size_t>(ev.kind);
  if (binary[i] && ev.value != 0.0 && ev.value != 1.0)
    return to_string(ev.kind) + " is watched by a per-prediction strategy: "
           + "value must be 0 or 1 (1 = correct)";
  if (ev.observed_at_ns == 0)
    ev.observed_at_ns = unix_now_ns();
  return std::nullopt;
}

namespace {

using self_ptr = monitor_node_actor::stateful_pointer<ingest_state>;

// Checks every event of `batch`, keeping the valid ones (moved forward in
// place) and recording each refusal in `rejects` when given.
ingest_ack check_batch(self_ptr self, metric_batch& batch,
                       std::vector<event_reject>* rejects) {
  auto& st = self->state;
  ingest_ack ack;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    auto& ev = batch.events[i];
    if (auto err = st.check(ev)) {
      if (ack.rejected++ == 0)
        ack.first_error = "event " + std::to_string(i) + ": " + *err;
      if (rejects)
        rejects->push_back(event_reject{i, std::move(*err)});
      continue;
    }
    if (kept != i)
      batch.events[kept] = std::move(ev);
    ++kept;
  }
  auto total = batch.events.size();
  batch.events.resize(kept);
  st.rejected += ack.rejected;
  if (ack.rejected > 0)
    log().warn("{}#{} rejected {} of {} events; first: {}", ingest_state::name,
               self->id(), ack.rejected, total, ack.first_error);
  return ack;
}

// Hands the valid events to the supervisor and answers with `make(ack)` once
// it has acknowledged them.
template <class Result, class Make>
caf::result<Result>
route(self_ptr self, ingest_ack ack, metric_batch valid, Make make) {
  if (valid.events.empty())
    return make(std::move(ack));
  auto rp = self->make_response_promise<Result>();
  self->request(self->state.supervisor, self->state.timeout, std::move(valid))
    .then(
      [=](ingest_ack& routed) mutable {
        auto& st = self->state;
        st.accepted += routed.accepted;
        st.rejected += routed.rejected;
        if (ack.rejected == 0)
          ack.first_error = std::move(routed.first_error);
        ack.accepted = routed.accepted;
        ack.rejected += routed.rejected;
        rp.deliver(make(std::move(ack)));
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

} // namespace

monitor_node_actor::behavior_type
ingest(monitor_node_actor::stateful_pointer<ingest_state> self,
       supervisor_actor supervisor, const monitor_config& config,
       std::chrono::milliseconds timeout) {
  auto& st = self->state;
  st.supervisor = std::move(supervisor);
  st.timeout = timeout;
  for (std::size_t i = 0; i < metric_kind_count; ++i) {
    if (!config.kinds[i])
      continue;
    if (auto info = core::find_strategy(config.kinds[i]->strategy))
      st.binary[i] = info->binary;
  }
  return {
    [=](metric_event& ev) {
      auto& st = self->state;
      if (auto err = st.check(ev)) {
        ++st.rejected;
        log().warn("{}#{} rejected event: {}", ingest_state::name, self->id(),
                   *err);
        return;
      }
      ++st.accepted;
      metric_batch batch;
      batch.events.push_back(std::move(ev));
      // Fire-and-forget: the supervisor counts what it refuses.
      caf::anon_send(st.supervisor, std::move(batch));
    },
    [=](metric_batch& batch) -> caf::result<ingest_ack> {
      auto ack = check_batch(self, batch, nullptr);
      return route<ingest_ack>(self, std::move(ack), std::move(batch),
                               [](ingest_ack x) { return x; });
    },
    [=](atom::explain, metric_batch& batch) -> caf::result<batch_report> {
      auto rejects = std::make_shared<std::vector<event_reject>>();
      auto ack = check_batch(self, batch, rejects.get());
      return route<batch_report>(
        self, std::move(ack), std::move(batch), [rejects](ingest_ack x) {
          return batch_report{std::move(x), std::move(*rejects)};
        });
    },
    [=](atom::status) -> caf::result<std::vector<model_status>> {
      return self->delegate(self->state.supervisor, atom::status::value);
    },
    [=](atom::stats) -> caf::result<monitor_stats> {
      return self->delegate(self->state.supervisor, atom::stats::value);
    },
  };
}

} // namespace retrain
