// Fuzz target: numbers as users type them (CSV values, send, --param,
// backtest, observed_at_ns), through core::parse_decimal and
// core::parse_whole.
//
// Checked against the C library: an accepted decimal is finite and is
// exactly what strtod reads from the whole field; a field made of decimal
// characters that strtod reads whole and in range is never refused; a
// whole number prints back as its digits; every refusal is printable
// ASCII.

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_check.hpp"
#include "retrain/core/number.hpp"

using namespace retrain;

namespace {

bool decimal_chars_only(std::string_view text) {
  return !text.empty()
         && text.find_first_not_of("0123456789+-.eE") == std::string::npos;
}

void check_decimal(std::string_view text) {
  auto x = core::parse_decimal(text);
  // strtod reads up to a NUL: only NUL-free fields compare.
  std::string copy{text};
  auto comparable = copy.find('\0') == std::string::npos;
  errno = 0;
  char* end = nullptr;
  auto y = std::strtod(copy.c_str(), &end);
  auto whole = end == copy.c_str() + copy.size();
  auto range_error = errno == ERANGE;
  if (!x) {
    RETRAIN_FUZZ_CHECK(fuzz::printable(x.error().message));
    RETRAIN_FUZZ_CHECK(!(comparable && whole && decimal_chars_only(text)
                         && !range_error && std::isfinite(y)));
    return;
  }
  RETRAIN_FUZZ_CHECK(std::isfinite(*x));
  RETRAIN_FUZZ_CHECK(comparable && whole && decimal_chars_only(text));
  if (range_error) {
    // Underflow: strtod may give a subnormal where parse_decimal gives 0.
    RETRAIN_FUZZ_CHECK(*x == 0.0 || *x == y);
    RETRAIN_FUZZ_CHECK(std::fabs(y) < 1e-300);
  } else {
    RETRAIN_FUZZ_CHECK(std::memcmp(&*x, &y, sizeof(double)) == 0);
  }
}

void check_whole(std::string_view text) {
  auto x = core::parse_whole(text);
  if (!x) {
    RETRAIN_FUZZ_CHECK(fuzz::printable(x.error().message));
    return;
  }
  auto digits
    = text.substr(std::min(text.find_first_not_of('0'), text.size() - 1));
  RETRAIN_FUZZ_CHECK(std::to_string(*x) == digits);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  check_decimal(text);
  check_whole(text);
  return 0;
}
