#ifndef RETRAIN_FWD_HPP
#define RETRAIN_FWD_HPP

/// Declarations of every retrain message type, the typed actor handles, and
/// the one CAF type-id block that gives each of them its wire name.
///
/// A new message type takes two lines here: its declaration below and its
/// `CAF_ADD_TYPE_ID` in the block; `register_messages` registers the whole
/// block. Wire names are the fully qualified C++ names, so renaming a type
/// renames it on the wire. A vector travels under its own name
/// (`std::vector<retrain::model_status>`): the block lists every vector sent
/// as a message or a reply. An app with a type-id block of its own starts it
/// at `caf::id_block::retrain::end`.

#include <cstdint>
#include <vector>

#include <caf/type_id.hpp>

namespace retrain {

// -- enums --------------------------------------------------------------------

enum class job_state : uint8_t;
enum class metric_kind : uint8_t;
enum class trigger_outcome : uint8_t;

// -- message types ------------------------------------------------------------

struct batch_report;
struct coordinator_status;
struct event_reject;
struct ingest_ack;
struct job_record;
struct job_result;
struct job_update;
struct kind_history;
struct kind_status;
struct line_state;
struct link_status;
struct metric_batch;
struct metric_event;
struct metric_run;
struct model_history;
struct model_status;
struct model_version;
struct monitor_snapshot;
struct monitor_stats;
struct register_version;
struct retrain_job;
struct retrain_trigger;
struct trigger_ack;
struct run_event;
struct trigger_mark;
struct trigger_reason;
struct worker_status;
struct model_query;
struct model_page;
struct monitor_policy;
struct policy_change;
struct policy_record;
struct policy_set;
struct shard_member;
struct shard_table;
struct shard_batch;
struct shard_reply;
struct lease_batch;
struct lease_report;
struct stored_snapshot;
struct snapshot_shipment;

} // namespace retrain

namespace retrain::core {

struct strategy_snapshot;
struct policy_explanation;
struct policy_source;

} // namespace retrain::core

// The typed actor handles: their signatures need only the declarations
// above, and the block below names them.
#include "retrain/interfaces.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(retrain, caf::first_custom_type_id)

// -- the contract for other CAF apps: names never change --------------------

CAF_ADD_TYPE_ID(retrain, (retrain::metric_kind))
CAF_ADD_TYPE_ID(retrain, (retrain::metric_event))
CAF_ADD_TYPE_ID(retrain, (retrain::metric_batch))
CAF_ADD_TYPE_ID(retrain, (retrain::ingest_ack))
CAF_ADD_TYPE_ID(retrain, (retrain::ingest_actor))

// -- message types ----------------------------------------------------------

CAF_ADD_TYPE_ID(retrain, (retrain::batch_report))
CAF_ADD_TYPE_ID(retrain, (retrain::coordinator_status))
CAF_ADD_TYPE_ID(retrain, (retrain::core::strategy_snapshot))
CAF_ADD_TYPE_ID(retrain, (retrain::event_reject))
CAF_ADD_TYPE_ID(retrain, (retrain::job_record))
CAF_ADD_TYPE_ID(retrain, (retrain::job_result))
CAF_ADD_TYPE_ID(retrain, (retrain::job_state))
CAF_ADD_TYPE_ID(retrain, (retrain::job_update))
CAF_ADD_TYPE_ID(retrain, (retrain::kind_status))
CAF_ADD_TYPE_ID(retrain, (retrain::line_state))
CAF_ADD_TYPE_ID(retrain, (retrain::metric_run))
CAF_ADD_TYPE_ID(retrain, (retrain::model_status))
CAF_ADD_TYPE_ID(retrain, (retrain::model_version))
CAF_ADD_TYPE_ID(retrain, (retrain::monitor_snapshot))
CAF_ADD_TYPE_ID(retrain, (retrain::monitor_stats))
CAF_ADD_TYPE_ID(retrain, (retrain::register_version))
CAF_ADD_TYPE_ID(retrain, (retrain::retrain_job))
CAF_ADD_TYPE_ID(retrain, (retrain::retrain_trigger))
CAF_ADD_TYPE_ID(retrain, (retrain::trigger_ack))
CAF_ADD_TYPE_ID(retrain, (retrain::trigger_outcome))
CAF_ADD_TYPE_ID(retrain, (retrain::run_event))
CAF_ADD_TYPE_ID(retrain, (retrain::trigger_reason))
CAF_ADD_TYPE_ID(retrain, (retrain::worker_status))

// -- vectors sent as replies ------------------------------------------------

CAF_ADD_TYPE_ID(retrain, (std::vector<retrain::job_record>) )
CAF_ADD_TYPE_ID(retrain, (std::vector<retrain::line_state>) )
CAF_ADD_TYPE_ID(retrain, (std::vector<retrain::model_status>) )
CAF_ADD_TYPE_ID(retrain, (std::vector<retrain::model_version>) )

// -- typed actor handles ----------------------------------------------------

CAF_ADD_TYPE_ID(retrain, (retrain::coordinator_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::coordinator_link_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::dispatcher_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::explain_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::job_news_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::job_result_sink_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::line_news_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::monitor_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::monitor_node_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::monitor_parent_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::monitor_stats_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::monitor_status_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::registry_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::retrain_worker_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::supervisor_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::trigger_sink_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::versions_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::worker_home_actor))

// -- appended: the public edge ----------------------------------------------

CAF_ADD_TYPE_ID(retrain, (retrain::link_status))
CAF_ADD_TYPE_ID(retrain, (retrain::link_status_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::monitor_forget_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::model_query))
CAF_ADD_TYPE_ID(retrain, (retrain::model_page))
CAF_ADD_TYPE_ID(retrain, (retrain::monitor_query_actor))

// -- appended: history for the dashboard ------------------------------------

CAF_ADD_TYPE_ID(retrain, (retrain::kind_history))
CAF_ADD_TYPE_ID(retrain, (retrain::trigger_mark))
CAF_ADD_TYPE_ID(retrain, (retrain::model_history))
CAF_ADD_TYPE_ID(retrain, (retrain::monitor_history_actor))

// -- appended: policies per model line --------------------------------------

CAF_ADD_TYPE_ID(retrain, (retrain::monitor_policy))
CAF_ADD_TYPE_ID(retrain, (retrain::policy_change))
CAF_ADD_TYPE_ID(retrain, (retrain::policy_record))
CAF_ADD_TYPE_ID(retrain, (retrain::policy_set))
CAF_ADD_TYPE_ID(retrain, (retrain::core::policy_explanation))
CAF_ADD_TYPE_ID(retrain, (retrain::core::policy_source))
CAF_ADD_TYPE_ID(retrain, (std::vector<retrain::policy_record>) )
CAF_ADD_TYPE_ID(retrain, (retrain::policy_news_actor))

// -- appended: the shard map of the monitor tier ----------------------------

CAF_ADD_TYPE_ID(retrain, (retrain::shard_member))
CAF_ADD_TYPE_ID(retrain, (retrain::shard_table))
CAF_ADD_TYPE_ID(retrain, (retrain::shard_news_actor))
CAF_ADD_TYPE_ID(retrain, (retrain::shard_batch))
CAF_ADD_TYPE_ID(retrain, (retrain::shard_reply))
CAF_ADD_TYPE_ID(retrain, (retrain::shard_router_actor))

// -- appended: the ownership lease of monitor nodes -------------------------

CAF_ADD_TYPE_ID(retrain, (retrain::lease_batch))
CAF_ADD_TYPE_ID(retrain, (retrain::lease_report))
// -- appended: durable monitor state and handoff -----------------------------

CAF_ADD_TYPE_ID(retrain, (retrain::stored_snapshot))
CAF_ADD_TYPE_ID(retrain, (retrain::snapshot_shipment))
CAF_ADD_TYPE_ID(retrain, (std::vector<uint32_t>) )
CAF_ADD_TYPE_ID(retrain, (std::vector<retrain::monitor_snapshot>) )

// -- appended: idempotent ingest --------------------------------------------

CAF_ADD_TYPE_ID(retrain, (retrain::idempotent_ingest_actor))

CAF_END_TYPE_ID_BLOCK(retrain)

#endif // RETRAIN_FWD_HPP
