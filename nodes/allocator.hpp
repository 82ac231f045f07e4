#pragma once

#include <cstddef>

#include <dlfcn.h>
#include <malloc.h>

namespace retrain {

/// The malloc this process runs on: "jemalloc" when it was linked in (see
/// RETRAIN_JEMALLOC), else "glibc". For logs and benchmark reports.
inline const char* allocator_name() {
  return dlsym(RTLD_DEFAULT, "mallctl") != nullptr ? "jemalloc" : "glibc";
}

/// Gives the pages of freed memory back to the system, so that RSS counts
/// live memory only (benchmarks of memory per model call it before they
/// read RSS).
inline void release_free_memory() {
  using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*,
                             std::size_t);
  if (auto f = reinterpret_cast<mallctl_fn>(dlsym(RTLD_DEFAULT, "mallctl"))) {
    // 4096 is MALLCTL_ARENAS_ALL: every arena.
    f("arena.4096.purge", nullptr, nullptr, nullptr, 0);
    return;
  }
  malloc_trim(0);
}

} // namespace retrain
