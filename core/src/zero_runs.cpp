#include "retrain/core/zero_runs.hpp"

#include <cstddef>

namespace retrain::core {

std::vector<char> pack_zero_runs(const std::vector<char>& bytes) {
  std::vector<char> out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    if (bytes[i] != 0) {
      out.push_back(bytes[i++]);
      continue;
    }
    std::size_t run = 0;
    while (i < bytes.size() && bytes[i] == 0 && run < 255) {
      ++run;
      ++i;
    }
    out.push_back(0);
    out.push_back(static_cast<char>(static_cast<unsigned char>(run)));
  }
  return std::vector<char>(out.begin(), out.end());
}

std::optional<std::vector<char>>
unpack_zero_runs(const std::vector<char>& packed) {
  std::vector<char> out;
  out.reserve(packed.size() * 2);
  for (std::size_t i = 0; i < packed.size(); ++i) {
    if (packed[i] != 0) {
      out.push_back(packed[i]);
      continue;
    }
    if (i + 1 == packed.size())
      return std::nullopt;
    auto run = static_cast<unsigned char>(packed[++i]);
    if (run == 0)
      return std::nullopt;
    out.insert(out.end(), run, 0);
  }
  return out;
}

} // namespace retrain::core
