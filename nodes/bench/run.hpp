#pragma once

#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "bench/options.hpp"

namespace retrain::bench {

/// `retrain-bench local`: the node's actors in this process.
caf::error run_local(caf::actor_system& sys, const options& opt);

/// `retrain-bench remote`: batches to a running monitor node.
caf::error run_remote(caf::actor_system& sys, const options& opt);

/// `retrain-bench http`: JSON batches to a running node's
/// `POST /v1/events`.
caf::error run_http(const options& opt);

/// `retrain-bench memory`: RSS per monitored model.
caf::error run_memory(caf::actor_system& sys, const options& opt);

} // namespace retrain::bench
