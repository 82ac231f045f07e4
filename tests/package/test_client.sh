#!/usr/bin/env bash
# Installs the build into a prefix, builds examples/client and
# examples/cluster_client (beside it) against it with find_package(retrain),
# runs them against a live retrain-node and checks the acks and the node's
# status. Always stops the node.
#
# usage: test_client.sh BUILD_DIR CLIENT_SOURCE_DIR WORK_DIR NODE CTL CXX
#                       [LINK_FLAGS]
# LINK_FLAGS: what a consumer of this build's libraries must link with
# (the sanitizer runtimes when retrain is built with RETRAIN_SANITIZE).
set -euo pipefail
build=$1 client_src=$2 work=$3 node=$4 ctl=$5 cxx=$6 link_flags=${7:-}
model="pkgtest:example_client:1.0.0"
events=200

tmp=$(mktemp -d)
node_pid=
cleanup() {
  if [[ -n $node_pid ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill "$node_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$node_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$node_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  if [[ -f $tmp/node.log ]]; then
    echo "--- node log" >&2
    tail -n 30 "$tmp/node.log" >&2
  fi
  exit 1
}

# 1. Install into a fresh prefix. The work dir's path stays the same from run
#    to run so that ccache hits when building the client.
prefix=$work/prefix
client_build=$work/build
rm -rf "$prefix" "$client_build"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" \
  || { cat "$tmp/install.log" >&2; fail "cmake --install"; }
for f in include/retrain/messages.hpp include/retrain/cluster_client.hpp \
         lib*/cmake/retrain/retrainConfig.cmake \
         lib*/cmake/retrain/FindCAF.cmake lib*/libretrain_messages.* \
         lib*/libretrain_client.*; do
  compgen -G "$prefix/$f" >/dev/null || fail "not installed: $f"
done

# 2. Build the example as an outside project would: only the prefix, no
#    source tree of retrain, warnings are errors.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$client_src" -B "$client_build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="-Werror" \
  -DCMAKE_EXE_LINKER_FLAGS="$link_flags" "${launcher[@]}" \
  >"$tmp/configure.log" 2>&1 \
  || { cat "$tmp/configure.log" >&2; fail "configuring examples/client"; }
cmake --build "$client_build" >"$tmp/build.log" 2>&1 \
  || { cat "$tmp/build.log" >&2; fail "building examples/client"; }
client=$client_build/retrain-example-client
[[ -x $client ]] || fail "no $client"
echo "built $client against $prefix"
# The cluster client's example, the same way (retrain::client).
cc_src=$(cd "$client_src/../cluster_client" && pwd)
cc_build=$work/build-cluster-client
rm -rf "$cc_build"
cmake -S "$cc_src" -B "$cc_build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="-Werror" \
  -DCMAKE_EXE_LINKER_FLAGS="$link_flags" "${launcher[@]}" \
  >"$tmp/cc-configure.log" 2>&1 \
  || { cat "$tmp/cc-configure.log" >&2; fail "configuring examples/cluster_client"; }
cmake --build "$cc_build" >"$tmp/cc-build.log" 2>&1 \
  || { cat "$tmp/cc-build.log" >&2; fail "building examples/cluster_client"; }
cluster_client=$cc_build/retrain-example-cluster-client
[[ -x $cluster_client ]] || fail "no $cluster_client"
echo "built $cluster_client against $prefix"

# 3. A live node on free ports (0: the OS picks).
cd "$tmp"
mkdir data
# The log exists before the node starts: the shell opens it in the child,
# and the first read below would otherwise race it (and end the script).
: >"$tmp/node.log"
"$node" --retrain.data-dir="$tmp/data" --retrain.ingest-port=0 \
  --retrain.coordinator-port=0 --retrain.http-port=0 2>"$tmp/node.log" &
node_pid=$!
port=
for _ in $(seq 300); do
  port=$(sed -n 's/.*retrain-node ingest listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' \
           "$tmp/node.log" | head -n 1)
  [[ -n $port ]] && break
  kill -0 "$node_pid" 2>/dev/null || fail "retrain-node exited at start"
  sleep 0.1
done
[[ -n $port ]] || fail "retrain-node did not report its ingest port"
echo "retrain-node ingest on 127.0.0.1:$port"
coord_port=$(sed -n 's/.*retrain-node coordinator listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' \
               "$tmp/node.log" | head -n 1)
[[ -n $coord_port ]] || fail "retrain-node did not report its coordinator port"

# 4. The client: every ack received, the valid events taken, the NaN refused.
set +e
timeout 60 "$client" --node="127.0.0.1:$port" --model="$model" \
  --events="$events" >"$tmp/client.out" 2>&1
rc=$?
set -e
cat "$tmp/client.out"
[[ $rc -eq 0 ]] || fail "client exited with $rc"
total=$(grep '^total:' "$tmp/client.out") || fail "client printed no total"
single=$(sed 's/.* single=\([0-9]*\).*/\1/' <<<"$total")
accepted=$(sed 's/.* accepted=\([0-9]*\).*/\1/' <<<"$total")
rejected=$(sed 's/.* rejected=\([0-9]*\).*/\1/' <<<"$total")
[[ $accepted -gt 0 ]] || fail "no event accepted"
[[ $((single + accepted)) -eq $events ]] \
  || fail "single $single + accepted $accepted != $events"
[[ $rejected -eq 1 ]] || fail "the bad event was not refused (rejected=$rejected)"
grep -q 'first_error="..*"' "$tmp/client.out" \
  || fail "the refusal carries no first_error"

# 5. The node counted every valid event for the client's model.
count=
for _ in $(seq 50); do
  timeout 20 "$ctl" --node="127.0.0.1:$port" status "$model" --json >"$tmp/status.json" \
    || fail "retrain-ctl status failed"
  count=$(python3 -c '
import json, sys
for m in json.load(open(sys.argv[1])):
    if m["model"] == sys.argv[2]:
        print(m["events"])
' "$tmp/status.json" "$model")
  [[ $count == "$events" ]] && break
  sleep 0.2
done
[[ $count == "$events" ]] \
  || fail "status shows ${count:-no} events for $model, expected $events: $(cat "$tmp/status.json")"
echo "status: $model has $count events"

# 5b. The cluster client: the map from the coordinator port, every event
#     straight to the owner (this node owns every shard), the NaN refused.
set +e
timeout 60 "$cluster_client" --coordinator="127.0.0.1:$coord_port" \
  --project=pkgtest --models=4 --events=100 --batch-size=30 --invalid=1 \
  >"$tmp/cc.out" 2>&1
rc=$?
set -e
cat "$tmp/cc.out"
[[ $rc -eq 0 ]] || fail "cluster client exited with $rc"
grep -q '^total: batches=4 accepted=100 rejected=1 first_error=".*not finite' \
  "$tmp/cc.out" || fail "cluster client: not 100 accepted and the NaN refused"
grep -q "^router 127.0.0.1:$port: forwarded=0 received=100\$" "$tmp/cc.out" \
  || fail "cluster client: the node's router did not take the 100 events itself"
cc_events=
for _ in $(seq 50); do
  cc_events=
  for i in 0 1 2 3; do
    timeout 20 "$ctl" --node="127.0.0.1:$port" status "pkgtest:m$i:1.0.0" --json \
      >"$tmp/cc-status.json" || fail "retrain-ctl status failed"
    cc_events+=$(python3 -c '
import json, sys
print(" ".join(str(m["events"]) for m in json.load(open(sys.argv[1]))), end=" ")
' "$tmp/cc-status.json")
  done
  [[ $cc_events == "25 25 25 25 " ]] && break
  sleep 0.2
done
[[ $cc_events == "25 25 25 25 " ]] \
  || fail "the cluster client's 4 models have events ${cc_events:-none}, expected 25 each"
echo "cluster client: 100 events straight to the owner, each applied"

# 6. An unreachable node is an error, not a silent success.
kill "$node_pid"
wait "$node_pid" 2>/dev/null || true
node_pid=
set +e
timeout 30 "$client" --node="127.0.0.1:$port" --events=1 >/dev/null 2>&1
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "client against a stopped node exited $rc, expected 2"
echo "PASS"
