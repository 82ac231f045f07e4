#include "retrain/json_log.hpp"

#include <chrono>
#include <ctime>

#include <boost/json.hpp>
#include <spdlog/details/log_msg.h>

#include "retrain/core/log_fields.hpp"

namespace retrain {

namespace {

namespace json = boost::json;

// `2026-11-28T18:43:00.123Z`
std::string iso_time(spdlog::log_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03dZ", static_cast<int>(ms % 1000));
  return std::string{buf, n} + frac;
}

class json_formatter final : public spdlog::formatter {
public:
  explicit json_formatter(std::string role) : role_(std::move(role)) {
    // nop
  }

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    std::string_view text{msg.payload.data(), msg.payload.size()};
    json::object line;
    line["time"] = iso_time(msg.time);
    auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string_view{level.data(), level.size()};
    line["role"] = role_;
    auto fields = core::find_log_fields(text);
    if (!fields.actor.empty())
      line["actor"] = fields.actor;
    line["message"] = text;
    if (fields.job)
      line["job"] = *fields.job;
    if (fields.attempt)
      line["attempt"] = *fields.attempt;
    if (!fields.model.empty())
      line["model"] = fields.model;
    if (!fields.line.empty())
      line["line"] = fields.line;
    auto out = json::serialize(line);
    out += '\n';
    dest.append(out.data(), out.data() + out.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>(role_);
  }

private:
  std::string role_;
};

} // namespace

std::unique_ptr<spdlog::formatter> make_json_formatter(std::string role) {
  return std::make_unique<json_formatter>(std::move(role));
}

} // namespace retrain
