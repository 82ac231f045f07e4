#pragma once

#include <spdlog/spdlog.h>

namespace retrain {

/// The node's logger. Nodes install it at start (`spdlog::set_default_logger`);
/// tests get spdlog's default. Actor lines start with `<name>#<id>`.
inline spdlog::logger& log() {
  return *spdlog::default_logger_raw();
}

} // namespace retrain
