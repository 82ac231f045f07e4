// retrain-ctl: talks to running nodes, replays metrics, backtests strategies.

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "ctl/commands.hpp"
#include "retrain/core/number.hpp"
#include "version.hpp"

namespace {

// The usage text, with the defaults of `remote_options`.
std::string usage_text() {
  retrain::ctl::remote_options opts;
  return R"(usage: retrain-ctl [OPTIONS] COMMAND [ARGS]

commands:
  send MODEL KIND VALUE      send one metric event (acknowledged); VALUE is
                             one decimal number
  replay FILE.csv            send model,kind,value[,observed_at_ns] lines in
                             batches (FILE - reads stdin; LF, CRLF or CR line
                             ends, lines up to 1 MiB); prints rejected lines
                             with reasons as they are found (--json: the
                             first 1000, the rest counted)
  status [MODEL|LINE] [--state=STATE] [--line=LINE] [--limit=N]
         [--offset=N]        the coordinator's queue, workers, storage and
                             the version of every node, then the node's
                             models counted by state (watching, job-active,
                             standing-down, passivated, quarantined) and its
                             flush window; rows only when asked (MODEL,
                             LINE or an option; 100 per page unless --limit):
                             per kind statistic, samples, state
  forget MODEL|LINE          forget a model (or every version of LINE) on
                             the node at once: its monitor stops and its
                             state goes; a later event starts it fresh;
                             prints how many models were forgotten
  jobs                       retrain jobs: id, model, state, attempts, version
  versions LINE              registered versions of <project>:<name>
  shards                     the shard map of the monitor tier: each shard's
                             owner (a monitor node), epoch and models
  backtest --strategy NAME [--param KEY=VALUE ...] [--json] FILE
                             run a strategy offline over one value per line
  backtest --policy PATTERN [--kind K] FILE
         [--coordinator=HOST:PORT[,...]]
                             the same with the strategy of a stored policy
  policy set PATTERN --file P.ini | --kind K --strategy "NAME [K=V ...]"
         | --kind K --threshold X  [--by WHO] [--reason WHY]
                             store a new version of the policy of PATTERN
                             (*, PROJECT:* or PROJECT:NAME); monitor nodes
                             switch at once
  policy get|history PATTERN the policy in force, or every version
  policy rm PATTERN [--by WHO] [--reason WHY]
                             remove it (its history stays)
  policy list                the policies in force
  policy explain MODEL|LINE  which policy applies on the node and why
  backup [--data-dir=DIR] FILE
                             copy the SQLite registry DIR/registry.db
                             (default ./retrain-data) into the new FILE,
                             consistent while the coordinator runs (on its
                             machine; opens the file read-only)

options:
  --node=HOST:PORT           ingest of a monitor node (default )"
         + opts.node + R"()
  --coordinator=HOST:PORT[,HOST:PORT...]
                             coordinator (default )"
         + opts.coordinator + R"(); with a list,
                             the active one of a failover group
  --json                     machine-readable output
  --timeout=SECONDS          wait this long for answers (default )"
         + std::to_string(opts.timeout_s) + R"()
  --openssl.certificate=PEM --openssl.key=PEM --openssl.cafile=PEM
                             TLS for nodes that use it (all three)
  -h, --help                 this text
  --version                  version, git revision and CAF version

exit codes: 0 ok, 1 unreachable or refused, 2 bad arguments
)";
}

} // namespace

int main(int argc, char** argv) {
  using namespace retrain::ctl;
  remote_options opts;
  std::vector<std::string> args;
  std::string command;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* prefix) -> const char* {
      auto n = std::char_traits<char>::length(prefix);
      return arg.compare(0, n, prefix) == 0 ? argv[i] + n : nullptr;
    };
    if (command == "backtest" && arg.rfind("--coordinator=", 0) == 0) {
      opts.coordinator = arg.substr(14);
    } else if (command == "backtest") {
      args.push_back(arg);
    } else if (arg == "-h" || arg == "--help") {
      std::cout << usage_text();
      return ok;
    } else if (arg == "--version") {
      std::cout << retrain::version_line("retrain-ctl") << '\n';
      return ok;
    } else if (auto v = value("--node=")) {
      opts.node = v;
    } else if (auto v = value("--coordinator=")) {
      opts.coordinator = v;
    } else if (auto v = value("--openssl.certificate=")) {
      opts.tls_certificate = v;
    } else if (auto v = value("--openssl.key=")) {
      opts.tls_key = v;
    } else if (auto v = value("--openssl.cafile=")) {
      opts.tls_cafile = v;
    } else if (arg == "--json") {
      opts.json = true;
    } else if (auto v = value("--timeout=")) {
      // A whole number of seconds, all of it: "5x" is no 5.
      auto secs = retrain::core::parse_whole(v, 1'000'000'000);
      if (!secs || *secs == 0) {
        std::cerr << "retrain-ctl: --timeout needs a positive whole number "
                     "of seconds"
                  << (secs ? std::string{} : ": " + secs.error().message)
                  << '\n';
        return usage;
      }
      opts.timeout_s = static_cast<int>(*secs);
    } else if (arg.size() > 1 && arg[0] == '-' && command.empty()) {
      std::cerr << "retrain-ctl: unknown option '" << arg << "'\n"
                << usage_text();
      return usage;
    } else if (command.empty()) {
      command = arg;
    } else {
      args.push_back(arg);
    }
  }
  auto tls_set = !opts.tls_certificate.empty() + !opts.tls_key.empty()
                 + !opts.tls_cafile.empty();
  if (tls_set != 0 && tls_set != 3) {
    std::cerr << "retrain-ctl: TLS needs --openssl.certificate, --openssl.key "
                 "and --openssl.cafile\n";
    return usage;
  }
  if (command == "send")
    return run_send(opts, args, std::cout, std::cerr);
  if (command == "replay")
    return run_replay(opts, args, std::cout, std::cerr);
  if (command == "status")
    return run_status(opts, args, std::cout, std::cerr);
  if (command == "forget")
    return run_forget(opts, args, std::cout, std::cerr);
  if (command == "jobs")
    return run_jobs(opts, args, std::cout, std::cerr);
  if (command == "versions")
    return run_versions(opts, args, std::cout, std::cerr);
  if (command == "policy")
    return run_policy(opts, args, std::cout, std::cerr);
  if (command == "shards")
    return run_shards(opts, args, std::cout, std::cerr);
  if (command == "backup")
    return run_backup(args, std::cout, std::cerr);
  if (command == "backtest") {
    if (opts.json)
      args.insert(args.begin(), "--json");
    auto by_policy = std::any_of(args.begin(), args.end(), [](auto& x) {
      return x == "--policy" || x.rfind("--policy=", 0) == 0;
    });
    if (by_policy)
      return run_policy_backtest(opts, args, std::cout, std::cerr);
    return run_backtest_command(args, std::cout, std::cerr);
  }
  if (command.empty())
    std::cerr << usage_text();
  else
    std::cerr << "retrain-ctl: unknown command '" << command << "'\n"
              << usage_text();
  return usage;
}
