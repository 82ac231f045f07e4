#include "retrain/register_messages.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

#include "retrain/messages.hpp"

namespace retrain {

namespace {

// Renders `retrain::<code>: <context>`, showing a text context as is.
std::string render_error(uint8_t code, caf::atom_value,
                         const caf::message& ctx) {
  auto result = "retrain::" + to_string(static_cast<ec>(code));
  if (ctx.match_elements<std::string>())
    result += ": " + ctx.get_as<std::string>(0);
  else if (!ctx.empty())
    result += ": " + caf::to_string(ctx);
  return result;
}

} // namespace

void register_messages(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::retrain>();
  cfg.add_error_category(caf::atom("retrain"), render_error);
  cfg.set("middleman.app-identifiers",
          std::vector<std::string>{protocol_version});
}

} // namespace retrain
