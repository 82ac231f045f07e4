#include "retrain/config_error.hpp"

#include <caf/message.hpp>

#include "retrain/ec.hpp"

namespace retrain {

caf::error config_error(std::string text) {
  return caf::make_error(ec::invalid_config, std::move(text));
}

std::string error_text(const caf::error& err) {
  auto& context = err.context();
  if (err.category() == caf::atom("retrain")
      && context.match_elements<std::string>())
    return context.get_as<std::string>(0);
  return caf::to_string(err);
}

} // namespace retrain
