#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

/// Stops the run when an invariant of the code under test fails: libFuzzer
/// records the input as a crash, the corpus replay fails.
#define RETRAIN_FUZZ_CHECK(cond)                                               \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__,        \
                   __LINE__, #cond);                                           \
      std::abort();                                                            \
    }                                                                          \
  } while (false)

namespace retrain::fuzz {

/// The input as text.
inline std::string_view as_text(const uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Whether `str` is printable ASCII only, as every message that echoes
/// input must be (control bytes and non-ASCII escaped as `\xNN`).
inline bool printable(std::string_view str) {
  for (auto c : str)
    if (c < 0x20 || c >= 0x7f)
      return false;
  return true;
}

} // namespace retrain::fuzz
