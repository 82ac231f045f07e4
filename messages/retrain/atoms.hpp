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

} // namespace retrain::atom
