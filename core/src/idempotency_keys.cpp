#include "retrain/core/idempotency_keys.hpp"

namespace retrain::core {

bool valid_idempotency_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > max_idempotency_key)
    return false;
  for (auto c : key)
    if (c < 0x21 || c > 0x7e)
      return false;
  return true;
}

} // namespace retrain::core
