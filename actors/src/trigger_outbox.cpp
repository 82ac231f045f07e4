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
  order_.emplace_back(seq, line);
  entries_.emplace(std::move(line), entry{std::move(x), 0, false, seq});
  return true;
}

bool trigger_outbox::current(const std::pair<uint64_t, std::string>& x) const {
  auto i = entries_.find(x.second);
  return i != entries_.end() && i->second.seq == x.first;
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
  entries_.erase(i);
  // `order_` keeps the line until a sweep passes it; a sweep comes with
  // every send, and an empty outbox starts over.
  if (entries_.empty())
    order_.clear();
}

std::vector<retrain_trigger> trigger_outbox::take_ready(std::size_t n) {
  std::vector<retrain_trigger> result;
  // Sweeps out what left on the way: the walk is over every line anyway.
  std::deque<std::pair<uint64_t, std::string>> kept;
  for (auto& x : order_) {
    if (!current(x))
      continue;
    auto& e = entries_.at(x.second);
    if (result.size() < n && !e.in_flight) {
      e.in_flight = true;
      ++in_flight_;
      result.push_back(e.trigger);
    }
    kept.push_back(std::move(x));
  }
  order_.swap(kept);
  return result;
}

void trigger_outbox::failed(const std::string& line) {
  auto i = entries_.find(line);
  if (i == entries_.end() || !i->second.in_flight)
    return;
  i->second.in_flight = false;
  --in_flight_;
}

void trigger_outbox::resend_all() {
  for (auto& [line, x] : entries_)
    x.in_flight = false;
  in_flight_ = 0;
}

std::vector<retrain_trigger> trigger_outbox::all() const {
  std::vector<retrain_trigger> result;
  result.reserve(entries_.size());
  for (auto& line : lines())
    result.push_back(entries_.at(line).trigger);
  return result;
}

std::vector<std::string> trigger_outbox::lines() const {
  std::vector<std::string> result;
  result.reserve(entries_.size());
  for (auto& x : order_)
    if (current(x))
      result.push_back(x.second);
  return result;
}

} // namespace retrain
