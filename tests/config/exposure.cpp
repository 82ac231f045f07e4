#define CAF_SUITE exposure
#include <caf/test/unit_test.hpp>

#include "retrain/exposure.hpp"

using namespace retrain;

CAF_TEST(loopback addresses) {
  struct row {
    const char* host;
    bool loopback;
  };
  row rows[] = {
    {"127.0.0.1", true},
    {"127.5.5.5", true},
    {"127.255.255.255", true},
    {"localhost", true},
    {"LocalHost", true},
    {"::1", true},
    {"0:0:0:0:0:0:0:1", true},
    {"::ffff:127.0.0.1", true},
    {"0.0.0.0", false},
    {"::", false},
    {"10.0.0.1", false},
    {"128.0.0.1", false},
    {"126.255.255.255", false},
    {"192.168.1.20", false},
    {"::ffff:10.0.0.1", false},
    {"fe80::1", false},
    {"retrain.example.com", false},
    {"localhost.example.com", false},
    {"", false},
    // Forms a resolver takes but that are no dotted quad: refused.
    {"127.1", false},
    {"0x7f.0.0.1", false},
    {" 127.0.0.1", false},
  };
  for (auto& r : rows) {
    CAF_MESSAGE("host " << r.host);
    CAF_CHECK_EQUAL(is_loopback_host(r.host), r.loopback);
  }
}

CAF_TEST(wildcard addresses) {
  struct row {
    const char* host;
    bool wildcard;
  };
  row rows[] = {
    {"", true},
    {"0.0.0.0", true},
    {"::", true},
    {"0:0:0:0:0:0:0:0", true},
    {"::ffff:0.0.0.0", true},
    {"127.0.0.1", false},
    {"10.0.0.1", false},
    {"0.0.0.1", false},
    {"::1", false},
    {"::ffff:10.0.0.1", false},
    {"localhost", false},
    {"node-3.example.com", false},
  };
  for (auto& r : rows) {
    CAF_MESSAGE("host '" << r.host << "'");
    CAF_CHECK_EQUAL(is_wildcard_host(r.host), r.wildcard);
  }
}

CAF_TEST(binary ports beyond loopback need mutual TLS) {
  node_settings s;
  CAF_CHECK_EQUAL(plaintext_exposure(s, false), "");
  s.host = "0.0.0.0";
  CAF_CHECK_EQUAL(plaintext_exposure(s, false),
                  "retrain.host=\"0.0.0.0\" opens the ingest port 4242 and "
                  "the coordinator port 4243 beyond this machine without "
                  "mutual TLS");
  CAF_CHECK_EQUAL(plaintext_exposure(s, true), "");
  s.role = node_role::coordinator;
  s.coordinator_port = 0;
  CAF_CHECK_EQUAL(plaintext_exposure(s, false),
                  "retrain.host=\"0.0.0.0\" opens the coordinator port (a "
                  "free port) beyond this machine without mutual TLS");
  s.role = node_role::monitor;
  s.host = "10.0.0.1";
  CAF_CHECK_EQUAL(plaintext_exposure(s, false),
                  "retrain.host=\"10.0.0.1\" opens the ingest port 4242 "
                  "beyond this machine without mutual TLS");
  // A worker binds no port.
  s.role = node_role::worker;
  CAF_CHECK_EQUAL(plaintext_exposure(s, false), "");
  s.role = node_role::all;
  s.host = "::1";
  CAF_CHECK_EQUAL(plaintext_exposure(s, false), "");
}
