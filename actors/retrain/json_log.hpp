#pragma once

#include <memory>
#include <string>

#include <spdlog/formatter.h>

namespace retrain {

/// A spdlog formatter that writes one JSON object per line, for log
/// shippers (journald, Vector, Fluent Bit, Loki):
/// `{"time":"2026-11-28T18:43:00.123Z","level":"info","role":"monitor",
/// "actor":"dispatcher#12","message":"...","job":5,"attempt":1,
/// "model":"cv:a:1.0.0","line":"cv:a"}`. `actor`, `job`, `attempt`,
/// `model` and `line` appear when the message names them
/// (`core::find_log_fields`).
std::unique_ptr<spdlog::formatter> make_json_formatter(std::string role);

} // namespace retrain
