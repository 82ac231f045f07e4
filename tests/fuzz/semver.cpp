// Fuzz target: semantic versions, the last part of every model id. The
// input is two versions apart at the first NUL byte (or one).
//
// Checked: a valid version prints back as itself, its next version has
// higher precedence, precedence is antisymmetric, a retrain's base is the
// newer of two, and every error is printable ASCII.

#include <cstring>

#include "fuzz_check.hpp"
#include "retrain/core/semver.hpp"

using namespace retrain;

namespace {

int sign(int x) {
  return (x > 0) - (x < 0);
}

std::optional<core::semver> check_one(std::string_view text) {
  auto v = core::parse_semver(text);
  if (!v) {
    RETRAIN_FUZZ_CHECK(fuzz::printable(v.error().message));
    return std::nullopt;
  }
  RETRAIN_FUZZ_CHECK(to_string(*v) == text);
  RETRAIN_FUZZ_CHECK(core::compare(*v, *v) == 0);
  // Never wraps: a parsed patch is below 2^64 - 1. (The next version of
  // patch 2^64 - 2 does not parse again; a registry holding it refuses to
  // go further with an error instead of registering a lower version.)
  auto next = core::next_version(*v);
  RETRAIN_FUZZ_CHECK(core::compare(*v, next) < 0);
  RETRAIN_FUZZ_CHECK(next.patch == v->patch + 1);
  return *v;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  auto nul = text.find('\0');
  auto x = check_one(text.substr(0, nul));
  if (nul == std::string_view::npos)
    return 0;
  auto y = check_one(text.substr(nul + 1));
  if (x && y) {
    RETRAIN_FUZZ_CHECK(sign(core::compare(*x, *y))
                       == -sign(core::compare(*y, *x)));
    auto base = core::retrain_base(x, *y);
    RETRAIN_FUZZ_CHECK(core::compare(base, *x) >= 0);
    RETRAIN_FUZZ_CHECK(core::compare(base, *y) >= 0);
  }
  return 0;
}
