#define CAF_SUITE node_config
#include "config_test.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include <caf/settings.hpp>

using namespace retrain;
using namespace retrain::test;
using namespace std::chrono_literals;

namespace {

bool watched(const node_settings& s, metric_kind kind) {
  return s.monitor.kinds[static_cast<std::size_t>(kind)].has_value();
}

// A command line, the INI text of the config file (none if empty), and the
// error text expected (or "ok").
struct row {
  std::vector<std::string> args;
  const char* ini;
  const char* expected;
};

const kind_watch& watch_of(const node_settings& s, metric_kind kind) {
  auto& watch = s.monitor.kinds[static_cast<std::size_t>(kind)];
  CAF_REQUIRE(watch.has_value());
  return *watch;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(node_config_tests, config_fixture)

CAF_TEST(no arguments give the node defaults) {
  auto s = parse();
  CAF_REQUIRE(s);
  CAF_CHECK(s->role == defaults::role);
  CAF_CHECK_EQUAL(s->host, defaults::host);
  CAF_CHECK_EQUAL(s->ingest_port, defaults::ingest_port);
  CAF_CHECK_EQUAL(s->coordinator_port, defaults::coordinator_port);
  CAF_CHECK_EQUAL(to_string(s->coordinator), "127.0.0.1:4243");
  CAF_CHECK_EQUAL(s->workers, defaults::workers);
  CAF_CHECK(s->request_timeout == defaults::request_timeout);
  CAF_CHECK_EQUAL(s->log_level, defaults::log_level);
  // A node holds events for longer runs; a bare monitor_config does not.
  CAF_CHECK(s->monitor.flush_interval == defaults::monitor::flush_interval);
  CAF_CHECK(monitor_config{}.flush_interval == 0ms);
  CAF_CHECK(s->monitor.cooldown == defaults::monitor::cooldown);
  CAF_CHECK(s->job.timeout == defaults::job::timeout);
  CAF_CHECK(s->job.command.empty());
  CAF_CHECK(watched(*s, metric_kind::accuracy));
  CAF_CHECK_EQUAL(watch_of(*s, metric_kind::accuracy).params.at("threshold"),
                  "0.92");
  CAF_CHECK(watched(*s, metric_kind::f1_score));
  CAF_CHECK(!watched(*s, metric_kind::latency_ms));
  // Derived from the node's own keys.
  CAF_CHECK_EQUAL(s->job.data_dir, dir.str() + "/data");
  CAF_CHECK(s->monitor.request_timeout == defaults::request_timeout);
}

CAF_TEST(the command line fills every kind of field) {
  auto s = parse({"--retrain.role=worker", "--retrain.coordinator=db1:5000",
                  "--retrain.ingest-port=0", "--retrain.workers=7",
                  "--retrain.request-timeout=3s", "--retrain.monitor.alpha=1",
                  "--retrain.monitor.cooldown=1500ms",
                  "--retrain.monitor.snapshot-interval=2min",
                  "--retrain.threshold.accuracy=off",
                  "--retrain.threshold.latency_ms=250",
                  "--retrain.job.command=[\"train.sh\", \"{model}\"]",
                  "--retrain.job.max-attempts=4"});
  CAF_REQUIRE(s);
  CAF_CHECK(s->role == node_role::worker);
  CAF_CHECK_EQUAL(s->coordinator.host, "db1");
  CAF_CHECK_EQUAL(s->coordinator.port, 5000u);
  CAF_CHECK_EQUAL(s->ingest_port, 0u);
  CAF_CHECK_EQUAL(s->workers, 7u);
  CAF_CHECK(s->request_timeout == 3s);
  CAF_CHECK(s->monitor.request_timeout == 3s);
  CAF_CHECK_EQUAL(s->monitor.alpha, 1.0);
  CAF_CHECK(s->monitor.cooldown == 1500ms);
  CAF_CHECK(s->monitor.snapshot_interval == 2min);
  CAF_CHECK(!watched(*s, metric_kind::accuracy));
  CAF_CHECK(watched(*s, metric_kind::latency_ms));
  CAF_CHECK_EQUAL(watch_of(*s, metric_kind::latency_ms).params.at("threshold"),
                  "250");
  CAF_CHECK_EQUAL(s->job.command,
                  (std::vector<std::string>{"train.sh", "{model}"}));
  CAF_CHECK_EQUAL(s->job.max_attempts, 4u);
}

CAF_TEST(a list of coordinators is read from the command line and the file) {
  auto s = parse({"--retrain.role=worker",
                  "--retrain.coordinator=db1:5000, db2:5001",
                  "--retrain.registry.lease-timeout=2s"});
  CAF_REQUIRE(s);
  // The first stays the endpoint of code that wants one.
  CAF_CHECK_EQUAL(s->coordinator.host, "db1");
  CAF_CHECK_EQUAL(s->coordinator.port, 5000u);
  CAF_REQUIRE_EQUAL(s->coordinator.all().size(), 2u);
  CAF_CHECK_EQUAL(to_string(s->coordinator.all()[1]), "db2:5001");
  CAF_CHECK_EQUAL(to_string(s->coordinator), "db1:5000,db2:5001");
  CAF_CHECK(s->job.lease_timeout == 2s);
  auto t = parse_ini("[retrain]\nrole=\"monitor\"\n"
                     "coordinator=\"a:1,b:2,c:3\"\n");
  CAF_REQUIRE(t);
  CAF_CHECK_EQUAL(to_string(t->coordinator), "a:1,b:2,c:3");
  CAF_CHECK(t->job.lease_timeout == defaults::job::lease_timeout);
  // One address is one, as before.
  auto u = parse({"--retrain.role=worker", "--retrain.coordinator=db1:5000"});
  CAF_REQUIRE(u);
  CAF_CHECK(u->coordinator.more.empty());
}

CAF_TEST(a flag is set alone or with true or false) {
  auto s = parse({"--retrain.http=false", "--retrain.allow-plaintext=true",
                  "--retrain.metrics.per-model"});
  CAF_REQUIRE(s);
  CAF_CHECK(!s->edge.http);
  CAF_CHECK(s->edge.allow_plaintext);
  CAF_CHECK(s->edge.metrics_per_model);
  auto bad = parse({"--retrain.http=no"});
  CAF_REQUIRE(!bad);
  CAF_CHECK_EQUAL(error_text(bad.error()),
                  "retrain.http='no' is not one of true, false");
}

CAF_TEST(values in nested ini sections reach their fields) {
  // CAF stores a value in its bound field only for a top-level section;
  // [retrain.monitor] and the like must not be lost.
  auto s = parse_ini("[retrain]\nworkers=5\nrole=\"coordinator\"\n"
                     "[retrain.monitor]\nalpha=1\ncooldown=5s\n"
                     "min-samples=9\n"
                     "[retrain.threshold]\naccuracy=0.5\nf1_score=\"off\"\n"
                     "recall=1\n"
                     "[retrain.job]\ncommand=[\"a\", \"b\"]\n"
                     "retry-delay=1s\n");
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->workers, 5u);
  CAF_CHECK(s->role == node_role::coordinator);
  CAF_CHECK_EQUAL(s->monitor.alpha, 1.0);
  CAF_CHECK(s->monitor.cooldown == 5s);
  CAF_CHECK_EQUAL(s->monitor.min_samples, 9u);
  CAF_CHECK_EQUAL(watch_of(*s, metric_kind::accuracy).params.at("threshold"),
                  "0.5");
  CAF_CHECK(!watched(*s, metric_kind::f1_score));
  CAF_CHECK_EQUAL(watch_of(*s, metric_kind::recall).params.at("threshold"),
                  "1");
  CAF_CHECK_EQUAL(s->job.command, (std::vector<std::string>{"a", "b"}));
  CAF_CHECK(s->job.retry_delay == 1s);
}

CAF_TEST(the command line wins over the ini file) {
  auto s = parse_ini("[retrain]\nworkers=3\n[retrain.monitor]\ncooldown=5s\n",
                     {"--retrain.workers=1", "--retrain.monitor.cooldown=7s"});
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->workers, 1u);
  CAF_CHECK(s->monitor.cooldown == 7s);
}

CAF_TEST(a strategy replaces the threshold watch and may keep its threshold) {
  auto s = parse({"--retrain.threshold.accuracy=0.8",
                  "--retrain.strategy.accuracy=ewma_threshold",
                  "--retrain.strategy.f1_score=page_hinkley threshold=30"});
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(watch_of(*s, metric_kind::accuracy).params.at("threshold"),
                  "0.8");
  auto& f1 = watch_of(*s, metric_kind::f1_score);
  CAF_CHECK_EQUAL(f1.strategy, "page_hinkley");
  CAF_CHECK_EQUAL(f1.params.at("threshold"), "30");
}

CAF_TEST(values of the wrong type are refused wherever they are written) {
  row rows[] = {
    // [retrain] values of the wrong type CAF drops with a warning only.
    {{},
     "[retrain]\nworkers=\"two\"\n",
     "retrain.workers='two' is not a whole number within [0, 4294967295]"},
    {{},
     "[retrain]\ningest-port=70000\n",
     "retrain.ingest-port='70000' is not a whole number within [0, 65535]"},
    {{},
     "[retrain]\nrole=\"everything\"\n",
     "retrain.role='everything' is not one of all, coordinator, monitor, "
     "worker"},
    {{},
     "[retrain.monitor]\ncooldown=5\n",
     "retrain.monitor.cooldown='5' is not a duration such as 500ms, 30s, "
     "5min or 1h"},
    {{},
     "[retrain.monitor]\nalpha=\"x\"\n",
     "retrain.monitor.alpha='x' is not a number"},
    {{},
     "[retrain.threshold]\naccuracy=\"abc\"\n",
     "retrain.threshold.accuracy='abc' is not a number or \"off\""},
    {{},
     "[retrain.job]\ncommand=[\"a\", 1]\n",
     "retrain.job.command='[\"a\", 1]' is not a list such as [\"a\", \"b\"]"},
    // CAF's own sections are checked the same way.
    {{},
     "[scheduler]\npolicy=\"sharing\"\n",
     "scheduler.policy='sharing' is not an atom (in single quotes in the "
     "INI file)"},
    {{"--retrain.workers=-1"},
     "",
     "retrain.workers='-1' is not a whole number within [0, 4294967295]"},
    {{"--retrain.coordinator=db1"},
     "",
     "retrain.coordinator='db1' is not HOST:PORT with a port within [1, "
     "65535], or several comma-separated"},
    {{"--retrain.coordinator=db1:0"},
     "",
     "retrain.coordinator='db1:0' is not HOST:PORT with a port within [1, "
     "65535], or several comma-separated"},
    {{"--retrain.coordinator=a:1,a:1"},
     "",
     "retrain.coordinator='a:1,a:1' is not HOST:PORT with a port within [1, "
     "65535], or several comma-separated"},
    {{"--retrain.coordinator=a:1,"},
     "",
     "retrain.coordinator='a:1,' is not HOST:PORT with a port within [1, "
     "65535], or several comma-separated"},
    {{"--retrain.registry.lease-timeout=100ms"},
     "",
     "retrain.registry.lease-timeout=100ms is outside [500ms, 10min]"},
    {{"--retrain.threshold.recall=nan"},
     "",
     "retrain.threshold.recall='nan' is not a finite number"},
    // The types CAF drops silently in the file are refused in it.
    {{},
     "[retrain]\ningest-port=\"x\"\n",
     "retrain.ingest-port='x' is not a whole number within [0, 65535]"},
    {{},
     "[middleman]\nheartbeat-interval=\"1s\"\n",
     "middleman.heartbeat-interval='1s' is not a duration such as 500ms, "
     "30s, 5min or 1h"},
    {{"--retrain.workers=two"},
     "",
     "retrain.workers='two' is not a whole number within [0, 4294967295]"},
    {{"--retrain.ingest-port=x"},
     "",
     "retrain.ingest-port='x' is not a whole number within [0, 65535]"},
    {{"--retrain.monitor.cooldown=5"},
     "",
     "retrain.monitor.cooldown='5' is not a duration such as 500ms, 30s, "
     "5min or 1h"},
    {{"--retrain.monitor.alpha"},
     "",
     "retrain.monitor.alpha needs a value: a number"},
    // A flag is set by its name alone or with true or false.
    {{"--scheduler.enable-profiling=yes"},
     "",
     "scheduler.enable-profiling='yes' is not one of true, false"},
    // The registry URL: only its scheme is echoed, the rest may hold a
    // password.
    {{"--retrain.registry.url=mysql://u:secret@db/retrain"},
     "",
     "retrain.registry.url must be a PostgreSQL URL, "
     "postgresql://user:password@host:port/dbname (or empty for SQLite in "
     "the data dir), not one starting with 'mysql'"},
    {{"--retrain.registry.url=registry.db"},
     "",
     "retrain.registry.url must be a PostgreSQL URL, "
     "postgresql://user:password@host:port/dbname (or empty for SQLite in "
     "the data dir), not one starting with 'registry.db'"},
    {{},
     "[retrain.registry]\nurl=\"postgresql://u:se cret@db/r\"\n",
     "retrain.registry.url contains a space or a control character; "
     "percent-encode it"},
    {{"--retrain.cluster.shards=0"},
     "",
     "retrain.cluster.shards must be within [1, 65536], not 0"},
    {{"--retrain.cluster.apply-journal=/var/log/retrain/"},
     "",
     "retrain.cluster.apply-journal='/var/log/retrain/' names a directory, "
     "not a file"},
  };
  for (auto& r : rows) {
    CAF_MESSAGE("args " << r.args.size() << ", ini " << r.ini);
    CAF_CHECK_EQUAL(error_of(r.args, r.ini), r.expected);
  }
}

CAF_TEST(unknown keys and broken files are refused) {
  CAF_CHECK_EQUAL(error_of({}, "[retrain.monitor]\nalpah=0.3\n"),
                  "unknown config key 'retrain.monitor.alpah' (see --help "
                  "for every key)");
  CAF_CHECK_EQUAL(error_of({}, "[retrain]\nmonitor=1\n"),
                  "unknown config key 'retrain.monitor' (see --help for "
                  "every key)");
  CAF_CHECK_EQUAL(error_of({"--retrain.bogus=1"}),
                  "unknown option '--retrain.bogus=1' (see --help)");
  CAF_CHECK_EQUAL(error_of({"extra"}), "unexpected argument 'extra'");
  auto path = write("node.ini", "[retrain]\nrole=worker\n");
  CAF_CHECK_EQUAL(error_of({"--config=" + path}),
                  "config file '" + path
                    + "': syntax error in line 2, column 6: unexpected "
                      "character 'w' (text values need quotes, lists use "
                      "[\"a\", \"b\"])");
  // CAF stops reading at a NUL byte: what follows would be ignored.
  path = write("node.ini",
               std::string{"[retrain]\nworkers=1\n\0alpha=9\n", 27});
  CAF_CHECK_EQUAL(error_of({"--config=" + path}),
                  "config file '" + path + "': line 3 contains a NUL byte");
  CAF_CHECK_EQUAL(error_of({"--config-file=/nonexistent/retrain.ini"}),
                  "cannot open config file '/nonexistent/retrain.ini'");
}

CAF_TEST(unknown keys are refused in every section) {
  auto unknown = [](const std::string& key) {
    return "unknown config key '" + key + "' (see --help for every key)";
  };
  // CAF's sections know their keys from CAF's own options; CAF 0.17 reads
  // nothing from [caf] (the place of its settings from 0.18 on).
  CAF_CHECK_EQUAL(error_of({}, "[middleman]\nheartbeat-intervall=1s\n"),
                  unknown("middleman.heartbeat-intervall"));
  CAF_CHECK_EQUAL(error_of({}, "[scheduler]\npolcy='sharing'\n"),
                  unknown("scheduler.polcy"));
  CAF_CHECK_EQUAL(error_of({}, "[openssl]\ncertfile=\"a.pem\"\n"),
                  unknown("openssl.certfile"));
  CAF_CHECK_EQUAL(error_of({}, "[caf.scheduler]\npolicy='sharing'\n"),
                  unknown("caf.scheduler.policy"));
  CAF_CHECK_EQUAL(error_of({}, "[caf]\nlogger={verbosity='debug'}\n"),
                  unknown("caf.logger.verbosity"));
  CAF_CHECK_EQUAL(error_of({}, "[middleman.x]\ny=1\n"),
                  unknown("middleman.x.y"));
  CAF_CHECK_EQUAL(error_of({}, "[retrian]\nworkers=1\n"),
                  unknown("retrian.workers"));
  // The command line options of CAF are no config keys.
  CAF_CHECK_EQUAL(error_of({}, "help=true\n"), unknown("help"));
  CAF_CHECK_EQUAL(error_of({}, "[global]\nconfig-file=\"x.ini\"\n"),
                  unknown("config-file"));
  // Real CAF keys of those sections pass.
  CAF_CHECK_EQUAL(error_of({}, "[middleman]\nheartbeat-interval=2s\n"
                               "workers=1\napp-identifiers=[\"retrain.v1\"]\n"
                               "[scheduler]\nmax-threads=2\n"
                               "[openssl]\ncafile=\"\"\n"
                               "[logger]\nverbosity='quiet'\n"),
                  "ok");
  CAF_CHECK_EQUAL(
    error_of({"--middleman.heartbeat-intervall=1s"}),
    "unknown option '--middleman.heartbeat-intervall=1s' (see --help)");
}

CAF_TEST(negative durations and unknown policies are refused) {
  row rows[] = {
    {{},
     "[middleman]\nheartbeat-interval=-1s\n",
     "middleman.heartbeat-interval=-1s must not be negative"},
    {{"--middleman.heartbeat-interval=-1s"},
     "",
     "middleman.heartbeat-interval=-1s must not be negative"},
    {{"--middleman.connection-timeout=-3s"},
     "",
     "middleman.connection-timeout=-3s must not be negative"},
    // Cut to whole milliseconds, -1ns was 0 and passed.
    {{"--retrain.monitor.cooldown=-1ns"},
     "",
     "retrain.monitor.cooldown=-1ns must not be negative"},
    {{},
     "[retrain.job]\ntimeout=-1h\n",
     "retrain.job.timeout=-1h must not be negative"},
    {{},
     "[scheduler]\npolicy='bogus'\n",
     "scheduler.policy='bogus' is not one of stealing, sharing"},
    {{"--scheduler.policy=bogus"},
     "",
     "scheduler.policy='bogus' is not one of stealing, sharing"},
    // CAF's test scheduler runs nothing by itself.
    {{"--scheduler.policy=testing"},
     "",
     "scheduler.policy='testing' is not one of stealing, sharing"},
    // No thread, no actor ever runs.
    {{"--scheduler.max-threads=0"},
     "",
     "scheduler.max-threads=0 must be at least 1"},
    {{"--scheduler.policy=stealing", "--middleman.heartbeat-interval=0s"},
     "",
     "ok"},
  };
  for (auto& r : rows) {
    CAF_MESSAGE("args " << r.args.size() << ", ini " << r.ini);
    CAF_CHECK_EQUAL(error_of(r.args, r.ini), r.expected);
  }
  node_config cfg;
  CAF_REQUIRE(!cfg.read({"--scheduler.policy=stealing"}));
  CAF_CHECK_EQUAL(caf::get_or(cfg.content, "scheduler.policy", caf::atom("")),
                  caf::atom("stealing"));
}

CAF_TEST(a monitor node is not named by a wildcard) {
  const std::string why
    = " is a wildcard: a monitor node is named in the shard map by "
      "retrain.host:retrain.ingest-port, and the other monitor nodes reach it "
      "there; give the address they reach this node at";
  struct wildcard_row {
    std::vector<std::string> args;
    const char* ini;
    std::string expected;
  };
  wildcard_row rows[] = {
    {{"--retrain.role=monitor", "--retrain.host=0.0.0.0"},
     "",
     "retrain.host='0.0.0.0'" + why},
    {{"--retrain.role=monitor"},
     "[retrain]\nhost=\"::\"\n",
     "retrain.host='::'" + why},
    {{"--retrain.role=monitor", "--retrain.host=10.0.0.7"}, "", "ok"},
    // Other roles are named by nothing: they may listen everywhere.
    {{"--retrain.role=all", "--retrain.host=0.0.0.0"}, "", "ok"},
    {{"--retrain.role=coordinator", "--retrain.host=::"}, "", "ok"},
  };
  for (auto& r : rows) {
    CAF_MESSAGE("args " << r.args.size() << ", ini " << r.ini);
    CAF_CHECK_EQUAL(error_of(r.args, r.ini), r.expected);
  }
}

CAF_TEST(numbers are decimal and exact) {
  // CAF reads 010 as octal, 0x10 as hex and rounds about one decimal in four
  // to a neighbour of the nearest double; the node reads numbers as
  // retrain-ctl and backtest do.
  auto s = parse_ini("[retrain]\nworkers=010\n[retrain.monitor]\n"
                     "alpha=0.287309\nmin-samples=7\n");
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->workers, 10u);
  CAF_CHECK_EQUAL(s->monitor.alpha, std::strtod("0.287309", nullptr));
  CAF_CHECK_EQUAL(s->monitor.min_samples, 7u);
  s = parse({"--retrain.workers=010", "--retrain.monitor.alpha=0.978428",
             "--retrain.threshold.accuracy=0.328609",
             "--retrain.monitor.cooldown=0090s"});
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->workers, 10u);
  CAF_CHECK_EQUAL(s->monitor.alpha, std::strtod("0.978428", nullptr));
  CAF_CHECK_EQUAL(watch_of(*s, metric_kind::accuracy).params.at("threshold"),
                  "0.328609");
  CAF_CHECK(s->monitor.cooldown == 90s);
  // A threshold reaches its strategy with every digit (it was cut to six).
  s = parse({"--retrain.threshold.accuracy=0.123456789"});
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(watch_of(*s, metric_kind::accuracy).params.at("threshold"),
                  "0.123456789");
  row rows[] = {
    {{},
     "[retrain]\nworkers=0x10\n",
     "config file 'node.ini': line 2: retrain.workers='0x10' is not a "
     "decimal number (hexadecimal is not accepted)"},
    {{},
     "[retrain]\nworkers=0b11\n",
     "config file 'node.ini': line 2: retrain.workers='0b11' is not a "
     "number"},
    {{},
     "[retrain.monitor]\nalpha=1e309\n",
     "config file 'node.ini': line 2: retrain.monitor.alpha='1e309' is out "
     "of range"},
    {{},
     "[retrain.monitor]\ncooldown=9999999999h\n",
     "config file 'node.ini': line 2: retrain.monitor.cooldown='9999999999h' "
     "is out of range (at most 2562047h)"},
    {{},
     "[retrain]\nworkers=99999999999999999999\n",
     "config file 'node.ini': line 2: retrain.workers='99999999999999999999' "
     "is out of range"},
    {{},
     "[retrain.monitor]\ncooldown=1.5s\n",
     "config file 'node.ini': line 2: retrain.monitor.cooldown='1.5s' is not "
     "a duration such as 500ms, 30s, 5min or 1h"},
    {{"--retrain.workers=0x10"},
     "",
     "retrain.workers='0x10' is not a whole number within [0, 4294967295]"},
    {{"--retrain.workers=+5"},
     "",
     "retrain.workers='+5' is not a whole number within [0, 4294967295]"},
    {{},
     "[retrain]\nworkers=+5\n",
     "config file 'node.ini': line 2: retrain.workers='+5' is not a whole "
     "number (it takes no '+')"},
    {{"--retrain.workers= 5"},
     "",
     "retrain.workers=' 5' is not a whole number within [0, 4294967295]"},
    {{"--retrain.monitor.alpha=1e309"},
     "",
     "retrain.monitor.alpha='1e309' is out of range"},
    {{"--retrain.threshold.accuracy=0x1p-1"},
     "",
     "retrain.threshold.accuracy='0x1p-1' is not a decimal number "
     "(hexadecimal is not accepted)"},
    {{"--retrain.threshold.accuracy=0.9junk"},
     "",
     "retrain.threshold.accuracy='0.9junk' is not a number"},
    {{"--retrain.monitor.cooldown=9999999999h"},
     "",
     "retrain.monitor.cooldown='9999999999h' is out of range (at most "
     "2562047h)"},
    {{"--middleman.heartbeat-interval=010s"}, "", "ok"},
  };
  for (auto& r : rows) {
    CAF_MESSAGE("args " << r.args.size() << ", ini " << r.ini);
    auto text = error_of(r.args, r.ini);
    // The temp dir of the file differs per run.
    auto file = text.find(dir.str());
    if (file != std::string::npos)
      text.erase(file, dir.str().size() + 1);
    CAF_CHECK_EQUAL(text, r.expected);
  }
}

CAF_TEST(a NUL byte or a key set twice is refused) {
  auto path = write("node.ini",
                    std::string{"[retrain.monitor]\nalpha=0.5\0junk\n", 31});
  CAF_CHECK_EQUAL(error_of({"--config=" + path}),
                  "config file '" + path
                    + "': line 2 (retrain.monitor.alpha) contains a NUL "
                      "byte");
  path = write("node.ini", std::string{"[retrain]\nhost=\"a\0b\"\n", 20});
  CAF_CHECK_EQUAL(error_of({"--config=" + path}),
                  "config file '" + path
                    + "': line 2 (retrain.host) contains a NUL byte");
  CAF_CHECK_EQUAL(error_of({std::string{"--retrain.host=a\0b", 18}}),
                  "retrain.host='a\\x00b' contains a NUL byte");
  // Found by the fuzz target config_value: the name was echoed raw.
  CAF_CHECK_EQUAL(error_of({std::string{"--retr\xff=\0", 9}}),
                  "retr\\xff='\\x00' contains a NUL byte");
  // CAF keeps the first value of a key in a section and the last of a key
  // in a nested section.
  path = write("node.ini", "[retrain]\nworkers=1\nworkers=2\n");
  CAF_CHECK_EQUAL(error_of({"--config=" + path}),
                  "config file '" + path
                    + "': retrain.workers is set twice (lines 2 and 3)");
  path = write("node.ini", "[retrain.monitor]\nalpha=0.5\n[retrain]\n"
                           "monitor={alpha=0.7}\n");
  CAF_CHECK_EQUAL(error_of({"--config=" + path}),
                  "config file '" + path
                    + "': retrain.monitor.alpha is set twice (lines 2 and "
                      "4)");
  // A section may come back; its keys may not.
  auto s = parse_ini("[retrain]\nworkers=1\n[retrain.job]\ntimeout=5s\n"
                     "[retrain]\nrole=\"worker\"\n");
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->workers, 1u);
  CAF_CHECK(s->role == node_role::worker);
}

CAF_TEST(config files are read whole and bounded) {
  // CRLF line endings as written on Windows.
  auto s = parse_ini("[retrain]\r\nworkers=3 ; three\r\n"
                     "[retrain.job]\r\ncommand=[\"a\",\r\n \"b\"]\r\n");
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->workers, 3u);
  CAF_CHECK_EQUAL(s->job.command, (std::vector<std::string>{"a", "b"}));
  // A map value is read as the keys in it.
  s = parse_ini("[retrain]\nmonitor={alpha=0.5, cooldown=2s}\n");
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->monitor.alpha, 0.5);
  CAF_CHECK(s->monitor.cooldown == 2s);
  auto big = write("big.ini", "[retrain]\n" + std::string(1 << 20, ';'));
  CAF_CHECK_EQUAL(error_of({"--config=" + big}),
                  "config file '" + big + "' is larger than 1 MiB");
  CAF_CHECK_EQUAL(error_of({"--config=" + dir.str()}),
                  "config file '" + dir.str() + "' is a directory");
  auto deep = write("deep.ini", "[retrain.job]\ncommand=" + std::string(40, '[')
                                  + std::string(40, ']') + "\n");
  CAF_CHECK_EQUAL(error_of({"--config=" + deep}),
                  "config file '" + deep
                    + "': syntax error in line 2, column 41: lists and maps "
                      "nest deeper than 32 levels (text values need quotes, "
                      "lists use [\"a\", \"b\"])");
}

CAF_TEST(values are echoed without control bytes) {
  CAF_CHECK_EQUAL(error_of({}, "[retrain]\nworkers=\"\\x\"\n"),
                  "config file '" + dir.str() + "/node.ini"
                    + "': syntax error in line 2, column 11: illegal escape "
                      "sequence (text values need quotes, lists use [\"a\", "
                      "\"b\"])");
  CAF_CHECK_EQUAL(error_of({}, "[retrain]\nworkers=\"\x1b[2J\"\n"),
                  "retrain.workers='\\x1b[2J' is not a whole number within "
                  "[0, 4294967295]");
  CAF_CHECK_EQUAL(error_of({"--retrain.log-level=\x1b[2J"}),
                  "retrain.log-level='\\x1b[2J' is not one of trace, debug, "
                  "info, warn, error, critical, off");
  CAF_CHECK_EQUAL(error_of({"--retrain.bogus=\x07"}),
                  "unknown option '--retrain.bogus=\\x07' (see --help)");
}

CAF_TEST(every error is invalid_config) {
  auto res = parse({"--retrain.monitor.alpha=2"});
  CAF_REQUIRE(!res);
  CAF_CHECK(is_invalid_config(res.error()));
  res = parse({"--retrain.workers=x"});
  CAF_REQUIRE(!res);
  CAF_CHECK(is_invalid_config(res.error()));
  res = parse_ini("[retrain.x]\ny=1\n");
  CAF_REQUIRE(!res);
  CAF_CHECK(is_invalid_config(res.error()));
}

CAF_TEST(alpha must move the average) {
  CAF_CHECK_EQUAL(error_of({"--retrain.monitor.alpha=0"}),
                  "retrain.monitor.alpha=0 is outside (0, 1]");
  CAF_CHECK_EQUAL(error_of({}, "[retrain.monitor]\nalpha=0.0\n"),
                  "retrain.monitor.alpha=0 is outside (0, 1]");
  CAF_CHECK_EQUAL(error_of({"--retrain.monitor.alpha=1"}), "ok");
  CAF_CHECK_EQUAL(
    error_of({"--retrain.strategy.accuracy=ewma_threshold alpha=0 "
              "threshold=0.9"}),
    "retrain.strategy.accuracy: ewma_threshold: parameter alpha=0 must be "
    "greater than 0");
}

CAF_TEST(kind checks name the key) {
  CAF_CHECK_EQUAL(error_of({"--retrain.threshold.accuracy=2"}),
                  "retrain.threshold.accuracy: accuracy value 2 is outside "
                  "[0, 1]");
  CAF_CHECK_EQUAL(error_of({"--retrain.strategy.accuracy=nope"})
                    .rfind("retrain.strategy.accuracy: ", 0),
                  0u);
  CAF_CHECK_EQUAL(error_of({"--retrain.strategy.recall=page_hinkley x"}),
                  "retrain.strategy.recall: 'x' is not KEY=VALUE");
  // The spec is read by core's parser, which knows a key given twice and
  // control bytes.
  CAF_CHECK_EQUAL(
    error_of({"--retrain.strategy.recall=page_hinkley threshold=1 "
              "threshold=2"}),
    "retrain.strategy.recall: parameter 'threshold' is given twice");
  CAF_CHECK_EQUAL(
    error_of({}, "[retrain.strategy]\nrecall=\"adwin\\rdelta=0.1\"\n"), "ok");
  CAF_CHECK_EQUAL(error_of({}, "[retrain.strategy]\nrecall=\"adwin \x01\"\n"),
                  "retrain.strategy.recall: strategy 'adwin \\x01' has "
                  "control byte '\\x01' at column 7");
}

CAF_TEST(the data dir must be writable for every role) {
  // A monitor node keeps the triggers a shutdown could not deliver there.
  auto file = write("plain-file", "");
  for (auto role : {"all", "coordinator", "monitor", "worker"})
    CAF_CHECK_EQUAL(
      error_of({"--retrain.data-dir=" + file + "/data",
                std::string{"--retrain.role="} + role})
        .rfind("retrain.data-dir='" + file + "/data' cannot be created", 0),
      0u);
}

CAF_TEST(help shows each default from its field) {
  node_config cfg;
  auto values = cfg.values();
  auto value_of = [&](const std::string& key) {
    for (auto& [k, v] : values)
      if (k == key)
        return v;
    CAF_FAIL("no key " << key);
    return std::string{};
  };
  CAF_CHECK_EQUAL(value_of("retrain.role"), "all");
  CAF_CHECK_EQUAL(value_of("retrain.ingest-port"), "4242");
  CAF_CHECK_EQUAL(value_of("retrain.coordinator"), "127.0.0.1:4243");
  CAF_CHECK_EQUAL(value_of("retrain.monitor.cooldown"), "1min");
  CAF_CHECK_EQUAL(value_of("retrain.monitor.flush-interval"), "2ms");
  CAF_CHECK_EQUAL(value_of("retrain.monitor.alpha"), "0.2");
  CAF_CHECK_EQUAL(value_of("retrain.threshold.f1_score"), "0.9");
  CAF_CHECK_EQUAL(value_of("retrain.threshold.recall"), "off");
  CAF_CHECK_EQUAL(value_of("retrain.strategy.recall"), "\"\"");
  CAF_CHECK_EQUAL(value_of("retrain.job.command"), "[]");
  CAF_CHECK_EQUAL(value_of("scheduler.policy"), "sharing");
  CAF_CHECK_EQUAL(value_of("middleman.heartbeat-interval"), "1s");
  // After reading, the values are those read.
  CAF_REQUIRE(!cfg.read(
    {"--retrain.monitor.cooldown=90s", "--retrain.job.command=[\"x\"]"}));
  values = cfg.values();
  CAF_CHECK_EQUAL(value_of("retrain.monitor.cooldown"), "90s");
  CAF_CHECK_EQUAL(value_of("retrain.job.command"), "[\"x\"]");
}

CAF_TEST(help shows the defaults and returns without validating) {
  std::ostringstream out;
  std::ostringstream err;
  auto cout_buf = std::cout.rdbuf(out.rdbuf());
  auto cerr_buf = std::cerr.rdbuf(err.rdbuf());
  node_config cfg;
  auto s
    = cfg.parse_settings(with_data_dir({"--help", "--retrain.workers=5000"}));
  std::cout.rdbuf(cout_buf);
  std::cerr.rdbuf(cerr_buf);
  CAF_CHECK(s);
  CAF_CHECK(cfg.help_requested());
  CAF_CHECK(contains(err.str(), "defaults that differ from CAF's text below: "
                                "scheduler.policy=sharing,\n"
                                "  middleman.heartbeat-interval=1s, "
                                "middleman.connection-timeout=3s\n"));
  CAF_CHECK(contains(out.str(), "--retrain.monitor.flush-interval=<timespan>"));
  CAF_CHECK(contains(out.str(), "(default: 2ms)"));
  CAF_CHECK(contains(out.str(), "--retrain.threshold.accuracy=<number|off>"));
  CAF_CHECK(contains(out.str(), "(default: 0.92)"));
}

CAF_TEST_FIXTURE_SCOPE_END()
