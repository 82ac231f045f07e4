#include "retrain/ingest.hpp"

#include <caf/send.hpp>

#include "retrain/core/model_id.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"

namespace retrain {

namespace {

// Bound on the cache of validated ids; past it ids are parsed every time.
constexpr size_t max_known_models = 1'000'000;

int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace

std::optional<std::string> ingest_state::check(metric_event& ev) {
  if (known_models.count(ev.model) == 0) {
    auto id = core::parse_model_id(ev.model);
    if (!id)
      return id.error().message;
    if (known_models.size() < max_known_models)
      known_models.insert(ev.model);
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
      auto& st = self->state;
      ingest_ack ack;
      // Valid events move forward in place; only a batch with refused events
      // is compacted.
      std::size_t kept = 0;
      for (std::size_t i = 0; i < batch.events.size(); ++i) {
        auto& ev = batch.events[i];
        if (auto err = st.check(ev)) {
          if (ack.rejected++ == 0)
            ack.first_error = "event " + std::to_string(i) + ": " + *err;
          continue;
        }
        if (kept != i)
          batch.events[kept] = std::move(ev);
        ++kept;
      }
      auto total = batch.events.size();
      batch.events.resize(kept);
      metric_batch valid{std::move(batch.events)};
      st.rejected += ack.rejected;
      if (ack.rejected > 0)
        log().warn("{}#{} rejected {} of {} events; first: {}",
                   ingest_state::name, self->id(), ack.rejected, total,
                   ack.first_error);
      if (valid.events.empty())
        return ack;
      auto rp = self->make_response_promise<ingest_ack>();
      self->request(st.supervisor, st.timeout, std::move(valid))
        .then(
          [=](ingest_ack& routed) mutable {
            auto& st = self->state;
            st.accepted += routed.accepted;
            st.rejected += routed.rejected;
            if (ack.rejected == 0)
              ack.first_error = std::move(routed.first_error);
            ack.accepted = routed.accepted;
            ack.rejected += routed.rejected;
            rp.deliver(std::move(ack));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
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
