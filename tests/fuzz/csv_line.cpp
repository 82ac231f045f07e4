// Fuzz target: the lines `retrain-ctl replay` reads. The first byte picks
// the chunk size and the line limit; the rest is the stream, cut into
// lines by core::line_splitter and each parsed by core::parse_csv_event.
//
// Checked: the chunked splitter agrees with a plain split of the whole
// input; a parsed event has a valid model id, a finite value and a
// non-negative time; every reason is printable ASCII (input echoed
// escaped).

#include <cmath>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "retrain/core/csv_event.hpp"
#include "retrain/core/line_splitter.hpp"
#include "retrain/core/model_id.hpp"

using namespace retrain;

namespace {

// The lines of `input`, split the simplest way, for comparison.
std::vector<std::string> plain_split(std::string_view input) {
  std::vector<std::string> result;
  std::string line;
  bool open = false;
  for (std::size_t i = 0; i < input.size(); ++i) {
    auto c = input[i];
    if (c == '\r' || c == '\n') {
      result.push_back(line);
      line.clear();
      open = false;
      if (c == '\r' && i + 1 < input.size() && input[i + 1] == '\n')
        ++i;
    } else {
      line += c;
      open = true;
    }
  }
  if (open)
    result.push_back(line);
  return result;
}

void check_line(std::string_view text) {
  auto ev = core::parse_csv_event(text);
  if (!ev) {
    RETRAIN_FUZZ_CHECK(!ev.error().message.empty());
    RETRAIN_FUZZ_CHECK(fuzz::printable(ev.error().message));
    return;
  }
  RETRAIN_FUZZ_CHECK(!core::check_model_id(ev->model));
  RETRAIN_FUZZ_CHECK(std::isfinite(ev->value));
  RETRAIN_FUZZ_CHECK(ev->observed_at_ns >= 0);
  RETRAIN_FUZZ_CHECK(is_valid(ev->kind));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::size_t chunk = 1 + (data[0] & 0x3f);
  std::size_t limit = (data[0] & 0x40) ? 16 : 1 << 20;
  auto input = fuzz::as_text(data + 1, size - 1);
  auto expected = plain_split(input);
  core::line_splitter lines{limit};
  std::size_t count = 0;
  auto take = [&] {
    while (auto line = lines.next()) {
      RETRAIN_FUZZ_CHECK(count < expected.size());
      auto& want = expected[count++];
      RETRAIN_FUZZ_CHECK(line->number == count);
      RETRAIN_FUZZ_CHECK(line->length == want.size());
      RETRAIN_FUZZ_CHECK(line->too_long == (want.size() > limit));
      if (line->too_long) {
        RETRAIN_FUZZ_CHECK(line->text.empty());
        continue;
      }
      RETRAIN_FUZZ_CHECK(line->text == want);
      check_line(line->text);
    }
  };
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    lines.feed(input.substr(pos, chunk));
    take();
  }
  lines.finish();
  take();
  RETRAIN_FUZZ_CHECK(count == expected.size());
  // The whole input as one line, line ends and all.
  check_line(input);
  return 0;
}
