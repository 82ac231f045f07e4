#include "version.hpp"

#include <caf/config.hpp>

namespace retrain {

const char* project_version() {
  return RETRAIN_PROJECT_VERSION;
}

std::string caf_version() {
  return std::to_string(CAF_MAJOR_VERSION) + "."
         + std::to_string(CAF_MINOR_VERSION) + "."
         + std::to_string(CAF_PATCH_VERSION);
}

std::string node_version() {
  return std::string{project_version()} + " (git " + git_revision + ")";
}

std::string version_line(const std::string& program) {
  return program + " " + project_version() + " (git " + git_revision + ", CAF "
         + caf_version() + ")";
}

} // namespace retrain
