#!/usr/bin/env bash
# Installs the build into a prefix, builds examples/client against it with
# find_package(retrain), runs it against a live retrain-node and checks the
# acks and the node's status. Always stops the node.
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
for f in include/retrain/messages.hpp lib*/cmake/retrain/retrainConfig.cmake \
         lib*/cmake/retrain/FindCAF.cmake lib*/libretrain_messages.*; do
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

# 3. A live node on free ports (0: the OS picks).
cd "$tmp"
mkdir data
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
