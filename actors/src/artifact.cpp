#include "retrain/artifact.hpp"

#include <boost/json.hpp>

#include "retrain/ec.hpp"

namespace retrain {

namespace {

caf::error no_artifact(const std::string& why) {
  return caf::make_error(ec::invalid_value, "no artifact: " + why);
}

} // namespace

caf::expected<std::string> parse_artifact(std::string_view last_line) {
  if (last_line.empty())
    return no_artifact("the command wrote nothing to stdout");
  boost::json::error_code err;
  auto value = boost::json::parse(last_line, err);
  if (err)
    return no_artifact("last stdout line is not JSON (" + err.message() + ")");
  auto* obj = value.if_object();
  if (obj == nullptr)
    return no_artifact("last stdout line is JSON but not an object");
  auto* field = obj->if_contains("artifact");
  if (field == nullptr)
    return no_artifact("last stdout line has no field \"artifact\"");
  auto* str = field->if_string();
  if (str == nullptr)
    return no_artifact("field \"artifact\" of the last stdout line is not a "
                       "string");
  if (str->empty())
    return no_artifact("field \"artifact\" of the last stdout line is empty");
  return std::string{str->data(), str->size()};
}

} // namespace retrain
