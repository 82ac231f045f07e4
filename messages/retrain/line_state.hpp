#pragma once

#include <string>

#include <caf/meta/type_name.hpp>

namespace retrain {

/// What a monitor needs to know about its model line: whether a job is
/// queued or running (it stays quiet then) and the latest registered version
/// (older models stand down).
struct line_state {
  /// `<project>:<name>`.
  std::string line;
  bool busy = false;
  /// Latest registered version, or empty.
  std::string latest;
};

/// @relates line_state
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, line_state& x) {
  return f(caf::meta::type_name("line_state"), x.line, x.busy, x.latest);
}

} // namespace retrain
