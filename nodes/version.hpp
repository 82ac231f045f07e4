#pragma once

#include <string>

namespace retrain {

/// The git revision this build came from: the commit id, with `-dirty` when
/// tracked files differed from it, or `unknown` outside a git checkout.
extern const char* const git_revision;

/// The project version, e.g. `0.1.0`.
const char* project_version();

/// The CAF version this build was compiled against, e.g. `0.17.6`.
std::string caf_version();

/// The version a node tells its coordinator, as `retrain-ctl status` shows
/// it: `0.1.0 (git <revision>)`.
std::string node_version();

/// One line for `--version` and the start-up log:
/// `<program> 0.1.0 (git <revision>, CAF 0.17.6)`.
std::string version_line(const std::string& program);

} // namespace retrain
