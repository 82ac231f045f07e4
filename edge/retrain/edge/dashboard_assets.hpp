#pragma once

#include <cstddef>
#include <string_view>

namespace retrain::edge {

/// One file of the dashboard, compiled into the binary
/// (`edge/dashboard/` and Debian's Chart.js, see `edge/CMakeLists.txt`).
struct dashboard_file {
  /// Its URL path, e.g. `/assets/app.js`.
  const char* path;
  const char* content_type;
  const unsigned char* data;
  std::size_t size;
};

/// The file served at `path`, or null.
const dashboard_file* dashboard_asset(std::string_view path);

} // namespace retrain::edge
