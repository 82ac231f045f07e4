#include "retrain/core/strategy.hpp"

#include <cmath>
#include <sstream>

namespace retrain::core {

strategy::~strategy() {
  // nop
}

std::string_view to_string(verdict x) noexcept {
  switch (x) {
    case verdict::none:
      return "none";
    case verdict::warning:
      return "warning";
    case verdict::drift:
      return "drift";
  }
  return "<invalid>";
}

failure strategy::check(double x) const {
  if (!std::isfinite(x)) {
    std::ostringstream out;
    out << "value " << x << " is not finite";
    return fail(errc::invalid_value, out.str());
  }
  return {};
}

} // namespace retrain::core
