#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "retrain/defaults.hpp"
#include "retrain/endpoint.hpp"

namespace retrain::ctl {

/// Exit codes of retrain-ctl.
enum exit_code : int {
  ok = 0,
  /// The node is unreachable or refused the request.
  refused = 1,
  /// Bad arguments or input.
  usage = 2,
};

/// Options every remote command takes; the endpoints default to those of a
/// node started with its defaults.
struct remote_options {
  std::string node
    = to_string(endpoint{std::string{defaults::host}, defaults::ingest_port});
  std::string coordinator = to_string(
    endpoint{std::string{defaults::host}, defaults::coordinator_port});
  bool json = false;
  /// Seconds to wait for an answer.
  int timeout_s = 10;
  /// TLS: certificate, key and CA file (all three, or none).
  std::string tls_certificate;
  std::string tls_key;
  std::string tls_cafile;
};

/// `send MODEL KIND VALUE`
int run_send(const remote_options& opts, const std::vector<std::string>& args,
             std::ostream& out, std::ostream& err);

/// `replay FILE.csv`
int run_replay(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err);

/// `status`
int run_status(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err);

/// `forget MODEL|LINE`
int run_forget(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err);

/// `jobs`
int run_jobs(const remote_options& opts, const std::vector<std::string>& args,
             std::ostream& out, std::ostream& err);

/// `versions LINE`
int run_versions(const remote_options& opts,
                 const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err);

/// `backtest --strategy NAME [--param KEY=VALUE ...] [--json] FILE`: runs a
/// strategy offline; needs no node.
int run_backtest_command(const std::vector<std::string>& args,
                         std::ostream& out, std::ostream& err);

/// `backup [--data-dir=DIR] FILE`: copies the SQLite registry
/// `<DIR>/registry.db` (default `./retrain-data`) into the new file FILE
/// with SQLite's online backup API, while its coordinator may run; needs
/// no node, but the data dir on this machine.
int run_backup(const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err);

/// `policy set|get|list|history|rm|explain ...`
int run_policy(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err);

/// `backtest --policy PATTERN [--kind K] [--json] FILE`: runs the strategy
/// of a stored policy offline.
int run_policy_backtest(const remote_options& opts,
                        const std::vector<std::string>& args, std::ostream& out,
                        std::ostream& err);

/// `shards`: the shard map (shard, owner, epoch, models).
int run_shards(const remote_options& opts, const std::vector<std::string>& args,
               std::ostream& out, std::ostream& err);

} // namespace retrain::ctl
