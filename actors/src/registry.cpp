#include "retrain/registry.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/result.hpp>

#include "retrain/core/model_id.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"
#include "retrain/unix_time.hpp"

namespace retrain {

namespace {

using self_ptr = registry_actor::stateful_pointer<registry_state>;

caf::result<model_version> handle_register(self_ptr self,
                                           const register_version& msg) {
  // Job ids start at 1; a 0 is an unset field, and registering it would make
  // every such request share one version.
  if (msg.job_id == 0)
    return caf::make_error(ec::no_such_job, "register_version for " + msg.model
                                              + " has no job id (0)");
  auto model = core::parse_model_id(msg.model);
  if (!model)
    return to_error(std::move(model.error()));
  auto& store = *self->state.store;
  // A repeat (e.g. a worker retrying after a lost reply) gets the recorded
  // version back and is not logged as a new one.
  auto existing = store.version_of_job(msg.job_id);
  if (!existing) {
    log().error("registry#{} {}", self->id(),
                storage_error_text(existing.error()));
    return std::move(existing.error());
  }
  if (*existing) {
    log().debug("registry#{} job {} already registered {} {}", self->id(),
                msg.job_id, (*existing)->line, (*existing)->version);
    return std::move(**existing);
  }
  std::optional<core::semver> floor;
  if (!msg.base_version.empty()) {
    auto parsed = core::parse_semver(msg.base_version);
    if (!parsed)
      return caf::make_error(ec::invalid_model_id,
                             "register_version for job "
                               + std::to_string(msg.job_id) + ": base version "
                               + parsed.error().message);
    floor = std::move(*parsed);
  }
  auto result = store.register_version(msg.job_id, *model, msg.reason,
                                       msg.artifact, unix_now_ns(), floor);
  if (!result) {
    log().error("registry#{} {}", self->id(),
                storage_error_text(result.error()));
    return std::move(result.error());
  }
  log().info("registry#{} registered {} {} (parent {}, job {})", self->id(),
             result->line, result->version, result->parent, result->job_id);
  return std::move(*result);
}

caf::result<std::vector<model_version>>
handle_versions(self_ptr self, const std::string& line) {
  auto parsed = core::parse_model_line(line);
  if (!parsed)
    return to_error(std::move(parsed.error()));
  auto result = self->state.store->versions(*parsed);
  if (!result) {
    log().error("registry#{} {}", self->id(),
                storage_error_text(result.error()));
    return std::move(result.error());
  }
  return std::move(*result);
}

} // namespace

registry_actor::behavior_type registry(self_ptr self,
                                       std::unique_ptr<version_store> store) {
  // Quitting here means the handlers below never run without a store.
  if (!store)
    self->quit(caf::make_error(ec::storage_failure,
                               "registry started without a database"));
  self->state.store = std::move(store);
  return {
    [self](const register_version& msg) -> caf::result<model_version> {
      return handle_register(self, msg);
    },
    [self](atom::versions,
           const std::string& line) -> caf::result<std::vector<model_version>> {
      return handle_versions(self, line);
    },
  };
}

} // namespace retrain
