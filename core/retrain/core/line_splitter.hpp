#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace retrain::core {

/// One line of a byte stream, as `line_splitter` hands it out.
struct text_line {
  /// 1-based number of the line in the stream.
  uint64_t number = 0;
  /// The line without its line end; empty when `too_long`. Valid until
  /// the next call to `line_splitter::next` or `feed`.
  std::string_view text;
  /// Length of the line in bytes, without its line end (also when it is
  /// too long and its bytes are gone).
  uint64_t length = 0;
  /// Whether the line is longer than the splitter's limit.
  bool too_long = false;
};

/// Cuts a byte stream into lines, fed in chunks of any size, in memory
/// bounded by a line length limit: CR, LF and CRLF each end a line (a CRLF
/// split between two chunks too), and a line longer than the limit is
/// reported with its length, without being kept.
///
/// ~~~
/// line_splitter lines{1 << 20};
/// while (read a chunk) {
///   lines.feed(chunk);
///   while (auto line = lines.next()) ...
/// }
/// lines.finish();
/// while (auto line = lines.next()) ...   // a last line without a line end
/// ~~~
class line_splitter {
public:
  /// Lines longer than `max_length` bytes come out as `too_long`.
  explicit line_splitter(std::size_t max_length);

  /// Hands over the next bytes of the stream. They must stay valid until
  /// `next` returns nothing; call it only once `next` returned nothing for
  /// the bytes before.
  void feed(std::string_view bytes);

  /// Marks the end of the stream: `next` then also returns a last line
  /// that has no line end.
  void finish();

  /// Returns the next line, or nothing when it needs more bytes (or
  /// `finish`) to find one.
  std::optional<text_line> next();

private:
  // Adds `part` to a line that started in an earlier chunk.
  void carry(std::string_view part);

  // Makes the line that ends with `part` (or with the carried bytes alone).
  text_line make_line(std::string_view part);

  std::size_t max_length_;
  // Bytes fed and not yet cut into lines.
  std::string_view input_;
  // The start of a line that spans chunks, while it fits the limit.
  std::string carried_;
  // Length of that line so far, including bytes no longer kept; 0 when no
  // line is pending.
  uint64_t carried_length_ = 0;
  // Whether the line last returned lives in `carried_`.
  bool carried_out_ = false;
  // Whether the last byte cut was a CR at the end of a chunk: a LF
  // starting the next chunk belongs to it.
  bool after_cr_ = false;
  bool finished_ = false;
  uint64_t number_ = 0;
};

} // namespace retrain::core
