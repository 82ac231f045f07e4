#include "retrain/core/batch_fanout.hpp"

#include <algorithm>
#include <unordered_map>

namespace retrain::core {

batch_fanout::batch_fanout(uint64_t events, uint32_t max_attempts)
  : state_(events, event_state::waiting),
    attempts_(events, 0),
    max_attempts_(std::max<uint32_t>(max_attempts, 1)),
    waiting_(events) {
  // nop
}

void batch_fanout::mark_rejected(uint64_t index, std::string reason) {
  state_[index] = event_state::rejected;
  if (rejected_++ == 0 || index < first_rejected_) {
    first_rejected_ = index;
    first_reason_ = std::move(reason);
    if (first_reason_.empty())
      first_reason_ = "rejected";
  }
}

void batch_fanout::reject(uint64_t index, std::string reason) {
  if (index >= state_.size() || state_[index] != event_state::waiting)
    return;
  --waiting_;
  mark_rejected(index, std::move(reason));
}

void batch_fanout::back_to_waiting(uint64_t index, const std::string& why) {
  --in_flight_;
  if (attempts_[index] >= max_attempts_) {
    mark_rejected(index, "not delivered after "
                           + std::to_string(attempts_[index])
                           + " attempts: " + why);
    return;
  }
  state_[index] = event_state::waiting;
  ++waiting_;
}

std::map<int32_t, batch_fanout::part>
batch_fanout::split(const std::vector<int32_t>& owner_of,
                    const std::string& why) {
  std::map<int32_t, part> result;
  if (waiting_ == 0)
    return result;
  for (uint64_t i = 0; i < state_.size(); ++i) {
    if (state_[i] != event_state::waiting)
      continue;
    ++attempts_[i];
    --waiting_;
    ++in_flight_;
    state_[i] = event_state::in_flight;
    auto owner = i < owner_of.size() ? owner_of[i] : -1;
    if (owner < 0) {
      // No owner this round: counts as an attempt that failed at once.
      back_to_waiting(i, why);
      continue;
    }
    result[owner].push_back(i);
  }
  return result;
}

void batch_fanout::settle(
  const part& sent, const std::vector<uint64_t>& returned,
  const std::vector<std::pair<uint64_t, std::string>>& rejects,
  const std::string& why_returned) {
  // What happens to each position of `sent`: 0 accepted, 1 returned, 2
  // rejected (with its reason).
  std::vector<uint8_t> fate(sent.size(), 0);
  for (auto pos : returned)
    if (pos < fate.size())
      fate[pos] = 1;
  std::unordered_map<uint64_t, const std::string*> reason;
  for (auto& [pos, text] : rejects)
    if (pos < fate.size() && fate[pos] == 0) {
      fate[pos] = 2;
      reason.emplace(pos, &text);
    }
  for (uint64_t pos = 0; pos < sent.size(); ++pos) {
    auto i = sent[pos];
    if (i >= state_.size() || state_[i] != event_state::in_flight)
      continue;
    switch (fate[pos]) {
      case 0:
        state_[i] = event_state::accepted;
        --in_flight_;
        ++accepted_;
        break;
      case 1:
        back_to_waiting(i, why_returned);
        break;
      default:
        --in_flight_;
        mark_rejected(i, *reason.at(pos));
    }
  }
}

void batch_fanout::lost(const part& sent, const std::string& why) {
  for (auto i : sent)
    if (i < state_.size() && state_[i] == event_state::in_flight)
      back_to_waiting(i, why);
}

fanout_result batch_fanout::result() const {
  fanout_result r;
  r.accepted = accepted_;
  r.rejected = rejected_;
  if (rejected_ > 0)
    r.first_error = "event " + std::to_string(first_rejected_) + ": "
                    + first_reason_;
  return r;
}

} // namespace retrain::core
