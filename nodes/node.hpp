#pragma once

#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "retrain/node_config.hpp"

namespace retrain {

/// Spawns the actors of `cfg.role`, publishes them and serves until SIGINT
/// or SIGTERM (which the caller must have blocked in every thread).
caf::error run_node(caf::actor_system& sys, const node_settings& cfg);

} // namespace retrain
