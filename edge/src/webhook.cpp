#include "retrain/edge/webhook.hpp"

#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <caf/typed_event_based_actor.hpp>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include "retrain/edge/delivery_queue.hpp"
#include "retrain/edge/webhook_notice.hpp"

namespace retrain::edge {

core::backoff webhook_backoff() {
  return core::backoff{std::chrono::milliseconds{500}, std::chrono::seconds{30},
                       0.2};
}

namespace {

spdlog::logger& log() {
  return *spdlog::default_logger_raw();
}

// -- HTTP ---------------------------------------------------------------------

// What a receiver answered: an HTTP status, or why there was none.
struct answer {
  long status = 0;
  std::string error;

  bool ok() const {
    return error.empty() && status >= 200 && status < 300;
  }

  std::string describe() const {
    return error.empty() ? "HTTP " + std::to_string(status) : error;
  }
};

// One libcurl handle, kept between requests so that connections to a
// receiver are reused.
class http_client {
public:
  http_client() : curl_(curl_easy_init()) {
    // nop
  }

  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  ~http_client() {
    if (curl_ != nullptr)
      curl_easy_cleanup(curl_);
  }

  // POSTs `body` with `headers` to `url`; blocks for at most
  // `webhook_request_timeout`.
  answer post(const std::string& url, const std::string& body,
              const std::vector<std::string>& headers) {
    answer result;
    if (curl_ == nullptr) {
      result.error = "libcurl could not make a handle";
      return result;
    }
    curl_slist* list = nullptr;
    for (auto& h : headers)
      list = curl_slist_append(list, h.c_str());
    curl_easy_reset(curl_);
    char err[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(webhook_connect_timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(webhook_request_timeout.count()));
    // Timeouts without SIGALRM: this thread is one of many.
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &discard);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, err);
    auto rc = curl_easy_perform(curl_);
    if (rc != CURLE_OK) {
      result.error = err[0] != '\0' ? err : curl_easy_strerror(rc);
    } else {
      curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &result.status);
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(list);
    return result;
  }

private:
  // What a receiver answers is not read.
  static size_t discard(char*, size_t size, size_t n, void*) {
    return size * n;
  }

  CURL* curl_;
};

// -- the actor ----------------------------------------------------------------

using webhook_self_actor = news_actor::extend<
  /// To itself, now or by timer: send the next delivery that is due.
  caf::reacts_to<atom::deliver>>;

using clock = delivery_queue::clock;

/// State of the webhook sender.
///
/// ```
///  notice --> queued per URL --(2xx)--> delivered
///                 ^     |
///                 +-----+--(else, attempts left: wait the backoff)
///                       +--(else, last attempt)--> given up
///  notice, queue full --> dropped
/// ```
struct webhook_state {
  static inline const char* name = "webhook";

  std::vector<std::string> urls;
  std::string secret;
  std::optional<delivery_queue> queue;
  std::shared_ptr<webhook_counters> counters;
  std::unique_ptr<http_client> http;
  std::mt19937_64 rng{std::random_device{}()};
  /// Whether an immediate `atom::deliver` is on its way.
  bool kicked = false;
  /// When the pending timer fires, if one is pending.
  std::optional<clock::time_point> timer_at;
  /// Deliveries dropped since the queue last had room.
  uint64_t dropped_run = 0;
};

using self_ptr = webhook_self_actor::stateful_pointer<webhook_state>;

// Sends itself the next `deliver`: at once when a delivery is due, else at
// the earliest retry time.
void pump(self_ptr self) {
  auto& st = self->state;
  auto next = st.queue->next_retry();
  if (!next)
    return;
  auto now = clock::now();
  if (*next <= now) {
    if (!st.kicked) {
      st.kicked = true;
      self->send(self, atom::deliver::value);
    }
    return;
  }
  if (st.timer_at && *st.timer_at <= *next)
    return;
  st.timer_at = *next;
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - now);
  self->delayed_send(self, wait, atom::deliver::value);
}

void take(self_ptr self, const webhook_notice& notice) {
  auto& st = self->state;
  std::uniform_int_distribution<uint64_t> bits;
  delivery d;
  d.id = delivery_id(bits(st.rng), bits(st.rng));
  d.event = notice.event;
  d.body = webhook_body(notice, d.id);
  auto dropped = st.queue->push(d);
  auto taken = st.urls.size() - dropped;
  st.counters->queued += taken;
  if (dropped > 0) {
    st.counters->dropped += dropped;
    if (st.dropped_run == 0)
      log().warn("{}#{} queue full ({} deliveries wait, "
                 "retrain.webhook-queue): dropping {} {} for {} URLs and "
                 "what follows until there is room",
                 webhook_state::name, self->id(), st.queue->size(), d.event,
                 d.id, dropped);
    st.dropped_run += dropped;
  } else if (st.dropped_run > 0) {
    log().warn("{}#{} {} deliveries were dropped while the queue was full",
               webhook_state::name, self->id(), st.dropped_run);
    st.dropped_run = 0;
  }
  if (taken > 0)
    pump(self);
}

std::vector<std::string> headers_of(const webhook_state& st,
                                    const delivery& d) {
  std::vector<std::string> result{
    "Content-Type: application/json",
    "User-Agent: retrain-webhook/" + std::to_string(webhook_schema),
    "X-Retrain-Event: " + d.event,
    "X-Retrain-Delivery: " + d.id,
    // No `Expect: 100-continue` round trip before larger bodies.
    "Expect:",
  };
  if (!st.secret.empty())
    result.push_back("X-Retrain-Signature: sha256="
                     + hmac_sha256_hex(st.secret, d.body));
  return result;
}

// Sends the delivery that is due, if any, and records what became of it.
void deliver(self_ptr self) {
  auto& st = self->state;
  st.kicked = false;
  auto now = clock::now();
  if (st.timer_at && *st.timer_at <= now)
    st.timer_at.reset();
  auto receiver = st.queue->due(now);
  if (!receiver) {
    pump(self);
    return;
  }
  auto& url = st.urls[*receiver];
  // Copied: `done` drops the delivery from the queue.
  auto d = st.queue->front(*receiver);
  auto res = st.http->post(url, d.body, headers_of(st, d));
  std::uniform_real_distribution<double> unit{0.0, 1.0};
  auto v = st.queue->done(*receiver, res.ok(), clock::now(), unit(st.rng));
  switch (v.what) {
    case delivery_queue::outcome::delivered:
      ++st.counters->delivered;
      log().debug("{}#{} {} {} delivered to {} (attempt {})",
                  webhook_state::name, self->id(), d.event, d.id,
                  redact_url(url), v.attempt);
      break;
    case delivery_queue::outcome::retry: {
      ++st.counters->retried;
      auto ms
        = std::chrono::duration_cast<std::chrono::milliseconds>(v.retry_in);
      log().warn("{}#{} {} {} to {}: attempt {} failed ({}), retry in {} ms",
                 webhook_state::name, self->id(), d.event, d.id,
                 redact_url(url), v.attempt, res.describe(), ms.count());
      break;
    }
    case delivery_queue::outcome::given_up:
      ++st.counters->failed;
      log().error("{}#{} {} {} to {}: given up after {} attempts (last: {})",
                  webhook_state::name, self->id(), d.event, d.id,
                  redact_url(url), v.attempt, res.describe());
      break;
  }
  pump(self);
}

webhook_self_actor::behavior_type
webhook(self_ptr self, edge_config config,
        std::shared_ptr<webhook_counters> counters) {
  auto& st = self->state;
  st.urls = std::move(config.webhooks);
  st.secret = std::move(config.webhook_secret);
  st.queue.emplace(st.urls.size(), config.webhook_queue,
                   config.webhook_max_attempts, webhook_backoff());
  st.counters = std::move(counters);
  st.http = std::make_unique<http_client>();
  log().info("{}#{} sending drift, job and version events to {} URLs{}",
             webhook_state::name, self->id(), st.urls.size(),
             st.secret.empty() ? " (unsigned)" : ", signed");
  return {
    [=](atom::news, retrain_trigger& trigger, job_record& job) {
      take(self, drift_notice(trigger, job));
    },
    [=](atom::news, job_record& job) { take(self, job_notice(job)); },
    [=](atom::news, model_version& v) { take(self, version_notice(v)); },
    [=](atom::deliver) { deliver(self); },
  };
}

} // namespace

news_actor spawn_webhook(caf::actor_system& sys, const edge_config& config,
                         std::shared_ptr<webhook_counters> counters) {
  // libcurl's global set-up is not thread-safe: once, before the actor's
  // thread makes a handle.
  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (!counters)
    counters = std::make_shared<webhook_counters>();
  auto hdl = sys.spawn<caf::detached>(webhook, config, std::move(counters));
  return caf::actor_cast<news_actor>(hdl);
}

} // namespace retrain::edge
