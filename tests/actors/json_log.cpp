#define CAF_SUITE json_log
#include <caf/test/unit_test.hpp>

#include <boost/json.hpp>
#include <spdlog/details/log_msg.h>

#include "retrain/json_log.hpp"

using namespace retrain;

namespace {

boost::json::object format(spdlog::formatter& f, spdlog::level::level_enum lvl,
                           std::string_view text) {
  spdlog::details::log_msg msg{"retrain-node", lvl,
                               spdlog::string_view_t{text.data(), text.size()}};
  msg.time = spdlog::log_clock::time_point{
    std::chrono::milliseconds{1'795'000'000'123}};
  spdlog::memory_buf_t buf;
  f.format(msg, buf);
  std::string out{buf.data(), buf.size()};
  CAF_REQUIRE(!out.empty());
  CAF_CHECK_EQUAL(out.back(), '\n');
  CAF_CHECK_EQUAL(out.find('\n'), out.size() - 1); // one line per entry
  return boost::json::parse(out).as_object();
}

} // namespace

CAF_TEST(one JSON object per line with the fields the message names) {
  auto f = make_json_formatter("monitor");
  auto obj = format(*f, spdlog::level::warn,
                    "dispatcher#12 job 5 cv:a:1.0.0: attempt 2 failed");
  CAF_CHECK_EQUAL(obj.at("time").as_string(), "2026-11-18T11:06:40.123Z");
  CAF_CHECK_EQUAL(obj.at("level").as_string(), "warning");
  CAF_CHECK_EQUAL(obj.at("role").as_string(), "monitor");
  CAF_CHECK_EQUAL(obj.at("actor").as_string(), "dispatcher#12");
  CAF_CHECK_EQUAL(obj.at("message").as_string(),
                  "dispatcher#12 job 5 cv:a:1.0.0: attempt 2 failed");
  CAF_CHECK_EQUAL(obj.at("job").to_number<uint64_t>(), 5u);
  CAF_CHECK_EQUAL(obj.at("attempt").to_number<uint64_t>(), 2u);
  CAF_CHECK_EQUAL(obj.at("model").as_string(), "cv:a:1.0.0");
  CAF_CHECK_EQUAL(obj.at("line").as_string(), "cv:a");
}

CAF_TEST(fields a message does not name are left out) {
  auto f = make_json_formatter("all");
  auto obj = format(*f, spdlog::level::info, "retrain-node ready");
  CAF_CHECK_EQUAL(obj.size(), 4u); // time, level, role, message
  CAF_CHECK(!obj.contains("job"));
  CAF_CHECK(!obj.contains("actor"));
}

CAF_TEST(control bytes and quotes stay inside the JSON string) {
  auto f = make_json_formatter("all");
  auto clone = f->clone();
  auto obj = format(*clone, spdlog::level::err, "a \"b\"\n\x1b[31m c\\");
  CAF_CHECK_EQUAL(obj.at("message").as_string(), "a \"b\"\n\x1b[31m c\\");
  CAF_CHECK_EQUAL(obj.at("level").as_string(), "error");
}
