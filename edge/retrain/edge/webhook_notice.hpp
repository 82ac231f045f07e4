#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "retrain/edge/render_json.hpp"
#include "retrain/job_record.hpp"
#include "retrain/model_version.hpp"
#include "retrain/retrain_trigger.hpp"

namespace retrain::edge {

/// Version of the webhook body (`"schema"`): raised when a field changes
/// meaning or goes away; new fields may come without it.
inline constexpr int webhook_schema = 1;

/// One event for webhook receivers: its name (`drift`, `job.queued`, ...),
/// when it happened and the fields that say what happened.
struct webhook_notice {
  /// `drift`, `job.queued`, `job.started`, `job.succeeded`, `job.failed` or
  /// `version.registered`.
  std::string event;
  /// Unix time in ns of the event on the coordinator.
  int64_t time_ns = 0;
  /// What each event carries (see the README's "Webhooks").
  boost::json::object fields;
};

/// A drift: `trigger` made `job` (state `queued`, nothing merged) or was
/// merged into it.
webhook_notice drift_notice(const retrain_trigger& trigger,
                            const job_record& job);

/// A job transition: `job.queued`, `job.started` (state `running`),
/// `job.succeeded` or `job.failed`, by the state of `job`.
webhook_notice job_notice(const job_record& job);

/// A version registered for a succeeded job.
webhook_notice version_notice(const model_version& version);

/// The JSON body of delivery `id` of `notice`: `schema`, `event`, `id`,
/// `time` (ISO 8601, UTC, milliseconds) and the notice's fields.
std::string webhook_body(const webhook_notice& notice, std::string_view id);

/// A random delivery id in the form of a version 4 UUID, from 128 random
/// bits (`hi`, `lo`).
std::string delivery_id(uint64_t hi, uint64_t lo);

/// The lowercase hex HMAC-SHA256 of `body` under `key`: what
/// `X-Retrain-Signature: sha256=<hex>` carries.
std::string hmac_sha256_hex(std::string_view key, std::string_view body);

/// `url` without user info, query and fragment, for logs (they may hold
/// credentials).
std::string redact_url(std::string_view url);

} // namespace retrain::edge
