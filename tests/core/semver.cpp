#define CAF_SUITE semver
#include <caf/test/unit_test.hpp>

#include <string>

#include "retrain/core/semver.hpp"

using namespace retrain::core;

namespace {

semver v(const std::string& str) {
  auto result = parse_semver(str);
  if (!result)
    CAF_FAIL("bad version in test: " << str);
  return *result;
}

std::string error_of(const std::string& str) {
  auto result = parse_semver(str);
  return result ? std::string{"ok"} : result.error().message;
}

} // namespace

CAF_TEST(precedence follows semver 2.0.0) {
  // The example chain from semver.org, section 11.
  const char* chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                         "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                         "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                         "1.1.0",       "2.0.0",         "10.0.0"};
  for (size_t i = 0; i + 1 < std::size(chain); ++i) {
    CAF_CHECK_LESS(compare(v(chain[i]), v(chain[i + 1])), 0);
    CAF_CHECK_GREATER(compare(v(chain[i + 1]), v(chain[i])), 0);
  }
  CAF_CHECK_EQUAL(compare(v("1.0.0+a"), v("1.0.0+b")), 0);
}

CAF_TEST(next version bumps the patch and drops pre - release) {
  CAF_CHECK_EQUAL(to_string(next_version(v("1.2.0"))), "1.2.1");
  CAF_CHECK_EQUAL(to_string(next_version(v("1.2.1"))), "1.2.2");
  CAF_CHECK_EQUAL(to_string(next_version(v("0.0.0"))), "0.0.1");
  CAF_CHECK_EQUAL(to_string(next_version(v("1.2.0-rc.1"))), "1.2.1");
  CAF_CHECK_EQUAL(to_string(next_version(v("1.2.9+build.7"))), "1.2.10");
  // The next version always has higher precedence.
  for (auto str : {"1.2.0", "1.2.0-rc.1", "3.0.0-0", "0.0.9+x",
                   "1.2.18446744073709551614"})
    CAF_CHECK_LESS(compare(v(str), next_version(v(str))), 0);
}

CAF_TEST(the largest patch is refused as it has no next version) {
  // Found by the fuzz target semver: next_version wrapped 2^64 - 1 to 0,
  // so a retrain of 1.2.18446744073709551615 would have registered 1.2.0.
  CAF_CHECK_EQUAL(error_of("1.2.18446744073709551615"),
                  "patch is too large at column 5");
  CAF_CHECK_EQUAL(to_string(next_version(v("1.2.18446744073709551614"))),
                  "1.2.18446744073709551615");
  // Major and minor are never bumped: their whole range stays valid.
  CAF_CHECK_EQUAL(error_of("18446744073709551615.18446744073709551615.0"),
                  "ok");
}

CAF_TEST(a retrain starts from the newer of registered and deployed) {
  CAF_CHECK_EQUAL(to_string(retrain_base(std::nullopt, v("1.2.0"))), "1.2.0");
  CAF_CHECK_EQUAL(to_string(retrain_base(v("1.2.1"), v("1.2.0"))), "1.2.1");
  CAF_CHECK_EQUAL(to_string(retrain_base(v("1.2.1"), v("1.2.1"))), "1.2.1");
  CAF_CHECK_EQUAL(to_string(retrain_base(v("1.0.1"), v("2.0.0"))), "2.0.0");
  CAF_CHECK_EQUAL(to_string(retrain_base(v("1.2.10"), v("1.2.9"))), "1.2.10");
  // Equal precedence (only build metadata differs): the registered version
  // is the parent.
  CAF_CHECK_EQUAL(to_string(retrain_base(v("1.2.1+b.1"), v("1.2.1+b.2"))),
                  "1.2.1+b.1");
}

CAF_TEST(the version of a line is only ever raised) {
  std::unordered_map<std::string, semver> highest;
  CAF_CHECK(raise_version(highest, "cv:a", "1.2.0"));
  CAF_CHECK(!raise_version(highest, "cv:a", "1.1.9"));
  CAF_CHECK(!raise_version(highest, "cv:a", "1.2.0"));
  CAF_CHECK(!raise_version(highest, "cv:a", ""));
  CAF_CHECK(!raise_version(highest, "cv:a", "not a version"));
  CAF_CHECK_EQUAL(to_string(highest.at("cv:a")), "1.2.0");
  CAF_CHECK(raise_version(highest, "cv:a", "1.10.0"));
  CAF_CHECK_EQUAL(to_string(highest.at("cv:a")), "1.10.0");
  CAF_CHECK(raise_version(highest, "cv:b", "0.1.0-rc.1"));
  CAF_CHECK(raise_version(highest, "cv:b", "0.1.0"));
  CAF_CHECK_EQUAL(highest.size(), 2u);
}

CAF_TEST(errors name the field and column) {
  CAF_CHECK_EQUAL(error_of(""),
                  "empty version (expected MAJOR.MINOR.PATCH, e.g. 1.2.0)");
  CAF_CHECK_EQUAL(error_of("1.x.0"),
                  "expected minor number, found 'x' at column 3");
  CAF_CHECK_EQUAL(error_of("1.0.0-a$"),
                  "invalid character '$' in pre-release (allowed: "
                  "[0-9A-Za-z-.]) at column 8");
  CAF_CHECK_EQUAL(error_of("1.0.0~"),
                  "unexpected '~' after patch (expected '-', '+' or end) at "
                  "column 6");
}

CAF_TEST(control bytes in a version are escaped in errors) {
  auto v = parse_semver("1.2.\x01");
  CAF_REQUIRE(!v);
  CAF_CHECK_EQUAL(v.error().message.find('\x01'), std::string::npos);
  CAF_CHECK_NOT_EQUAL(v.error().message.find("'\\x01'"), std::string::npos);
  auto w = parse_semver("1.2.3-a\x1b");
  CAF_REQUIRE(!w);
  CAF_CHECK_NOT_EQUAL(w.error().message.find("'\\x1b'"), std::string::npos);
}
