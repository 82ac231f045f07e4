#pragma once

#include <optional>
#include <string>
#include <vector>

#include "retrain/core/expected.hpp"
#include "retrain/retrain_job.hpp"

namespace retrain {

/// Expands the placeholders of a `retrain.job.command` argv template for
/// `job`. Inside any argument, `{model}` becomes the model id, `{project}`
/// and `{name}` its parts, `{version}` and `{next_version}` the job's
/// versions and `{job_id}` the job id; `{{` and `}}` stand for literal
/// braces. Fails, naming the argument and the placeholder, on an unknown
/// placeholder, an unterminated `{` or a lone `}`; fails on `{project}` or
/// `{name}` when `job.model` is not a valid model id.
core::expected<std::vector<std::string>>
expand_command(const std::vector<std::string>& argv_template,
               const retrain_job& job);

/// Checks an argv template at start-up, before any job runs: fails as
/// `expand_command` would on an unknown placeholder or an unbalanced brace.
std::optional<core::failure>
check_command_template(const std::vector<std::string>& argv_template);

/// Checks at start-up that the program of an argv template can be run, as
/// `posix_spawnp` will look for it: a program with a `/` must be an
/// executable file; a bare name must be one in a directory of `path` (the
/// value of PATH; `/bin:/usr/bin` when null, as glibc does). Fails naming
/// the program and what is wrong. An empty template (the simulated trainer)
/// and a program with a placeholder, known only per job, pass.
std::optional<core::failure>
check_command_program(const std::vector<std::string>& argv_template,
                      const char* path);

} // namespace retrain
