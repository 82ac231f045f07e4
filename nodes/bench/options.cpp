#include "bench/options.hpp"

#include <string_view>

#include "retrain/core/number.hpp"
#include "retrain/ec.hpp"

namespace retrain::bench {

const char* usage() {
  return "usage: retrain-bench local  --models M --events N --kinds K\n"
         "                            [--batch B] [--in-flight W] [--rate R]\n"
         "                            [--latency]\n"
         "       retrain-bench remote --node=HOST:PORT --models M --events N\n"
         "                            --kinds K [--batch B] [--in-flight W]\n"
         "       retrain-bench http --url=http://HOST:PORT --models M --events "
         "N\n"
         "                          --kinds K [--batch B] [--clients C]\n"
         "       retrain-bench memory --models M [--passivated]\n"
         "common: [--threads T] [--scheduler sharing|stealing] [--flush-ms F]\n"
         "        [--max-flush-ms D] [--snapshot-ms S] [--log-level LEVEL]\n"
         "        [--history-points P]\n"
         "Events follow the seed bench's recipe. The last line is\n"
         "  events=N models=M seconds=S events_per_sec=R jobs=J breaches=X\n"
         "(memory: models=M rss_bytes=B bytes_per_model=P summary_ms=S\n"
         "stats_ms=T, how long a status summary and a stats round (what a\n"
         "/metrics scrape asks) took; http: clients=C\n"
         "batch=B instead of jobs and breaches; its clients send JSON bodies\n"
         "built before the clock starts, on keep-alive connections); with\n"
         "--rate (or --latency, at full speed), local also appends p50_ms=,\n"
         "p99_ms= and max_ms=, how long events waited from their batch being\n"
         "made to being applied, and window_ms=, the flush window at the end\n"
         "(it grows from --flush-ms up to --max-flush-ms while the node is\n"
         "behind; --snapshot-ms sets how often monitors send snapshots,\n"
         "retrain.monitor.snapshot-interval). memory --passivated measures\n"
         "once every model is passivated (idle for 1 s) and appends\n"
         "passivated=N. breaches counts evaluations on the wrong side of the\n"
         "seed's thresholds; jobs counts retrain jobs the coordinator\n"
         "created (remote: triggers the monitors sent; only a fresh node\n"
         "matches the seed, as monitors keep state).\n";
}

caf::error parse(int argc, char** argv, options& out) {
  auto refuse = [](std::string what) {
    return caf::make_error(ec::invalid_config, std::move(what));
  };
  if (argc < 2)
    return refuse("missing mode");
  out.mode = argv[1];
  if (out.mode != "local" && out.mode != "remote" && out.mode != "http"
      && out.mode != "memory")
    return refuse("unknown mode '" + out.mode + "'");
  bool max_flush_set = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0)
      return refuse("unexpected argument '" + arg + "'");
    std::string key;
    std::string value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      key = arg.substr(2, eq - 2);
      value = arg.substr(eq + 1);
    } else if (arg == "--latency" || arg == "--passivated") {
      // Switches: alone they mean true.
      key = arg.substr(2);
      value = "true";
    } else {
      key = arg.substr(2);
      if (i + 1 >= argc)
        return refuse("--" + key + " needs a value");
      value = argv[++i];
    }
    auto number = [&](uint64_t& x, uint64_t min) -> caf::error {
      // All of it: 20 digits past 2^64 or "5k" are no number.
      auto n = core::parse_whole(value);
      if (!n || *n < min)
        return refuse("--" + key + " expects a whole number >= "
                      + std::to_string(min) + ", got '" + value + "'");
      x = *n;
      return caf::none;
    };
    caf::error err;
    if (key == "models")
      err = number(out.models, 1);
    else if (key == "events")
      err = number(out.events, 1);
    else if (key == "kinds")
      err = number(out.kinds, 1);
    else if (key == "batch")
      err = number(out.batch, 1);
    else if (key == "in-flight")
      err = number(out.in_flight, 1);
    else if (key == "rate")
      err = number(out.rate, 0);
    else if (key == "flush-ms")
      err = number(out.flush_ms, 0);
    else if (key == "snapshot-ms")
      err = number(out.snapshot_ms, 1);
    else if (key == "history-points")
      err = number(out.history_points, 0);
    else if (key == "max-flush-ms") {
      err = number(out.max_flush_ms, 0);
      max_flush_set = true;
    } else if (key == "latency" || key == "passivated") {
      if (value != "true" && value != "false")
        return refuse("--" + key + " expects true or false, got '" + value
                      + "'");
      (key == "latency" ? out.latency : out.passivated) = value == "true";
    } else if (key == "threads")
      err = number(out.threads, 0);
    else if (key == "scheduler")
      out.scheduler = value;
    else if (key == "node")
      out.node = value;
    else if (key == "url")
      out.url = value;
    else if (key == "clients")
      err = number(out.clients, 1);
    else if (key == "log-level")
      out.log_level = value;
    else
      return refuse("unknown option --" + key);
    if (err)
      return err;
  }
  if (out.kinds > 5)
    return refuse("--kinds is at most 5");
  if (out.scheduler != "sharing" && out.scheduler != "stealing")
    return refuse("--scheduler expects sharing or stealing, got '"
                  + out.scheduler + "'");
  // A longer --flush-ms alone takes the longest delay with it.
  if (!max_flush_set && out.max_flush_ms < out.flush_ms)
    out.max_flush_ms = out.flush_ms;
  if (out.max_flush_ms < out.flush_ms)
    return refuse("--max-flush-ms must be at least --flush-ms");
  if (out.mode == "remote" && out.node.empty())
    return refuse("remote needs --node=HOST:PORT");
  if (out.mode == "http" && out.url.empty())
    return refuse("http needs --url=http://HOST:PORT");
  return caf::none;
}

} // namespace retrain::bench
