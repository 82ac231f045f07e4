#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "retrain/core/batch_fanout.hpp"
#include "retrain/core/slot_index.hpp"
#include "retrain/messages.hpp"

namespace retrain {

/// How a `cluster_client` finds the cluster and how hard it tries.
struct cluster_client_config {
  /// Coordinators to fetch the shard map from, as `HOST:PORT`
  /// (`retrain.coordinator-port`), tried in order: with coordinator
  /// failover, list every coordinator, as in `retrain.coordinator`.
  std::vector<std::string> coordinators;
  /// Bounds every connect and every request to a coordinator or an owner.
  std::chrono::milliseconds timeout{10000};
  /// Sends of one event at most (a send to an owner that is lost, that does
  /// not own the event's shard by its map, or to no owner at all counts):
  /// after the last the event is rejected with the reason it failed for.
  uint32_t attempts = 8;
  /// The map is fetched again after a failed send, `retry_delay` doubling
  /// up to `retry_delay_cap` as failures repeat (a lost owner leaves the
  /// map once the coordinator notices: at once for a killed process, after
  /// `middleman.connection-timeout` for a hung one).
  std::chrono::milliseconds retry_delay{100};
  std::chrono::milliseconds retry_delay_cap{2000};

  /// Checks every field: a clear error (`ec::invalid_config`) or none.
  caf::error validate() const;

  /// The longest a batch can take before its answer: every attempt timing
  /// out and waiting the longest delay after it.
  std::chrono::milliseconds answer_within() const;
};

/// Sends metric events straight to the monitor node that owns each
/// event's shard, so no event takes the extra hop through a node that
/// forwards it: it takes batches as a monitor node's ingest does, and
/// answers each with one `ingest_ack` once every owner acknowledged its
/// part (so "accepted" means applied or queued at the owner, as with
/// ingest).
using cluster_client_actor = caf::typed_actor<
  /// Splits a batch by owner, sends each part to its owner's router
  /// (`retrain.cluster.port`) and answers once every event is accepted or
  /// rejected. Events returned by an owner (not its shard by its map) or
  /// whose owner is unreachable go again after the map is fetched anew, up
  /// to `cluster_client_config::attempts` times.
  caf::replies_to<metric_batch>::with<ingest_ack>,
  /// Returns the shard map in force (version 0 and no shards before the
  /// first is fetched).
  caf::replies_to<atom::shards>::with<shard_table>,
  /// Returns how many events went to owners since the start, and how many
  /// times an event had to wait for the map to be fetched again (an owner
  /// returned it or did not answer, or it had no reachable owner).
  caf::replies_to<atom::stats>::with<uint64_t, uint64_t>>;

/// Where a coordinator or router is, parsed from `HOST:PORT`.
struct cluster_endpoint {
  std::string host;
  uint16_t port = 0;
};

/// Parses `HOST:PORT` (port within [1, 65535]); an `invalid_config` error
/// naming `text` otherwise.
caf::expected<cluster_endpoint> parse_cluster_endpoint(const std::string& text);

/// What asks a coordinator for the shard map: the one handler of the
/// dispatcher's interface the client needs.
using shard_map_source_actor
  = caf::typed_actor<caf::replies_to<atom::shards>::with<shard_table>>;

/// One batch a caller waits for.
struct cluster_client_batch {
  std::vector<metric_event> events;
  core::batch_fanout fanout;
  caf::typed_response_promise<ingest_ack> promise;
};

/// An owner's router, reached or being reached.
struct cluster_client_router {
  shard_router_actor handle;
  bool connecting = false;
};

/// State of a cluster client.
///
/// ```
///            +--------------------------------------------------+
///            v                                                  |
///  (start) fetching --map--> connecting --every router--> ready |
///            |  ^              (to new owners)            |     |
///   no coordinator answered                   an event failed:  |
///            |  |                             returned or lost  |
///            v  |                                         |     |
///          waiting (retry_delay, doubling) <--------------+     |
///                                                               |
///  batches that come in any state wait; each time the state  ---+
///  becomes ready, every waiting event is split by owner and sent
/// ```
struct cluster_client_state {
  static inline const char* name = "cluster_client";

  cluster_client_config cfg;
  std::vector<cluster_endpoint> coordinators;
  /// The coordinator asked last, and which of `coordinators` it is.
  shard_map_source_actor source;
  size_t source_index = 0;
  /// The map in force.
  shard_table map;
  /// Routers of the map's members, by `host:port`.
  std::map<std::string, cluster_client_router> routers;
  /// Batches not answered yet.
  std::unordered_map<uint64_t, cluster_client_batch> batches;
  uint64_t next_batch = 0;
  bool fetching = false;
  /// Whether a map was fetched since the start.
  bool fetched = false;
  bool retry_scheduled = false;
  /// Fetches after failures since the last new map or the last time every
  /// batch was answered (the delay doubles with them).
  uint32_t failures = 0;
  /// Hashes of the model ids found valid.
  core::hash_set checked_ids;
  /// Events sent to owners since the start, and how often an event had to
  /// wait for the map to be fetched again.
  uint64_t sent = 0;
  uint64_t retried = 0;
};

/// The client as it addresses itself: the public interface and its timers.
using cluster_client_self_actor = cluster_client_actor::extend<
  /// Timer: fetch the map again.
  caf::reacts_to<atom::retry>,
  /// A router at `host:port` reached (or not: null).
  caf::reacts_to<atom::linkup, std::string, shard_router_actor>,
  /// A map fetched (or the fetch failed: version 0, no shards).
  caf::reacts_to<atom::shards, shard_table, std::string>>;

/// The client's behaviour: it fetches the map at once.
cluster_client_self_actor::behavior_type cluster_client_impl(
  cluster_client_self_actor::stateful_pointer<cluster_client_state> self,
  cluster_client_config cfg, std::vector<cluster_endpoint> coordinators);

/// Spawns a cluster client in `sys` (which must have the middleman loaded,
/// the openssl manager too when the cluster uses TLS, and the retrain
/// messages registered); an `invalid_config` error names what is wrong with
/// `cfg`.
caf::expected<cluster_client_actor>
spawn_cluster_client(caf::actor_system& sys, cluster_client_config cfg);

/// The blocking way: a cluster client whose `send` waits for the answer.
///
/// ```cpp
/// auto client = retrain::cluster_client::start(sys, {{"10.0.0.1:4243"}});
/// auto ack = client->send(batch); // ingest_ack, or an error if none came
/// ```
class cluster_client {
public:
  /// Spawns the client (see `spawn_cluster_client`).
  static caf::expected<cluster_client> start(caf::actor_system& sys,
                                             cluster_client_config cfg);

  cluster_client(cluster_client&&) = default;
  cluster_client& operator=(cluster_client&&) = default;

  /// Stops the actor.
  ~cluster_client();

  /// Sends `batch` and waits for its combined acknowledgement, at most
  /// `cluster_client_config::answer_within()`.
  caf::expected<ingest_ack> send(metric_batch batch);

  /// The shard map in force.
  caf::expected<shard_table> map();

  /// Hashes of the model ids found valid.
  core::hash_set checked_ids;
  /// Events sent to owners since the start, and how often an event had to
  /// wait for the map to be fetched again (see `cluster_client_actor`).
  caf::expected<std::pair<uint64_t, uint64_t>> sent();

  /// The actor, for apps that send asynchronously.
  const cluster_client_actor& actor() const noexcept {
    return actor_;
  }

private:
  cluster_client(caf::actor_system& sys, cluster_client_actor actor,
                 std::chrono::milliseconds wait);

  caf::actor_system* sys_;
  cluster_client_actor actor_;
  std::chrono::milliseconds wait_;
};

} // namespace retrain
