#include "retrain/command_template.hpp"

#include <optional>
#include <string_view>

#include <sys/stat.h>
#include <unistd.h>

#include "retrain/core/model_id.hpp"
#include "retrain/ec.hpp"

namespace retrain {

namespace {

constexpr const char* known_placeholders
  = "{model} {project} {name} {version} {next_version} {job_id} {attempt}";

// Returns the value of placeholder `key`, or an error whose text starts
// with `where`, the argument it is in.
caf::expected<std::string>
placeholder_value(std::string_view key, const retrain_job& job,
                  std::optional<core::expected<core::model_id>>& parsed,
                  const std::string& where) {
  if (key == "model")
    return job.record.model;
  if (key == "version")
    return job.record.base_version;
  if (key == "next_version")
    return job.record.next_version;
  if (key == "job_id")
    return std::to_string(job.record.id);
  if (key == "attempt")
    return std::to_string(job.attempt);
  if (key == "project" || key == "name") {
    if (!parsed)
      parsed = core::parse_model_id(job.record.model);
    if (!*parsed) {
      auto err = parsed->error();
      err.message = where + "{" + std::string{key}
                    + "} needs a valid model id: " + err.message;
      return to_error(std::move(err));
    }
    return key == "project" ? (*parsed)->project : (*parsed)->name;
  }
  return caf::make_error(ec::invalid_config,
                         where + "unknown placeholder {" + std::string{key}
                           + "} (known: " + known_placeholders
                           + "; write {{ and }} for literal braces)");
}

} // namespace

caf::expected<std::vector<std::string>>
expand_command(const std::vector<std::string>& argv_template,
               const retrain_job& job) {
  std::vector<std::string> result;
  result.reserve(argv_template.size());
  // Parsed on first use only: commands without {project} or {name} work for
  // any model string.
  std::optional<core::expected<core::model_id>> parsed;
  for (size_t index = 0; index < argv_template.size(); ++index) {
    const auto& arg = argv_template[index];
    auto where = "retrain.job.command argument " + std::to_string(index) + " '"
                 + arg + "': ";
    auto fail = [&](const std::string& what) {
      return caf::make_error(ec::invalid_config, where + what);
    };
    std::string out;
    for (size_t pos = 0; pos < arg.size(); ++pos) {
      auto ch = arg[pos];
      if (ch == '}') {
        if (pos + 1 < arg.size() && arg[pos + 1] == '}') {
          out += '}';
          ++pos;
          continue;
        }
        return fail("lone '}' at column " + std::to_string(pos + 1)
                    + " (write }} for a literal brace)");
      }
      if (ch != '{') {
        out += ch;
        continue;
      }
      if (pos + 1 < arg.size() && arg[pos + 1] == '{') {
        out += '{';
        ++pos;
        continue;
      }
      auto close = arg.find('}', pos + 1);
      if (close == std::string::npos)
        return fail("unterminated '{' at column " + std::to_string(pos + 1)
                    + " (write {{ for a literal brace)");
      auto key = std::string_view{arg}.substr(pos + 1, close - pos - 1);
      auto value = placeholder_value(key, job, parsed, where);
      if (!value)
        return std::move(value.error());
      out += *value;
      pos = close;
    }
    result.push_back(std::move(out));
  }
  return result;
}

caf::error
check_command_template(const std::vector<std::string>& argv_template) {
  retrain_job sample;
  sample.record.model = "project:name:1.0.0";
  sample.record.base_version = "1.0.0";
  sample.record.next_version = "1.0.1";
  auto result = expand_command(argv_template, sample);
  if (!result)
    return std::move(result.error());
  return caf::none;
}

namespace {

// Why `file` cannot be run, or nothing.
std::optional<std::string> why_not_runnable(const std::string& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0)
    return std::string{"does not exist"};
  if (S_ISDIR(st.st_mode))
    return std::string{"is a directory"};
  if (::access(file.c_str(), X_OK) != 0)
    return std::string{"is not executable"};
  return std::nullopt;
}

} // namespace

caf::error check_command_program(const std::vector<std::string>& argv_template,
                                 const char* path) {
  if (argv_template.empty())
    return caf::none;
  auto refuse = [](std::string what) {
    return caf::make_error(ec::invalid_config, std::move(what));
  };
  const auto& program = argv_template.front();
  if (program.empty())
    return refuse("the program (argument 0) is empty");
  if (program.find_first_of("{}") != std::string::npos)
    return caf::none;
  if (program.find('/') != std::string::npos) {
    if (auto why = why_not_runnable(program))
      return refuse("program '" + program + "' " + *why);
    return caf::none;
  }
  std::string dirs = path != nullptr ? path : "/bin:/usr/bin";
  std::optional<std::string> unusable; // a match that cannot be run
  for (std::size_t begin = 0; begin <= dirs.size();) {
    auto end = dirs.find(':', begin);
    if (end == std::string::npos)
      end = dirs.size();
    // An empty entry is the current directory, as for execvp.
    auto dir = end == begin ? std::string{"."}
                            : dirs.substr(begin, end - begin);
    auto file = dir + "/" + program;
    auto why = why_not_runnable(file);
    if (!why)
      return caf::none;
    if (*why != "does not exist" && !unusable)
      unusable = file + " " + *why;
    begin = end + 1;
  }
  if (unusable)
    return refuse("program '" + program + "' in PATH: " + *unusable);
  return refuse("program '" + program + "' is not in PATH (" + dirs + ")");
}

} // namespace retrain
