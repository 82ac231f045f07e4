#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace retrain::test {

/// A fresh directory under the system's temp directory, removed with all
/// its contents at scope exit.
class temp_dir {
public:
  explicit temp_dir(const std::string& prefix) {
    auto tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX"))
                  .string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("cannot create a temp directory " + tmpl);
    path_ = tmpl;
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  ~temp_dir() {
    std::error_code err;
    std::filesystem::remove_all(path_, err);
  }

  const std::filesystem::path& path() const {
    return path_;
  }

  std::string str() const {
    return path_.string();
  }

private:
  std::filesystem::path path_;
};

/// Returns the contents of a file, or an empty string.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Returns whether `haystack` contains `needle`.
inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace retrain::test
