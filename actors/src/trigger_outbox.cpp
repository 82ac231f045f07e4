#include "retrain/trigger_outbox.hpp"

#include <utility>

namespace retrain {

bool trigger_outbox::add(std::string line, retrain_trigger x) {
  auto i = entries_.find(line);
  if (i != entries_.end()) {
    ++i->second.merged;
    return false;
  }
  auto seq = next_seq_++;
  order_.emplace(seq, line);
  ready_.insert(seq);
  entries_.emplace(std::move(line), entry{std::move(x), 0, false, seq});
  return true;
}

const trigger_outbox::entry*
trigger_outbox::find(const std::string& line) const {
  auto i = entries_.find(line);
  return i == entries_.end() ? nullptr : &i->second;
}

bool trigger_outbox::acknowledge(const std::string& line,
                                 const std::string& id) {
  auto i = entries_.find(line);
  if (i == entries_.end() || i->second.trigger.id != id)
    return false;
  drop(line);
  return true;
}

void trigger_outbox::drop(const std::string& line) {
  auto i = entries_.find(line);
  if (i == entries_.end())
    return;
  if (i->second.in_flight)
    --in_flight_;
  else
    ready_.erase(i->second.seq);
  order_.erase(i->second.seq);
  entries_.erase(i);
}

std::vector<retrain_trigger> trigger_outbox::take_ready(std::size_t n) {
  std::vector<retrain_trigger> result;
  while (result.size() < n && !ready_.empty()) {
    auto seq = *ready_.begin();
    ready_.erase(ready_.begin());
    auto& e = entries_.at(order_.at(seq));
    e.in_flight = true;
    ++in_flight_;
    result.push_back(e.trigger);
  }
  return result;
}

void trigger_outbox::failed(const std::string& line) {
  auto i = entries_.find(line);
  if (i == entries_.end() || !i->second.in_flight)
    return;
  i->second.in_flight = false;
  --in_flight_;
  ready_.insert(i->second.seq);
}

void trigger_outbox::resend_all() {
  for (auto& [line, x] : entries_) {
    x.in_flight = false;
    ready_.insert(x.seq);
  }
  in_flight_ = 0;
}

std::vector<retrain_trigger> trigger_outbox::all() const {
  std::vector<retrain_trigger> result;
  result.reserve(entries_.size());
  for (auto& [seq, line] : order_)
    result.push_back(entries_.at(line).trigger);
  return result;
}

std::vector<std::string> trigger_outbox::lines() const {
  std::vector<std::string> result;
  result.reserve(entries_.size());
  for (auto& [seq, line] : order_)
    result.push_back(line);
  return result;
}

} // namespace retrain
