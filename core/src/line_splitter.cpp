#include "retrain/core/line_splitter.hpp"

namespace retrain::core {

line_splitter::line_splitter(std::size_t max_length) : max_length_(max_length) {
  // nop
}

void line_splitter::feed(std::string_view bytes) {
  input_ = bytes;
}

void line_splitter::finish() {
  finished_ = true;
}

void line_splitter::carry(std::string_view part) {
  if (carried_length_ + part.size() <= max_length_) {
    carried_.append(part);
  } else {
    // Too long already: its bytes are of no use, only its length is.
    carried_.clear();
  }
  carried_length_ += part.size();
}

text_line line_splitter::make_line(std::string_view part) {
  text_line result;
  result.number = ++number_;
  if (carried_length_ == 0) {
    result.length = part.size();
    result.too_long = part.size() > max_length_;
    if (!result.too_long)
      result.text = part;
    return result;
  }
  carry(part);
  result.length = carried_length_;
  result.too_long = carried_length_ > max_length_;
  if (!result.too_long)
    result.text = carried_;
  carried_out_ = true;
  carried_length_ = 0;
  return result;
}

std::optional<text_line> line_splitter::next() {
  if (carried_out_) {
    carried_.clear();
    carried_out_ = false;
  }
  if (after_cr_ && !input_.empty()) {
    if (input_.front() == '\n')
      input_.remove_prefix(1);
    after_cr_ = false;
  }
  auto end = input_.find_first_of("\r\n");
  if (end == std::string_view::npos) {
    if (!input_.empty())
      carry(input_);
    input_ = {};
    if (finished_ && carried_length_ > 0)
      return make_line({});
    return std::nullopt;
  }
  auto part = input_.substr(0, end);
  auto cr = input_[end] == '\r';
  input_.remove_prefix(end + 1);
  if (cr) {
    if (input_.empty())
      after_cr_ = true;
    else if (input_.front() == '\n')
      input_.remove_prefix(1);
  }
  return make_line(part);
}

} // namespace retrain::core
