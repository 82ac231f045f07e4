#pragma once

#include <caf/atom.hpp>

/// Atoms of the retrain protocol. Texts are unique across the project.
namespace retrain::atom {

/// A worker enlists with the dispatcher.
using enlist = caf::atom_constant<caf::atom("enlist")>;

/// Asks for status.
using status = caf::atom_constant<caf::atom("status")>;

/// Asks for totals over monitors (`monitor_stats`).
using stats = caf::atom_constant<caf::atom("stats")>;

/// Asks ingest to apply a batch and report every refused event.
using explain = caf::atom_constant<caf::atom("explain")>;

/// Asks the coordinator for its jobs.
using jobs = caf::atom_constant<caf::atom("jobs")>;

/// Asks for the versions of a model line.
using versions = caf::atom_constant<caf::atom("versions")>;

/// Subscribes to news: a coordinator link to the dispatcher's job updates,
/// a supervisor to its link's line news.
using subscribe = caf::atom_constant<caf::atom("subscribe")>;

/// To a monitor: send your snapshot if anything changed. Also the
/// supervisor's timer that sends the runs of events held for
/// `flush-interval` (on its internal handle, see below).
using tick = caf::atom_constant<caf::atom("tick")>;

/// To a monitor: answer once you handled what came before (the supervisor
/// measures how long monitors take to apply a flush).
using ping = caf::atom_constant<caf::atom("ping")>;

// -- to self ------------------------------------------------------------------
//
// An actor sends these to itself (timers, mostly) through an internal handle
// that extends its public interface, so no peer can send them.

/// The dispatcher's timer for a job's next attempt.
using retry = caf::atom_constant<caf::atom("retry")>;

/// A link's timer to try reaching the coordinator again.
using reconnect = caf::atom_constant<caf::atom("reconnect")>;

/// A link reached its coordinator: in its own process at once, else when
/// the middleman connected.
using linkup = caf::atom_constant<caf::atom("linkup")>;

/// The supervisor's periodic timer that asks changed monitors for
/// snapshots.
using sweep = caf::atom_constant<caf::atom("sweep")>;

/// The dispatcher's note to itself to store the triggers that came
/// meanwhile, in one transaction (a group commit).
using store = caf::atom_constant<caf::atom("store")>;

/// A timer: try again the writes the database refused.
using recover = caf::atom_constant<caf::atom("recover")>;

/// A link's timer to send unacknowledged triggers again.
using resend = caf::atom_constant<caf::atom("resend")>;

/// A stopping node's request to finish what it holds: ingest stops
/// intake, the coordinator link delivers its outbox.
using drain = caf::atom_constant<caf::atom("drain")>;

/// A stopping node's request to keep what its link could not deliver in
/// the data dir, for the next start.
using spill = caf::atom_constant<caf::atom("spill")>;

/// A link passes on a worker's result and waits for the coordinator to
/// take it (a result sent into a connection that just died is sent again).
using report = caf::atom_constant<caf::atom("report")>;

/// A link's timer to renew the lease that keeps its node's job commands
/// running.
using lease = caf::atom_constant<caf::atom("lease")>;

/// A node tells the coordinator which version of retrain it runs.
using hello = caf::atom_constant<caf::atom("hello")>;

/// The dispatcher tells its observer (the webhook sender of a coordinator
/// node) what happened: a drift, a job transition, a registered version.
using news = caf::atom_constant<caf::atom("news")>;

/// The webhook sender's note to itself (and its timer): send the next
/// delivery that is due.
using deliver = caf::atom_constant<caf::atom("deliver")>;

/// The supervisor's timer to stop the monitors idle for
/// `retrain.monitor.idle-timeout`.
using passivate = caf::atom_constant<caf::atom("passivate")>;

/// A request to forget a model (or every model of a line) at once.
using forget = caf::atom_constant<caf::atom("forget")>;

/// Asks for the history of a model's metrics (`model_history`).
using history = caf::atom_constant<caf::atom("history")>;

/// A request about the policies of model lines: the ones in force, or the
/// history of one pattern.
using policy = caf::atom_constant<caf::atom("policy")>;

/// Asks a coordinator whether it is the active one (the answer is the
/// epoch of its lease, or `ec::standby`); sent by a coordinator that lost
/// its lease to the links of its nodes, with that epoch, so that they look
/// for the active one.
using standby = caf::atom_constant<caf::atom("standby")>;
/// A request for the shard map of the monitor tier (`shard_table`).
using shards = caf::atom_constant<caf::atom("shards")>;
/// A monitor node's link's timer to renew the node's ownership lease of
/// its shards with the coordinator.
using renew = caf::atom_constant<caf::atom("renew")>;

/// Ships the snapshots of changed monitors to the coordinator (a monitor
/// node's timer, every `retrain.monitor.persist-interval`), or asks a
/// supervisor for them.
using persist = caf::atom_constant<caf::atom("persist")>;

/// Asks for the stored snapshots of shards (a new owner, before it applies
/// their events), or hands them to a supervisor.
using restore = caf::atom_constant<caf::atom("restore")>;

/// Asks the owner of shards to stop applying them and hand over the final
/// snapshots of their monitors (a planned move).
using release = caf::atom_constant<caf::atom("release")>;

/// A monitor node asks the coordinator to move every shard it owns away
/// (SIGTERM), handed over first.
using leave = caf::atom_constant<caf::atom("leave")>;

} // namespace retrain::atom
