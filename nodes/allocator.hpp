#pragma once

#include <dlfcn.h>

namespace retrain {

/// The malloc this process runs on: "jemalloc" when it was linked in (see
/// RETRAIN_JEMALLOC), else "glibc". For logs and benchmark reports.
inline const char* allocator_name() {
  return dlsym(RTLD_DEFAULT, "mallctl") != nullptr ? "jemalloc" : "glibc";
}

} // namespace retrain
