#include "retrain/ingest.hpp"

#include <algorithm>
#include <cstring>

#include <caf/send.hpp>

#include "retrain/config_error.hpp"
#include "retrain/core/model_id.hpp"
#include "retrain/core/quoted.hpp"
#include "retrain/core/slot_index.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"
#include "retrain/unix_time.hpp"

namespace retrain {

caf::error ingest_state::check(metric_event& ev) {
  // Ids are checked once: the set keeps only their hashes (16 bytes per
  // model). A collision would let a malformed id through to the
  // supervisor, which checks every new id again and refuses it.
  auto hash = core::hash_key(ev.model);
  if (!checked_ids.contains(hash)) {
    if (auto err = core::check_model_id(ev.model))
      return to_error(std::move(err));
    checked_ids.insert(hash);
  }
  if (auto err = check_value(ev.kind, ev.value))
    return to_error(std::move(err));
  auto i = static_cast<std::size_t>(ev.kind);
  if (binary[i])
    if (auto err = check_outcome(ev.kind, ev.value))
      return to_error(std::move(err));
  if (ev.observed_at_ns == 0)
    ev.observed_at_ns = unix_now_ns();
  return caf::none;
}

void ingest_state::count_refused(const caf::error& reason, uint64_t n) {
  auto name = reason.category() == caf::atom("retrain")
                ? to_string(static_cast<ec>(reason.code()))
                : std::string{"other"};
  refused[name] += n;
}

namespace {

using self_ptr = ingest_self_actor::stateful_pointer<ingest_state>;

// Checks every event of `batch`, keeping the valid ones (moved forward in
// place). With `rejects`, records each refusal there and the original
// position of each kept event in `kept_at`.
ingest_ack check_batch(self_ptr self, metric_batch& batch,
                       std::vector<event_reject>* rejects = nullptr,
                       std::vector<uint64_t>* kept_at = nullptr) {
  auto& st = self->state;
  ingest_ack ack;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    auto& ev = batch.events[i];
    if (auto err = st.check(ev)) {
      st.count_refused(err);
      if (ack.rejected++ == 0)
        ack.first_error = "event " + std::to_string(i) + ": " + error_text(err);
      if (rejects)
        rejects->push_back(event_reject{i, std::move(err)});
      continue;
    }
    if (kept_at)
      kept_at->push_back(i);
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

// Adds what the supervisor made of the valid events to what ingest made of
// the batch.
void merge(ingest_state& st, ingest_ack& ack, ingest_ack& routed) {
  st.accepted += routed.accepted;
  st.rejected += routed.rejected;
  if (ack.rejected == 0)
    ack.first_error = std::move(routed.first_error);
  ack.accepted = routed.accepted;
  ack.rejected += routed.rejected;
}

// Hands the valid events to the supervisor and answers once it has
// acknowledged them.
caf::result<ingest_ack> route(self_ptr self, ingest_ack ack,
                              metric_batch valid) {
  if (valid.events.empty())
    return ack;
  auto rp = self->make_response_promise<ingest_ack>();
  self->request(self->state.supervisor, self->state.timeout, std::move(valid))
    .then(
      [=](ingest_ack& routed) mutable {
        merge(self->state, ack, routed);
        rp.deliver(std::move(ack));
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// Same, naming every refused event by its position in the original batch,
// whether ingest or the supervisor refused it; calls `done` with the report
// or the error once the supervisor answered (at once if nothing is valid),
// waiting at most `timeout`.
template <class Timeout, class Done>
void explain_batch(self_ptr self, metric_batch& batch, Timeout timeout,
                   Done done) {
  batch_report report;
  std::vector<uint64_t> kept_at;
  report.ack = check_batch(self, batch, &report.rejects, &kept_at);
  if (batch.events.empty()) {
    done(caf::expected<batch_report>{std::move(report)});
    return;
  }
  self->request(self->state.supervisor, timeout, atom::explain::value,
                std::move(batch))
    .then(
      [=](batch_report& routed) mutable {
        merge(self->state, report.ack, routed.ack);
        for (auto& r : routed.rejects)
          report.rejects.push_back(
            event_reject{kept_at.at(r.index), std::move(r.reason)});
        std::sort(report.rejects.begin(), report.rejects.end(),
                  [](auto& x, auto& y) { return x.index < y.index; });
        done(caf::expected<batch_report>{std::move(report)});
      },
      [=](caf::error& err) mutable {
        done(caf::expected<batch_report>{std::move(err)});
      });
}

void deliver(caf::typed_response_promise<batch_report>& rp,
             const caf::expected<batch_report>& x) {
  if (x)
    rp.deliver(*x);
  else
    rp.deliver(x.error());
}

caf::result<batch_report> explain(self_ptr self, metric_batch& batch) {
  auto rp = self->make_response_promise<batch_report>();
  explain_batch(self, batch, self->state.timeout,
                [rp](caf::expected<batch_report> x) mutable { deliver(rp, x); });
  return rp;
}

// What identifies a batch under its idempotency key: a hash of its events
// as sent.
uint64_t fingerprint(const metric_batch& batch) {
  uint64_t h = core::hash_key(batch.events.size());
  auto mix = [&h](uint64_t x) { h = core::hash_key(h ^ x); };
  for (auto& ev : batch.events) {
    mix(core::hash_key(ev.model));
    mix(static_cast<uint64_t>(ev.kind));
    uint64_t bits;
    static_assert(sizeof(bits) == sizeof(ev.value));
    std::memcpy(&bits, &ev.value, sizeof(bits));
    mix(bits);
    mix(static_cast<uint64_t>(ev.observed_at_ns));
  }
  return h;
}

// Applies `batch` once per `key`: a key seen before answers with what its
// first batch got, once that has an answer.
caf::result<batch_report> explain_once(self_ptr self, metric_batch& batch,
                                       const std::string& key) {
  auto& st = self->state;
  if (!core::valid_idempotency_key(key))
    return caf::make_error(ec::invalid_value,
                           "an idempotency key is 1 to "
                             + std::to_string(core::max_idempotency_key)
                             + " visible ASCII characters");
  st.keys.expire(self->clock().now());
  auto found = st.keys.begin(key, fingerprint(batch));
  using seen = decltype(found.state);
  switch (found.state) {
    case seen::done:
      log().debug("{}#{} batch of key {} answered again, not applied",
                  ingest_state::name, self->id(), key);
      if (*found.result)
        return **found.result;
      return found.result->error();
    case seen::mismatch:
      return caf::make_error(ec::idempotency_conflict,
                             "idempotency key " + core::quoted(key)
                               + " came with another batch before");
    case seen::pending: {
      auto rp = self->make_response_promise<batch_report>();
      st.waiting[key].push_back(rp);
      return rp;
    }
    case seen::fresh:
      break;
  }
  auto rp = self->make_response_promise<batch_report>();
  st.waiting[key].push_back(rp);
  // No timeout of its own: a repeat must learn what became of the batch,
  // so the key stays pending until the supervisor (or the shard router,
  // which bounds its own waits) answers; the sender's wait is its own.
  explain_batch(self, batch, caf::infinite, [self, key](caf::expected<batch_report> x) {
    auto& st = self->state;
    // A draining node took nothing: the key may run again. Any other
    // answer, an error included (the batch may still be applied), is what
    // a repeat gets: never a second application.
    if (!x && x.error() == ec::draining)
      st.keys.forget(key);
    else
      st.keys.finish(key, x, self->clock().now());
    auto i = st.waiting.find(key);
    if (i == st.waiting.end())
      return;
    auto promises = std::move(i->second);
    st.waiting.erase(i);
    for (auto& p : promises)
      deliver(p, x);
  });
  return rp;
}

} // namespace

ingest_self_actor::behavior_type
ingest(ingest_self_actor::stateful_pointer<ingest_state> self,
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
  auto draining = [=] {
    return caf::make_error(ec::draining,
                           "the node is shutting down (draining): send to "
                           "another monitor node, or again once it is back");
  };
  return {
    [=](metric_event& ev) {
      auto& st = self->state;
      if (st.draining) {
        ++st.rejected;
        st.count_refused(caf::make_error(ec::draining));
        log().warn("{}#{} event of {} refused: the node is draining",
                   ingest_state::name, self->id(), ev.model);
        return;
      }
      if (auto err = st.check(ev)) {
        ++st.rejected;
        st.count_refused(err);
        log().warn("{}#{} rejected event: {}", ingest_state::name, self->id(),
                   error_text(err));
        return;
      }
      ++st.accepted;
      metric_batch batch;
      batch.events.push_back(std::move(ev));
      // Fire-and-forget: the supervisor counts what it refuses.
      caf::anon_send(st.supervisor, std::move(batch));
    },
    [=](metric_batch& batch) -> caf::result<ingest_ack> {
      if (self->state.draining) {
        self->state.count_refused(draining(), batch.events.size());
        return draining();
      }
      auto ack = check_batch(self, batch);
      return route(self, std::move(ack), std::move(batch));
    },
    [=](atom::explain, metric_batch& batch) -> caf::result<batch_report> {
      if (self->state.draining) {
        self->state.count_refused(draining(), batch.events.size());
        return draining();
      }
      return explain(self, batch);
    },
    [=](atom::explain, metric_batch& batch,
        std::string& key) -> caf::result<batch_report> {
      if (self->state.draining) {
        self->state.count_refused(draining(), batch.events.size());
        return draining();
      }
      return explain_once(self, batch, key);
    },
    [=](atom::drain) -> uint64_t {
      auto& st = self->state;
      if (!st.draining)
        log().info("{}#{} draining: new events are refused ({} accepted "
                   "so far)",
                   ingest_state::name, self->id(), st.accepted);
      st.draining = true;
      return st.accepted;
    },
    [=](atom::status) -> caf::result<std::vector<model_status>> {
      return self->delegate(self->state.supervisor, atom::status::value);
    },
    [=](atom::status,
        std::string& which) -> caf::result<std::vector<model_status>> {
      return self->delegate(self->state.supervisor, atom::status::value,
                            std::move(which));
    },
    [=](atom::forget, std::string& which) -> caf::result<uint64_t> {
      return self->delegate(self->state.supervisor, atom::forget::value,
                            std::move(which));
    },
    [=](atom::history, std::string& model) -> caf::result<model_history> {
      return self->delegate(self->state.supervisor, atom::history::value,
                            std::move(model));
    },
    [=](atom::status, model_query& query) -> caf::result<model_page> {
      return self->delegate(self->state.supervisor, atom::status::value,
                            std::move(query));
    },
    [=](atom::explain,
        std::string& which) -> caf::result<core::policy_explanation> {
      return self->delegate(self->state.supervisor, atom::explain::value,
                            std::move(which));
    },
    [=](atom::stats) -> caf::result<monitor_stats> {
      // The supervisor's totals plus what ingest refused itself.
      auto rp = self->make_response_promise<monitor_stats>();
      self
        ->request(self->state.supervisor, self->state.timeout,
                  atom::stats::value)
        .then(
          [=](monitor_stats& ms) mutable {
            for (auto& [reason, n] : self->state.refused)
              ms.rejected[reason] += n;
            rp.deliver(std::move(ms));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
  };
}

} // namespace retrain
