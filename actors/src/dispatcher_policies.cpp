#include "retrain/dispatcher_policies.hpp"

#include <map>

#include "retrain/config_error.hpp"
#include "retrain/core/policy.hpp"
#include "retrain/core/quoted.hpp"
#include "retrain/ec.hpp"
#include "retrain/log.hpp"
#include "retrain/unix_time.hpp"

namespace retrain::dispatcher_policies {

namespace {

// Who and why are free text, but one line each and short: they are shown
// in tables and logs.
constexpr std::size_t max_note = 1000;

caf::error check_note(const std::string& what, const std::string& x) {
  if (x.size() > max_note)
    return caf::make_error(ec::invalid_config, what + " is longer than "
                                                 + std::to_string(max_note)
                                                 + " bytes");
  for (auto c : x)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return caf::make_error(ec::invalid_config,
                             what + " has control byte "
                               + core::quoted(std::string_view{&c, 1}));
  return caf::none;
}

// The book of the policies in force after every change of `log`.
core::policy_book book_of(const std::vector<policy_record>& log) {
  std::map<std::string, const policy_record*> last;
  for (auto& x : log)
    last[x.pattern] = &x;
  core::policy_book result;
  for (auto& [pattern, x] : last) {
    if (x->removed)
      continue;
    auto p = core::parse_policy_pattern(pattern);
    auto v = core::parse_policy(x->text);
    // Stored only after the same checks, so this holds for every row this
    // build wrote.
    if (p && v)
      result.put(core::stored_policy{*p, x->version, std::move(*v)});
  }
  return result;
}

policy_set set_of(const dispatcher_state& st) {
  policy_set result;
  result.epoch = st.policy_log.empty() ? 0 : st.policy_log.back().epoch;
  result.policies = current(st);
  return result;
}

} // namespace

void load(self_ptr self) {
  auto& st = self->state;
  if (st.config.data_dir.empty())
    return;
  auto store = policy_store::open(st.config.data_dir, st.config.registry_url,
                                  st.store->fence());
  if (!store) {
    log().error("{}#{} cannot open the policies: {}", dispatcher_state::name,
                self->id(), error_text(store.error()));
    return;
  }
  auto log_rows = (*store)->changes();
  if (!log_rows) {
    log().error("{}#{} cannot read the policies: {}", dispatcher_state::name,
                self->id(), error_text(log_rows.error()));
    return;
  }
  st.policies = std::move(*store);
  st.policy_log = std::move(*log_rows);
  st.book = book_of(st.policy_log);
  if (!st.book.entries().empty())
    log().info("{}#{} {} policies in force (epoch {})", dispatcher_state::name,
               self->id(), st.book.entries().size(),
               st.policy_log.back().epoch);
}

caf::result<policy_record> change(self_ptr self, policy_change& x) {
  auto& st = self->state;
  auto pattern = core::parse_policy_pattern(x.pattern);
  if (!pattern)
    return to_error(pattern.error());
  if (auto err = check_note("--by", x.by))
    return err;
  if (auto err = check_note("--reason", x.reason))
    return err;
  if (!st.policies)
    return caf::make_error(ec::storage_failure,
                           "the policies of the registry database cannot be "
                           "read (see the coordinator's log)");
  policy_record record;
  record.pattern = pattern->str();
  record.by = std::move(x.by);
  record.reason = std::move(x.reason);
  record.removed = x.remove;
  const policy_record* last = nullptr;
  for (auto& row : st.policy_log)
    if (row.pattern == record.pattern)
      last = &row;
  if (x.remove) {
    if (!last || last->removed)
      return caf::make_error(ec::no_such_policy,
                             "no policy for " + record.pattern);
  } else {
    auto parsed = core::parse_policy(x.text);
    if (!parsed)
      return to_error(parsed.error());
    record.text = core::to_text(*parsed);
  }
  record.version = last ? last->version + 1 : 1;
  record.epoch = st.policy_log.empty() ? 1 : st.policy_log.back().epoch + 1;
  record.created_at_ns = unix_now_ns();
  // Memory changes only once the row is on disk.
  if (auto err = st.policies->append(record))
    return err;
  st.policy_log.push_back(record);
  st.book = book_of(st.policy_log);
  log().info("{}#{} policy {} v{} {} by '{}': {}", dispatcher_state::name,
             self->id(), record.pattern, record.version,
             record.removed ? "removed" : "set", record.by, record.reason);
  for (auto& sub : st.subscribers)
    push(self, sub);
  return record;
}

std::vector<policy_record> current(const dispatcher_state& st) {
  std::map<std::string, policy_record> last;
  for (auto& x : st.policy_log)
    last[x.pattern] = x;
  std::vector<policy_record> result;
  for (auto& [pattern, x] : last)
    if (!x.removed)
      result.push_back(std::move(x));
  return result;
}

caf::result<std::vector<policy_record>> history(self_ptr self,
                                                const std::string& pattern) {
  auto parsed = core::parse_policy_pattern(pattern);
  if (!parsed)
    return to_error(parsed.error());
  std::vector<policy_record> result;
  for (auto& x : self->state.policy_log)
    if (x.pattern == parsed->str())
      result.push_back(x);
  return result;
}

void push(self_ptr self, const job_news_actor& sub) {
  self->send(sub, set_of(self->state));
}

uint32_t max_attempts_of(const dispatcher_state& st, const std::string& line) {
  if (auto w = st.book.winner(line); w && w->value.max_attempts)
    return *w->value.max_attempts;
  return st.config.max_attempts;
}

void apply(const dispatcher_state& st, retrain_job& job) {
  auto w = st.book.winner(job.record.line);
  if (!w)
    return;
  if (w->value.command) {
    job.has_command = true;
    job.command = *w->value.command;
  }
  if (w->value.timeout)
    job.timeout_ms = w->value.timeout->count();
}

} // namespace retrain::dispatcher_policies
