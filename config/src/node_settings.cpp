#include "retrain/node_settings.hpp"

#include <algorithm>
#include <iterator>

#include "retrain/config_error.hpp"
#include "retrain/exposure.hpp"
#include "scalar_text.hpp"

namespace retrain {

namespace {

// More workers than this on one node is a typo, not a plan.
constexpr uint32_t max_workers = 1024;

} // namespace

caf::error node_settings::validate() const {
  using namespace std::chrono_literals;
  if (workers > max_workers)
    return config_error("retrain.workers=" + std::to_string(workers)
                        + " is outside [0, " + std::to_string(max_workers)
                        + "]");
  if (request_timeout <= 0ms)
    return config_error("retrain.request-timeout must be greater than 0");
  if (shutdown_grace < 0ms)
    return config_error("retrain.shutdown-grace must not be negative");
  static const char* levels[] = {"trace", "debug",    "info", "warn",
                                 "error", "critical", "off"};
  if (std::find(std::begin(levels), std::end(levels), log_level)
      == std::end(levels))
    return config_error("retrain.log-level=" + detail::quote(log_level)
                        + " is not one of trace, debug, info, warn, error, "
                          "critical, off");
  if (log_format != "text" && log_format != "json")
    return config_error("retrain.log-format=" + detail::quote(log_format)
                        + " is not one of text, json");
  for (auto& ep : coordinator.all())
    if (ep.host.empty() || ep.port == 0)
      return config_error("retrain.coordinator="
                          + detail::quote(to_string(coordinator))
                          + " is not HOST:PORT with a port within [1, 65535]");
  if (!apply_journal.empty()
      && (apply_journal.back() == '/' || apply_journal == "."
          || apply_journal == ".."))
    return config_error("retrain.cluster.apply-journal="
                        + detail::quote(apply_journal)
                        + " names a directory, not a file");
  // A monitor node's name in the shard map is where the others reach it:
  // two nodes on a wildcard would share one name (two owners of a shard),
  // and the others would connect to themselves.
  if (role == node_role::monitor && is_wildcard_host(host))
    return config_error("retrain.host=" + detail::quote(host)
                        + " is a wildcard: a monitor node is named in the "
                          "shard map by retrain.host:retrain.ingest-port, and "
                          "the other monitor nodes reach it there; give the "
                          "address they reach this node at");
  if (auto err = edge.validate())
    return err;
  if (role == node_role::all || role == node_role::monitor)
    if (auto err = monitor.validate())
      return err;
  if (role != node_role::monitor)
    if (auto err = job.validate())
      return err;
  return caf::none;
}

} // namespace retrain
