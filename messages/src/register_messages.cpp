#include "retrain/register_messages.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

#include "retrain/messages.hpp"

namespace retrain {

namespace {

// Renders `retrain::<code>: <context>`, showing a text context as is.
std::string render_error(uint8_t code, caf::atom_value,
                         const caf::message& ctx) {
  auto result = "retrain::" + to_string(static_cast<ec>(code));
  if (ctx.match_elements<std::string>())
    result += ": " + ctx.get_as<std::string>(0);
  else if (!ctx.empty())
    result += ": " + caf::to_string(ctx);
  return result;
}

} // namespace

void register_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<metric_kind>("retrain::metric_kind")
    .add_message_type<metric_event>("retrain::metric_event")
    .add_message_type<metric_batch>("retrain::metric_batch")
    .add_message_type<run_event>("retrain::run_event")
    .add_message_type<metric_run>("retrain::metric_run")
    .add_message_type<ingest_ack>("retrain::ingest_ack")
    .add_message_type<event_reject>("retrain::event_reject")
    .add_message_type<batch_report>("retrain::batch_report")
    .add_message_type<trigger_reason>("retrain::trigger_reason")
    .add_message_type<retrain_trigger>("retrain::retrain_trigger")
    .add_message_type<job_state>("retrain::job_state")
    .add_message_type<retrain_job>("retrain::retrain_job")
    .add_message_type<job_result>("retrain::job_result")
    .add_message_type<job_record>("retrain::job_record")
    .add_message_type<job_update>("retrain::job_update")
    .add_message_type<line_state>("retrain::line_state")
    .add_message_type<register_version>("retrain::register_version")
    .add_message_type<model_version>("retrain::model_version")
    .add_message_type<kind_status>("retrain::kind_status")
    .add_message_type<model_status>("retrain::model_status")
    .add_message_type<core::strategy_snapshot>("retrain::strategy_snapshot")
    .add_message_type<monitor_snapshot>("retrain::monitor_snapshot")
    .add_message_type<monitor_stats>("retrain::monitor_stats")
    .add_message_type<worker_status>("retrain::worker_status")
    .add_message_type<coordinator_status>("retrain::coordinator_status")
    .add_message_type<ingest_actor>("retrain::ingest_actor")
    .add_message_type<monitor_node_actor>("retrain::monitor_node_actor")
    .add_message_type<retrain_worker_actor>("retrain::retrain_worker_actor")
    .add_message_type<monitor_actor>("retrain::monitor_actor")
    .add_message_type<supervisor_actor>("retrain::supervisor_actor")
    .add_message_type<registry_actor>("retrain::registry_actor")
    .add_message_type<dispatcher_actor>("retrain::dispatcher_actor");
  cfg.add_error_category(caf::atom("retrain"), render_error);
  cfg.set("middleman.app-identifiers",
          std::vector<std::string>{protocol_version});
}

} // namespace retrain
