#include "retrain/edge_config.hpp"

#include "retrain/config_error.hpp"
#include "scalar_text.hpp"

namespace retrain {

namespace {

// Limits beyond these are typos, not plans.
constexpr uint64_t max_body_limit = uint64_t{1} << 30;
constexpr uint32_t max_connections_limit = 4096;
constexpr uint32_t max_webhook_queue = 10'000'000;
constexpr uint32_t max_webhook_attempts = 100;

} // namespace

caf::error edge_config::validate() const {
  using namespace std::chrono_literals;
  if (http_max_body < 1024 || http_max_body > max_body_limit)
    return config_error("retrain.http-max-body=" + std::to_string(http_max_body)
                        + " is outside [1024, 1073741824] (bytes)");
  if (http_read_timeout <= 0ms)
    return config_error("retrain.http-read-timeout must be greater than 0");
  if (http_max_connections < 1 || http_max_connections > max_connections_limit)
    return config_error("retrain.http-max-connections="
                        + std::to_string(http_max_connections)
                        + " is outside [1, 4096]");
  for (auto& url : webhooks)
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      return config_error("retrain.webhooks: " + detail::quote(url)
                          + " is not an http:// or https:// URL");
  if (webhook_queue < 1 || webhook_queue > max_webhook_queue)
    return config_error("retrain.webhook-queue=" + std::to_string(webhook_queue)
                        + " is outside [1, 10000000]");
  if (webhook_max_attempts < 1 || webhook_max_attempts > max_webhook_attempts)
    return config_error("retrain.webhook-max-attempts="
                        + std::to_string(webhook_max_attempts)
                        + " is outside [1, 100]");
  return caf::none;
}

} // namespace retrain
