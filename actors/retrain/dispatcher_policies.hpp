#pragma once

#include <string>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "retrain/dispatcher.hpp"

namespace retrain {

/// The dispatcher's part in policies: it keeps them in its database,
/// versioned, pushes the set in force to every subscribed monitor node on
/// each change and each subscribe, and applies a line's job settings.
namespace dispatcher_policies {

using self_ptr = dispatcher_self_actor::stateful_pointer<dispatcher_state>;

/// Opens the policy table of `config.data_dir` and reads every change;
/// logs and runs without policies when it cannot.
void load(self_ptr self);

/// Stores `change` as a new version and pushes the new set; refuses it
/// whole (`ec::invalid_config` naming the key, `ec::no_such_policy`) and
/// changes nothing when it is wrong or the write fails.
caf::result<policy_record> change(self_ptr self, policy_change& x);

/// The policies in force, by pattern.
std::vector<policy_record> current(const dispatcher_state& st);

/// Every version of `pattern`'s policy, oldest first.
caf::result<std::vector<policy_record>> history(self_ptr self,
                                                const std::string& pattern);

/// Sends the set in force to `sub` (a monitor node's link).
void push(self_ptr self, const job_news_actor& sub);

/// The attempts a job of `line` may take.
uint32_t max_attempts_of(const dispatcher_state& st, const std::string& line);

/// Sets what the policy of the job's line sets of its run (command,
/// timeout) in `job`.
void apply(const dispatcher_state& st, retrain_job& job);

} // namespace dispatcher_policies

} // namespace retrain
