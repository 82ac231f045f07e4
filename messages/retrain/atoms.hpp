#pragma once

#include <caf/atom.hpp>

/// Atoms of the retrain protocol. Texts are unique across the project.
namespace retrain::atom {

/// A worker enlists with the dispatcher; a supervisor subscribes to job news.
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

/// A supervisor subscribes to job updates.
using subscribe = caf::atom_constant<caf::atom("subscribe")>;

/// The dispatcher's timer for a job's next attempt.
using retry = caf::atom_constant<caf::atom("retry")>;

/// Hands a supervisor the coordinator it reached (or reached again).
using linkup = caf::atom_constant<caf::atom("linkup")>;

/// A link's timer to try reaching the coordinator again.
using reconnect = caf::atom_constant<caf::atom("reconnect")>;

/// A timer: the supervisor's flush of held runs; to a monitor, "send your
/// snapshot if anything changed".
using tick = caf::atom_constant<caf::atom("tick")>;

/// The supervisor's periodic timer that asks changed monitors for
/// snapshots.
using sweep = caf::atom_constant<caf::atom("sweep")>;

} // namespace retrain::atom
