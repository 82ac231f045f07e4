#include "retrain/coordinator_link.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string_view>

#include <unistd.h>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/send.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/system_messages.hpp>

#include "retrain/core/model_id.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"
#include "retrain/register_messages.hpp"

namespace retrain {

bool coordinator_link_state::busy(const std::string& line) const {
  return job_lines.count(line) > 0 || outbox.find(line) != nullptr;
}

line_state coordinator_link_state::state_of(const std::string& line) const {
  line_state result{line, busy(line), ""};
  if (auto i = latest.find(line); i != latest.end())
    result.latest = core::to_string(i->second);
  return result;
}

namespace {

using self_ptr
  = coordinator_link_self_actor::stateful_pointer<coordinator_link_state>;

void schedule_retry(self_ptr self) {
  auto& st = self->state;
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
    st.retry.delay(++st.attempts, st.rng));
  self->delayed_send(self, delay, atom::reconnect::value);
}

// -- line news ----------------------------------------------------------------

// Raises the latest version of `line` this node knows to `version`.
void note_latest(self_ptr self, const std::string& line,
                 const std::string& version) {
  core::raise_version(self->state.latest, line, version);
}

// Tells the subscriber the state of `line`.
void relay(self_ptr self, const std::string& line) {
  auto& st = self->state;
  if (auto sub = caf::actor_cast<line_news_actor>(st.subscriber))
    self->send(sub, st.state_of(line));
}

// Takes the coordinator's state of every line it knows, after a
// (re)connection: jobs may have finished while it was unreachable, and a
// coordinator that lost its database knows none of them.
void resync(self_ptr self, std::vector<line_state>& lines) {
  auto& st = self->state;
  auto before = std::move(st.job_lines);
  st.job_lines.clear();
  for (auto& x : lines) {
    note_latest(self, x.line, x.latest);
    if (x.busy)
      st.job_lines.insert(x.line);
  }
  size_t released = 0;
  for (auto& line : before)
    if (!st.busy(line)) {
      ++released;
      relay(self, line);
    }
  if (released > 0)
    log().info("{}#{} {} lines have no job at the coordinator any more: "
               "released",
               coordinator_link_state::name, self->id(), released);
  for (auto& x : lines)
    relay(self, x.line);
}

bool lost_to_standby(self_ptr self, const caf::error& err);

// Subscribes to job news for the subscriber, saying what this node knows,
// and resyncs.
void subscribe(self_ptr self) {
  auto& st = self->state;
  std::unordered_set<std::string> lines{st.job_lines.begin(),
                                        st.job_lines.end()};
  for (auto& [line, version] : st.latest)
    lines.insert(line);
  for (auto& line : st.outbox.lines())
    lines.insert(line);
  std::vector<line_state> known;
  known.reserve(lines.size());
  for (auto& line : lines)
    known.push_back(st.state_of(line));
  self
    ->request(st.coordinator, st.timeout, atom::subscribe::value,
              caf::actor_cast<job_news_actor>(self), std::move(known))
    .then([=](std::vector<line_state>& lines) { resync(self, lines); },
          [=](caf::error& err) {
            if (lost_to_standby(self, err))
              return;
            log().warn("{}#{} subscribing with the coordinator failed: {}",
                       coordinator_link_state::name, self->id(),
                       self->system().render(err));
          });
}

void on_news(self_ptr self, const job_update& update) {
  auto& st = self->state;
  if (is_active(update.state))
    st.job_lines.insert(update.line);
  else
    st.job_lines.erase(update.line);
  note_latest(self, update.line, update.version);
  relay(self, update.line);
}

// -- triggers -----------------------------------------------------------------

void send_ready(self_ptr self);

void schedule_resend(self_ptr self) {
  auto& st = self->state;
  if (st.resend_scheduled)
    return;
  st.resend_scheduled = true;
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
    st.retry.delay(++st.send_failures, st.rng));
  self->delayed_send(self, delay, atom::resend::value);
}

// Answers whoever waits for the outbox to empty, once it is.
void check_drained(self_ptr self) {
  auto& st = self->state;
  if (!st.outbox.empty() || st.drain_waiters.empty())
    return;
  for (auto& rp : st.drain_waiters)
    rp.deliver(uint64_t{0});
  st.drain_waiters.clear();
}

void on_ack(self_ptr self, const std::string& line, trigger_ack& ack) {
  auto& st = self->state;
  st.send_failures = 0;
  st.outbox.acknowledge(line, ack.trigger_id);
  note_latest(self, line, ack.latest);
  if (ack.outcome != trigger_outcome::superseded) {
    if (is_active(ack.state))
      st.job_lines.insert(line);
    else
      st.job_lines.erase(line);
  }
  log().debug("{}#{} trigger {} of {}: {}, job {}",
              coordinator_link_state::name, self->id(), ack.trigger_id, line,
              to_string(ack.outcome), ack.job_id);
  relay(self, line);
  check_drained(self);
  send_ready(self);
}

void on_send_error(self_ptr self, const std::string& line,
                   const std::string& id, const caf::error& err) {
  auto& st = self->state;
  // A trigger the coordinator can never take (it passed this node's checks,
  // so only a peer of another build sends one) is dropped, not re-sent.
  if (err == ec::invalid_model_id) {
    log().error("{}#{} trigger {} of {} refused by the coordinator: {}",
                coordinator_link_state::name, self->id(), id, line,
                self->system().render(err));
    st.outbox.drop(line);
    relay(self, line);
    check_drained(self);
    return;
  }
  st.outbox.failed(line);
  if (lost_to_standby(self, err))
    return;
  if (st.send_failures == 0)
    log().warn("{}#{} the coordinator did not take trigger {} of {} ({}); "
               "{} triggers wait and are sent again",
               coordinator_link_state::name, self->id(), id, line,
               self->system().render(err), st.outbox.size());
  schedule_resend(self);
}

// Sends the triggers that wait, as many as may be unanswered at once.
void send_ready(self_ptr self) {
  auto& st = self->state;
  if (!st.coordinator || st.outbox.in_flight() >= st.max_in_flight)
    return;
  for (auto& trigger :
       st.outbox.take_ready(st.max_in_flight - st.outbox.in_flight())) {
    auto line = std::string{core::model_line_of(trigger.model)};
    auto id = trigger.id;
    self->request(st.coordinator, st.timeout, std::move(trigger))
      .then([=](trigger_ack& ack) { on_ack(self, line, ack); },
            [=](caf::error& err) { on_send_error(self, line, id, err); });
  }
}

void on_trigger(self_ptr self, retrain_trigger& trigger) {
  auto& st = self->state;
  auto line = std::string{core::model_line_of(trigger.model)};
  trigger.id = st.origin + "-" + std::to_string(++st.trigger_seq);
  if (auto i = st.latest.find(line); i != st.latest.end())
    trigger.known_latest = core::to_string(i->second);
  auto model = trigger.model;
  if (!st.outbox.add(line, std::move(trigger))) {
    log().info("{}#{} {}: trigger merged into the one of {} that waits for "
               "the coordinator",
               coordinator_link_state::name, self->id(), model, line);
    return;
  }
  if (!st.coordinator) {
    log().info("{}#{} {}: trigger held until the coordinator is reachable "
               "({} held)",
               coordinator_link_state::name, self->id(), model,
               st.outbox.size());
    return;
  }
  send_ready(self);
}

// -- results of the node's workers --------------------------------------------

void report(self_ptr self, job_result result);

// Keeps `result` until the coordinator is reachable again.
void hold_result(self_ptr self, job_result result) {
  log().info("{}#{} result of job {} attempt {} kept until the coordinator "
             "takes it",
             coordinator_link_state::name, self->id(), result.job_id,
             result.attempt);
  self->state.results.push_back(std::move(result));
  // Still linked (a timeout, or a link that died unnoticed so far): try
  // again with the triggers' backoff.
  if (self->state.coordinator)
    schedule_resend(self);
}

// Sends the results held so far again.
void report_held(self_ptr self) {
  auto results = std::move(self->state.results);
  self->state.results.clear();
  for (auto& result : results)
    report(self, std::move(result));
}

// Passes a worker's result on and waits for the coordinator to take it: a
// result sent into a connection that just died (a node that was stopped
// learns it late) is kept and sent again after the reconnect.
void report(self_ptr self, job_result result) {
  auto& st = self->state;
  if (!st.coordinator) {
    hold_result(self, std::move(result));
    return;
  }
  auto seq = ++st.report_seq;
  st.reporting.emplace(seq, result);
  self
    ->request(st.coordinator, st.timeout, atom::report::value,
              std::move(result))
    .then([=](uint64_t) { self->state.reporting.erase(seq); },
          [=](caf::error& err) {
            // Gone already when the link dropped (held since).
            auto i = self->state.reporting.find(seq);
            if (i == self->state.reporting.end())
              return;
            auto kept = std::move(i->second);
            self->state.reporting.erase(i);
            hold_result(self, std::move(kept));
            lost_to_standby(self, err);
          });
}

// Holds the results whose answers the dropped link took with it.
void hold_reporting(self_ptr self) {
  auto reporting = std::move(self->state.reporting);
  self->state.reporting.clear();
  for (auto& [seq, result] : reporting)
    hold_result(self, std::move(result));
}

// -- kept across a restart --------------------------------------------------

constexpr std::string_view spill_magic = "retrain outbox v1\n";

// Writes the undelivered triggers to the spill file (atomically, through a
// temporary file); returns how many.
caf::expected<uint64_t> spill(self_ptr self) {
  auto& st = self->state;
  auto triggers = st.outbox.all();
  if (st.spill_file.empty() || triggers.empty())
    return uint64_t{0};
  std::vector<char> buf{spill_magic.begin(), spill_magic.end()};
  caf::binary_serializer sink{self->system(), buf};
  if (auto err = sink(triggers))
    return err;
  auto tmp = st.spill_file + ".tmp";
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    out.flush();
    if (!out)
      return caf::make_error(ec::storage_failure, "cannot write " + tmp + ": "
                                                    + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), st.spill_file.c_str()) != 0)
    return caf::make_error(ec::storage_failure, "cannot rename " + tmp + ": "
                                                  + std::strerror(errno));
  return static_cast<uint64_t>(triggers.size());
}

// Puts the triggers a previous run kept into the outbox, before anything
// new, and removes the file: they are in memory now, and a clean stop
// writes what is still undelivered again.
void load_spill(self_ptr self) {
  auto& st = self->state;
  if (st.spill_file.empty())
    return;
  std::ifstream in{st.spill_file, std::ios::binary};
  if (!in)
    return;
  std::vector<char> buf{std::istreambuf_iterator<char>{in}, {}};
  std::vector<retrain_trigger> triggers;
  bool ok = buf.size() >= spill_magic.size()
            && std::equal(spill_magic.begin(), spill_magic.end(), buf.begin());
  if (ok) {
    caf::binary_deserializer source{self->system(),
                                    buf.data() + spill_magic.size(),
                                    buf.size() - spill_magic.size()};
    ok = !source(triggers);
  }
  if (!ok) {
    auto bad = st.spill_file + ".unreadable";
    std::rename(st.spill_file.c_str(), bad.c_str());
    log().error("{}#{} {} is no outbox this build can read; moved to {}",
                coordinator_link_state::name, self->id(), st.spill_file, bad);
    return;
  }
  for (auto& t : triggers) {
    auto line = std::string{core::model_line_of(t.model)};
    st.outbox.add(std::move(line), std::move(t));
  }
  std::remove(st.spill_file.c_str());
  log().info("{}#{} {} undelivered triggers kept by the last run are back in "
             "the outbox",
             coordinator_link_state::name, self->id(), triggers.size());
}

// -- the ownership lease of a monitor node's shards ---------------------------

// Tells the router (the shard subscriber) about the lease: a renewal the
// coordinator answered, sent at `sent_ns`, with its map at `version`.
void tell_lease(self_ptr self, int64_t sent_ns, uint64_t version) {
  auto& st = self->state;
  if (auto sub = caf::actor_cast<shard_news_actor>(st.shard_subscriber))
    self->send(sub, atom::lease::value, sent_ns, version);
}

// Asks the coordinator to renew the lease now. The renewal counts from
// when it was sent, before the coordinator heard it: the node's term ends
// before the coordinator's wait for a silent node does.
void renew_lease(self_ptr self) {
  auto& st = self->state;
  if (!st.coordinator || st.member.node.empty())
    return;
  if (st.where.local) {
    // Nothing can cut this node off from a coordinator in its process.
    tell_lease(self, std::numeric_limits<int64_t>::max(), 0);
    return;
  }
  auto sent = std::chrono::duration_cast<std::chrono::nanoseconds>(
                self->clock().now().time_since_epoch())
                .count();
  auto to = st.coordinator;
  self->request(st.coordinator, st.lease_timing.term(), atom::lease::value)
    .then(
      [=](uint64_t version) {
        // An answer of a coordinator followed earlier is not a renewal.
        if (self->state.coordinator == to)
          tell_lease(self, sent, version);
      },
      [=](caf::error&) {
        // The lease lapses by itself; losing the link revokes it at once.
      });
}

// Renews the lease every `renew_interval` once the node is a member.
void start_renewing(self_ptr self) {
  auto& st = self->state;
  if (st.renewing || st.member.node.empty())
    return;
  st.renewing = true;
  self->send(self, atom::renew::value);
}

// -- reachability -------------------------------------------------------------

void connected(self_ptr self, coordinator_actor coordinator) {
  auto& st = self->state;
  st.coordinator = std::move(coordinator);
  st.attempts = 0;
  self->monitor(st.coordinator);
  self->send(st.coordinator, atom::hello::value, st.node_version);
  if (!st.where.local)
    log().info("{}#{} reached the coordinator at {}:{}",
               coordinator_link_state::name, self->id(), st.where.host,
               st.where.port);
  // Results that came while the coordinator was away go first (the
  // dispatcher tells a late one from a current one), then each worker
  // enlists itself once idle: one still running an attempt of the lost link
  // must not show up as free.
  report_held(self);
  for (auto& worker : st.workers)
    self->send(worker, atom::linkup::value,
               caf::actor_cast<worker_home_actor>(self));
  if (st.subscriber)
    subscribe(self);
  if (!st.member.node.empty()) {
    self->send(st.coordinator, st.member);
    // After the join, which the coordinator handles first.
    renew_lease(self);
  }
  // Answers to sends on an earlier link will not come: everything goes
  // again (the dispatcher knows a trigger it stored by its id).
  st.outbox.resend_all();
  st.send_failures = 0;
  if (!st.outbox.empty())
    log().info("{}#{} delivering {} triggers held while the coordinator was "
               "unreachable",
               coordinator_link_state::name, self->id(), st.outbox.size());
  send_ready(self);
}

// Forgets the coordinator (`why` says what happened) and looks for one
// again: after a backoff, or at once at the next address of a failover
// group.
void lose(self_ptr self, const std::string& why, bool standby = false) {
  auto& st = self->state;
  self->demonitor(st.coordinator.address());
  st.coordinator = nullptr;
  hold_reporting(self);
  if (!st.member.node.empty())
    tell_lease(self, -1, 0);
  if (st.where.local) {
    // Triggers wait in the outbox. A coordinator of this process on a
    // shared PostgreSQL registry that lost its lease may take it again:
    // asked again after a backoff; one that ended stays lost.
    st.outbox.resend_all();
    log().warn("{}#{} lost the coordinator of this process ({}); holding "
               "triggers{}",
               coordinator_link_state::name, self->id(), why,
               standby ? " until it is active again" : "");
    if (standby)
      schedule_retry(self);
    return;
  }
  log().warn("{}#{} lost the coordinator at {}:{} ({}); reconnecting",
             coordinator_link_state::name, self->id(), st.where.host,
             st.where.port, why);
  if (st.where.all.size() > 1) {
    // Another coordinator of the group takes over: look there first.
    st.next = (st.next + 1) % st.where.all.size();
    st.tried = 0;
    self->send(self, atom::reconnect::value);
    return;
  }
  schedule_retry(self);
}

void on_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (!st.coordinator || msg.source != st.coordinator.address())
    return;
  lose(self, to_string(msg.reason));
}

// Whether `err` says the coordinator is a standby now (it lost its lease):
// then it is lost, and the link looks for the active one.
bool lost_to_standby(self_ptr self, const caf::error& err) {
  if (err != ec::standby || !self->state.coordinator)
    return false;
  lose(self, "it is a standby now", true);
  return true;
}

// Says why the coordinator could not be reached; the causes a user can fix
// get their own words.
void log_failure(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  if (st.where.local) {
    log().warn("{}#{} the coordinator of this process does not answer ({}); "
               "retrying",
               coordinator_link_state::name, self->id(),
               self->system().render(err));
    return;
  }
  auto& host = st.where.host;
  auto port = st.where.port;
  if (err == caf::sec::incompatible_application_ids) {
    auto ids = caf::get_or(self->system().config(), "middleman.app-identifiers",
                           std::vector<std::string>{});
    std::string mine;
    for (auto& id : ids)
      mine += (mine.empty() ? "" : ", ") + id;
    log().error("{}#{} the coordinator at {}:{} speaks another protocol "
                "version than this node ({}, expected {}); refused, retrying",
                coordinator_link_state::name, self->id(), host, port, mine,
                protocol_version);
  } else if (err == caf::sec::disconnect_during_handshake) {
    log().error("{}#{} the coordinator at {}:{} refused this node during the "
                "handshake: TLS on one side only, or a certificate from "
                "another CA; retrying",
                coordinator_link_state::name, self->id(), host, port);
  } else {
    log().warn("{}#{} cannot reach the coordinator at {}:{} ({}); retrying",
               coordinator_link_state::name, self->id(), host, port,
               self->system().render(err));
  }
}

// How long connecting to (and asking) one coordinator of a failover group
// may take: a stopped one accepts connections and never answers, and the
// others must not wait the whole request timeout for it.
constexpr std::chrono::milliseconds group_probe_timeout{2000};

std::chrono::milliseconds probe_timeout(self_ptr self) {
  auto& st = self->state;
  return st.where.all.size() > 1 ? std::min(st.timeout, group_probe_timeout)
                                 : st.timeout;
}

// This address did not give an active coordinator: the next one at once,
// or after a whole round a backoff (short while a standby said a takeover
// is coming).
void try_next(self_ptr self) {
  auto& st = self->state;
  auto n = st.where.all.size();
  if (n > 1 && ++st.tried < n) {
    st.next = (st.next + 1) % n;
    self->send(self, atom::reconnect::value);
    return;
  }
  if (n > 1) {
    st.next = (st.next + 1) % n;
    st.tried = 0;
    if (st.saw_older && !st.saw_standby) {
      // Only older epochs answer: the database was restored or reset;
      // follow what is there rather than nothing.
      log().warn("{}#{} every reachable coordinator is at an older epoch "
                 "than {}: following them again",
                 coordinator_link_state::name, self->id(), st.followed_epoch);
      st.followed_epoch = 0;
    }
    auto standby = st.saw_standby;
    st.saw_standby = false;
    st.saw_older = false;
    if (standby) {
      ++st.attempts;
      self->delayed_send(self, std::chrono::milliseconds{250},
                         atom::reconnect::value);
      return;
    }
  }
  schedule_retry(self);
}

// Asks a reached coordinator whether it is the active one; links up with
// it if so.
void probe(self_ptr self, coordinator_actor coordinator) {
  self->request(coordinator, probe_timeout(self), atom::standby::value)
    .then(
      [=](uint64_t epoch) {
        auto& st = self->state;
        auto grouped = st.where.all.size() > 1;
        if (grouped && epoch == 0) {
          if (st.attempts % 20 == 0)
            log().error("{}#{} the coordinator at {}:{} runs without a lease "
                        "(a SQLite registry): a list of "
                        "coordinators needs all of them on one PostgreSQL "
                        "database; skipped",
                        coordinator_link_state::name, self->id(), st.where.host,
                        st.where.port);
          try_next(self);
          return;
        }
        if (epoch < st.followed_epoch) {
          log().warn("{}#{} the coordinator at {}:{} is at epoch {}, older "
                     "than epoch {} this node followed: skipped",
                     coordinator_link_state::name, self->id(), st.where.host,
                     st.where.port, epoch, st.followed_epoch);
          st.saw_older = true;
          try_next(self);
          return;
        }
        st.followed_epoch = epoch;
        st.tried = 0;
        st.saw_standby = false;
        st.saw_older = false;
        if (grouped)
          log().info("{}#{} the coordinator at {}:{} is the active one "
                     "(epoch {})",
                     coordinator_link_state::name, self->id(), st.where.host,
                     st.where.port, epoch);
        self->send(self, atom::linkup::value, coordinator);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        if (err == ec::standby && st.where.local) {
          if (st.attempts % 20 == 0)
            log().info("{}#{} the coordinator of this process is a standby "
                       "(another coordinator holds the lease of the "
                       "registry); holding triggers until it is active",
                       coordinator_link_state::name, self->id());
        } else if (err == ec::standby) {
          // Once per round of backoff steps, not every 250 ms.
          if (st.attempts % 20 == 0)
            log().info("{}#{} the coordinator at {}:{} is a standby; trying "
                       "the next",
                       coordinator_link_state::name, self->id(), st.where.host,
                       st.where.port);
          st.saw_standby = true;
        } else if (st.attempts % 20 == 0) {
          log_failure(self, err);
        }
        try_next(self);
      });
}

void try_connect(self_ptr self) {
  auto& st = self->state;
  if (st.where.local) {
    // Of this process: a standby until it holds its lease, on PostgreSQL.
    probe(self, st.where.local);
    return;
  }
  if (!st.where.all.empty()) {
    auto& at = st.where.all[st.next % st.where.all.size()];
    st.where.host = at.host;
    st.where.port = at.port;
  }
  // With TLS configured, connect through CAF's openssl manager.
  auto& sys = self->system();
  auto mm = sys.has_openssl_manager() ? sys.openssl_manager().actor_handle()
                                      : sys.middleman().actor_handle();
  self
    ->request(mm, probe_timeout(self), caf::connect_atom::value, st.where.host,
              st.where.port)
    .then(
      [=](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>& ifs) {
        auto& st = self->state;
        if (!ptr) {
          log().warn("{}#{} {}:{} published no actor; retrying",
                     coordinator_link_state::name, self->id(), st.where.host,
                     st.where.port);
          try_next(self);
          return;
        }
        if (!self->system().assignable<dispatcher_actor>(ifs)) {
          log().error("{}#{} {}:{} is not a retrain coordinator (wrong port "
                      "or version); retrying",
                      coordinator_link_state::name, self->id(), st.where.host,
                      st.where.port);
          try_next(self);
          return;
        }
        probe(self, caf::actor_cast<coordinator_actor>(std::move(ptr)));
      },
      [=](caf::error& err) {
        auto& st = self->state;
        // Log the first failure and then every 20th, not every retry.
        if (st.attempts % 20 == 0)
          log_failure(self, err);
        try_next(self);
      });
}

// Why a request for the coordinator fails while it is not linked.
caf::error not_linked() {
  return caf::make_error(ec::unreachable,
                         "the coordinator is not reachable now");
}

} // namespace

std::string outbox_file(const std::string& data_dir) {
  return (std::filesystem::path{data_dir} / "outbox.bin").string();
}

coordinator_link_self_actor::behavior_type coordinator_link(
  coordinator_link_self_actor::stateful_pointer<coordinator_link_state> self,
  coordinator_location where, std::chrono::milliseconds timeout,
  std::vector<retrain_worker_actor> workers, std::string spill_file,
  int lease_fd, std::string node_version) {
  auto& st = self->state;
  {
    std::random_device rd;
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%08x%08x", static_cast<unsigned>(rd()),
                  static_cast<unsigned>(rd()));
    st.origin = buf;
  }
  st.where = std::move(where);
  st.timeout = timeout;
  st.workers = std::move(workers);
  st.spill_file = std::move(spill_file);
  st.lease_fd = lease_fd;
  st.node_version = std::move(node_version);
  st.lease_timing = shard_lease_timing_of(self->system().config());
  load_spill(self);
  if (st.lease_fd >= 0)
    self->send(self, atom::lease::value);
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  self->send(self, atom::reconnect::value);
  return {
    [=](retrain_trigger& trigger) { on_trigger(self, trigger); },
    [=](job_update& update) { on_news(self, update); },
    [=](policy_set& x) {
      // The coordinator pushes its set on every change and at every
      // subscribe, in order: the last one is the one in force.
      auto& st = self->state;
      st.policies = std::move(x);
      if (auto sub = caf::actor_cast<policy_news_actor>(st.subscriber))
        self->send(sub, st.policies);
    },
    [=](atom::subscribe, line_news_actor& subscriber) {
      auto& st = self->state;
      st.subscriber = subscriber.address();
      if (st.policies.epoch > 0)
        self->send(caf::actor_cast<policy_news_actor>(subscriber), st.policies);
      if (st.coordinator)
        subscribe(self);
    },
    [=](atom::reconnect) {
      if (!self->state.coordinator)
        try_connect(self);
    },
    [=](atom::standby, uint64_t epoch) {
      // Only the coordinator followed now may send it off elsewhere.
      auto& st = self->state;
      if (!st.coordinator
          || self->current_sender()
               != caf::actor_cast<caf::strong_actor_ptr>(st.coordinator))
        return;
      lose(self,
           "it stepped down from the lease of epoch " + std::to_string(epoch),
           true);
    },
    [=](atom::linkup, coordinator_actor& coordinator) {
      connected(self, std::move(coordinator));
    },
    [=](atom::resend) {
      self->state.resend_scheduled = false;
      send_ready(self);
      report_held(self);
    },
    [=](job_result& result) { report(self, std::move(result)); },
    [=](atom::enlist) {
      auto& st = self->state;
      // Not linked: the next linkup asks the worker again.
      if (st.coordinator)
        self->send(
          st.coordinator, atom::enlist::value,
          caf::actor_cast<retrain_worker_actor>(self->current_sender()));
    },
    [=](atom::lease) {
      auto& st = self->state;
      // One byte says "linked": a full pipe or an error only means the
      // fence reads late; it times out on silence, not on bytes.
      if (st.coordinator) {
        char x = 'l';
        static_cast<void>(::write(st.lease_fd, &x, 1));
      }
      self->delayed_send(self, lease_interval, atom::lease::value);
    },
    [=](atom::drain) -> caf::result<uint64_t> {
      auto& st = self->state;
      if (st.outbox.empty())
        return uint64_t{0};
      log().info("{}#{} waiting for the coordinator to acknowledge {} "
                 "triggers",
                 coordinator_link_state::name, self->id(), st.outbox.size());
      auto rp = self->make_response_promise<uint64_t>();
      st.drain_waiters.push_back(rp);
      send_ready(self);
      return rp;
    },
    [=](atom::spill) -> caf::result<uint64_t> {
      auto n = spill(self);
      if (!n)
        log().error("{}#{} cannot keep {} undelivered triggers: {}",
                    coordinator_link_state::name, self->id(),
                    self->state.outbox.size(),
                    self->system().render(n.error()));
      return n;
    },
    [=](atom::status) -> link_status {
      auto& st = self->state;
      return link_status{static_cast<bool>(st.coordinator), st.outbox.size(),
                         st.results.size() + st.reporting.size()};
    },
    [=](shard_member& m) {
      auto& st = self->state;
      st.member = std::move(m);
      if (st.coordinator) {
        self->send(st.coordinator, st.member);
        renew_lease(self);
      }
      start_renewing(self);
    },
    [=](atom::renew) {
      auto& st = self->state;
      if (self->current_sender()
          != caf::actor_cast<caf::strong_actor_ptr>(self))
        return;
      renew_lease(self);
      self->delayed_send(self, st.lease_timing.renew_interval(),
                         atom::renew::value);
    },
    [=](shard_table& x) {
      // The coordinator pushes the map in order: the last is in force.
      auto& st = self->state;
      st.shards = std::move(x);
      if (auto sub = caf::actor_cast<shard_news_actor>(st.shard_subscriber))
        self->send(sub, st.shards);
    },
    [=](atom::subscribe, shard_news_actor& sub) {
      auto& st = self->state;
      st.shard_subscriber = sub.address();
      if (!st.shards.owners.empty())
        self->send(sub, st.shards);
      renew_lease(self);
    },
    // Durable monitor state: the router's requests go to the coordinator
    // as they are; the router tries again while it is not linked.
    [=](snapshot_shipment& x) -> caf::result<uint64_t> {
      if (auto& c = self->state.coordinator)
        return self->delegate(c, std::move(x));
      return not_linked();
    },
    [=](atom::restore a,
        std::vector<uint32_t>& x) -> caf::result<snapshot_shipment> {
      if (auto& c = self->state.coordinator)
        return self->delegate(c, a, std::move(x));
      return not_linked();
    },
    [=](atom::leave a, std::string& x) -> caf::result<uint64_t> {
      if (auto& c = self->state.coordinator)
        return self->delegate(c, a, std::move(x));
      return not_linked();
    },
  };
}

core::shard_lease_timing
shard_lease_timing_of(const caf::actor_system_config& cfg) {
  auto timeout = caf::get_or(cfg, "middleman.connection-timeout",
                             caf::timespan{std::chrono::seconds{3}});
  if (timeout.count() <= 0)
    timeout = std::chrono::seconds{3};
  core::shard_lease_timing result;
  result.timeout
    = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  return result;
}

} // namespace retrain
