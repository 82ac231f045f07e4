#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <caf/deserializer.hpp>
#include <caf/serializer.hpp>

namespace retrain::detail {

/// Wraps a double so that it crosses the wire bit for bit.
///
/// CAF 0.17's binary format packs doubles with `detail::pack754`, which
/// loops forever on infinities, garbles NaN and subnormals and drops the
/// sign of -0.0. A NaN a producer sends must arrive as NaN so that ingest
/// can refuse it with a reason, so doubles travel as their IEEE 754 bit
/// pattern instead. Text output (logs, test messages) still shows the value.
struct exact_double {
  double& value;
};

/// Returns a wrapper for use in `inspect` functions.
inline exact_double exact(double& x) {
  return exact_double{x};
}

/// @relates exact_double
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exact_double x) {
  static_assert(sizeof(double) == sizeof(uint64_t));
  if constexpr (std::is_base_of<caf::serializer, Inspector>::value) {
    uint64_t bits;
    std::memcpy(&bits, &x.value, sizeof(bits));
    return f(bits);
  } else if constexpr (std::is_base_of<caf::deserializer, Inspector>::value) {
    uint64_t bits = 0;
    auto result = f(bits);
    std::memcpy(&x.value, &bits, sizeof(bits));
    return result;
  } else {
    return f(x.value);
  }
}

} // namespace retrain::detail

namespace retrain::detail {

/// Same as `exact_double` for a vector of doubles.
struct exact_doubles {
  std::vector<double>& values;
};

/// Returns a wrapper for use in `inspect` functions.
inline exact_doubles exact(std::vector<double>& xs) {
  return exact_doubles{xs};
}

/// @relates exact_doubles
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exact_doubles x) {
  if constexpr (std::is_base_of<caf::serializer, Inspector>::value) {
    std::vector<uint64_t> bits(x.values.size());
    if (!bits.empty())
      std::memcpy(bits.data(), x.values.data(), bits.size() * sizeof(double));
    return f(bits);
  } else if constexpr (std::is_base_of<caf::deserializer, Inspector>::value) {
    std::vector<uint64_t> bits;
    auto result = f(bits);
    x.values.resize(bits.size());
    if (!bits.empty())
      std::memcpy(x.values.data(), bits.data(), bits.size() * sizeof(double));
    return result;
  } else {
    return f(x.values);
  }
}

} // namespace retrain::detail
