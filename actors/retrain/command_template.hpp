#pragma once

#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "retrain/retrain_job.hpp"

namespace retrain {

/// Expands the placeholders of a `retrain.job.command` argv template for
/// `job`. Inside any argument, `{model}` becomes the model id, `{project}`
/// and `{name}` its parts, `{version}` and `{next_version}` the job's
/// versions and `{job_id}` the job id; `{{` and `}}` stand for literal
/// braces. Fails, naming the argument and the placeholder, on an unknown
/// placeholder, an unterminated `{` or a lone `}` (`ec::invalid_config`);
/// fails on `{project}` or `{name}` when `job.model` is not a valid model id
/// (`ec::invalid_model_id`).
caf::expected<std::vector<std::string>>
expand_command(const std::vector<std::string>& argv_template,
               const retrain_job& job);

/// Checks an argv template at start-up, before any job runs: fails as
/// `expand_command` would on an unknown placeholder or an unbalanced brace.
caf::error
check_command_template(const std::vector<std::string>& argv_template);

/// Checks at start-up that the program of an argv template can be run, as
/// `posix_spawnp` will look for it: a program with a `/` must be an
/// executable file; a bare name must be one in a directory of `path` (the
/// value of PATH; `/bin:/usr/bin` when null, as glibc does). Fails
/// (`ec::invalid_config`) naming the program and what is wrong. An empty
/// template (the simulated trainer) and a program with a placeholder, known
/// only per job, pass.
caf::error check_command_program(const std::vector<std::string>& argv_template,
                                 const char* path);

} // namespace retrain
