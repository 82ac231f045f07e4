#pragma once

#include <optional>
#include <vector>

namespace retrain::core {

/// `bytes` with every run of zero bytes (up to 255 at a time) written as
/// one zero byte followed by the run's length; other bytes stay as they
/// are. Serialized records full of fixed-width counters that are mostly
/// zero shrink by a third or more. The result is exactly sized (kept per
/// model).
std::vector<char> pack_zero_runs(const std::vector<char>& bytes);

/// The bytes `packed` came from, or nothing if it is not the output of
/// `pack_zero_runs` (a zero at its end without a length, or a length of 0).
std::optional<std::vector<char>>
unpack_zero_runs(const std::vector<char>& packed);

} // namespace retrain::core
