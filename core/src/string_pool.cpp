#include "retrain/core/string_pool.hpp"

namespace retrain::core {

uint32_t string_pool::intern(std::string_view x) {
  if (auto i = ids_.find(x); i != ids_.end())
    return i->second;
  auto id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(x);
  ids_.emplace(strings_.back(), id);
  return id;
}

std::optional<std::string_view> string_pool::find(uint32_t id) const {
  if (id >= strings_.size())
    return std::nullopt;
  return std::string_view{strings_[id]};
}

} // namespace retrain::core
