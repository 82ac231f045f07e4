#include "retrain/job_config.hpp"

#include "retrain/config_error.hpp"

namespace retrain {

caf::error job_config::validate() const {
  using namespace std::chrono_literals;
  if (simulated_duration < 0ms)
    return config_error("retrain.job.simulated-duration must not be negative");
  if (timeout <= 0ms)
    return config_error("retrain.job.timeout must be greater than 0");
  if (max_attempts < 1 || max_attempts > 100)
    return config_error("retrain.job.max-attempts must be within [1, 100]");
  if (retry_delay < 0ms)
    return config_error("retrain.job.retry-delay must not be negative");
  if (retry_cap < retry_delay)
    return config_error("retrain.job.retry-cap must be at least "
                        "retrain.job.retry-delay");
  if (shards < 1 || shards > defaults::cluster::max_shards)
    return config_error("retrain.cluster.shards must be within [1, "
                        + std::to_string(defaults::cluster::max_shards)
                        + "], not " + std::to_string(shards));
  if (!command.empty() && command.front().empty())
    return config_error("retrain.job.command: the program name is empty");
  if (!registry_url.empty()) {
    // Only the scheme is quoted: the rest may hold a password.
    auto scheme = registry_url.substr(0, registry_url.find("://"));
    if (scheme.size() > 20)
      scheme = scheme.substr(0, 20) + "...";
    if (scheme != "postgresql" && scheme != "postgres")
      return config_error("retrain.registry.url must be a PostgreSQL URL, "
                          "postgresql://user:password@host:port/dbname (or "
                          "empty for SQLite in the data dir), not one "
                          "starting with '"
                          + scheme + "'");
    for (auto c : registry_url)
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
        return config_error("retrain.registry.url contains a space or a "
                            "control character; percent-encode it");
  }
  // Below 500 ms a renewal (every fifth) competes with ordinary load; the
  // cap keeps a takeover within minutes.
  if (lease_timeout < std::chrono::milliseconds{500}
      || lease_timeout > std::chrono::minutes{10})
    return config_error("retrain.registry.lease-timeout="
                        + std::to_string(lease_timeout.count())
                        + "ms is outside [500ms, 10min]");
  return caf::none;
}

void job_config::fill(core::policy_base& base) const {
  base.max_attempts = max_attempts;
  base.timeout = timeout;
  base.command = command;
}

} // namespace retrain
