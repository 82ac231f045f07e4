#include "retrain/ec.hpp"

namespace retrain {

caf::error to_error(core::failure x) {
  if (!x)
    return caf::none;
  return caf::make_error(to_ec(x.code), std::move(x.message));
}

} // namespace retrain
