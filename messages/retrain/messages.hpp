#pragma once

/// The whole retrain wire contract.

#include "retrain/atoms.hpp"
#include "retrain/coordinator_status.hpp"
#include "retrain/ec.hpp"
#include "retrain/ingest_ack.hpp"
#include "retrain/interfaces.hpp"
#include "retrain/job_info.hpp"
#include "retrain/job_result.hpp"
#include "retrain/job_state.hpp"
#include "retrain/job_update.hpp"
#include "retrain/metric_batch.hpp"
#include "retrain/metric_event.hpp"
#include "retrain/metric_kind.hpp"
#include "retrain/model_status.hpp"
#include "retrain/model_version.hpp"
#include "retrain/monitor_snapshot.hpp"
#include "retrain/register_messages.hpp"
#include "retrain/register_version.hpp"
#include "retrain/retrain_job.hpp"
#include "retrain/retrain_trigger.hpp"
#include "retrain/trigger_reason.hpp"
