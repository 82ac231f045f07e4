#!/usr/bin/env bash
# Builds the Debian packages of this build with CPack and checks them as an
# administrator would meet them: their contents (programs, units, role
# configurations as conffiles, no path of the build machine), lintian,
# the unpacked retrain-node's --version against the source's git revision,
# a node started from the packaged example configuration that answers
# retrain-ctl status, and systemd-analyze verify of the unit.
#
# usage: test_deb.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 src=$2 work=$3

tmp=$(mktemp -d)
node_pid=
cleanup() {
  if [[ -n $node_pid ]] && kill -0 "$node_pid" 2>/dev/null; then
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

# 1. Both packages from one build.
rm -rf "$work"
mkdir -p "$work"
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work") \
  >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log" >&2; fail "cpack"; }
shopt -s nullglob
node_debs=("$work"/retrain_*.deb)
dev_debs=("$work"/retrain-dev_*.deb)
[[ ${#node_debs[@]} -eq 1 ]] || fail "no single retrain_*.deb in $work"
[[ ${#dev_debs[@]} -eq 1 ]] || fail "no single retrain-dev_*.deb in $work"
node_deb=${node_debs[0]} dev_deb=${dev_debs[0]}

# 2. Contents.
dpkg-deb -c "$node_deb" | awk '{print $NF}' >"$tmp/node.files"
dpkg-deb -c "$dev_deb" | awk '{print $NF}' >"$tmp/dev.files"
for f in ./usr/bin/retrain-node ./usr/bin/retrain-ctl \
         ./lib/systemd/system/retrain-node@.service \
         ./etc/retrain/all.ini ./etc/retrain/coordinator.ini \
         ./etc/retrain/monitor.ini ./etc/retrain/worker.ini \
         ./usr/share/doc/retrain/copyright ./usr/share/doc/retrain/changelog.gz; do
  grep -qxF "$f" "$tmp/node.files" || fail "retrain package lacks $f"
done
for f in ./usr/include/retrain/messages.hpp ./usr/include/retrain/cluster_client.hpp \
         ./usr/share/doc/retrain-dev/copyright; do
  grep -qxF "$f" "$tmp/dev.files" || fail "retrain-dev package lacks $f"
done
grep -q 'retrainConfig.cmake$' "$tmp/dev.files" || fail "retrain-dev lacks retrainConfig.cmake"
grep -q 'libretrain_messages' "$tmp/dev.files" || fail "retrain-dev lacks libretrain_messages"
grep -q 'libretrain_client' "$tmp/dev.files" || fail "retrain-dev lacks libretrain_client"
if grep -q 'retrain-bench\|\.hpp$' "$tmp/node.files"; then
  fail "the retrain package holds files of retrain-dev or the bench"
fi
dpkg-deb -e "$node_deb" "$tmp/control"
for role in all coordinator monitor worker; do
  grep -qx "/etc/retrain/$role.ini" "$tmp/control/conffiles" \
    || fail "/etc/retrain/$role.ini is not a conffile"
done
grep -q '^Depends:.*libcaf-core' "$tmp/control/control" \
  || fail "the runtime dependencies are not declared: $(grep Depends "$tmp/control/control")"
sh -n "$tmp/control/postinst" || fail "postinst is not valid sh"

# No path of the build machine in the packages: neither in their file lists
# nor inside the programs (RPATH, embedded file names).
root=$tmp/root
mkdir -p "$root"
dpkg-deb -x "$node_deb" "$root"
for dir in "$build" "$src"; do
  if grep -rqF "$dir" "$root"; then
    fail "the retrain package holds the build path $dir: $(grep -rlF "$dir" "$root")"
  fi
done

# 3. lintian: errors fail, warnings (e.g. no manual page) are printed.
if command -v lintian >/dev/null; then
  lintian --fail-on error --tag-display-limit 0 "$node_deb" "$dev_deb" \
    >"$tmp/lintian.log" 2>&1 \
    || { cat "$tmp/lintian.log" >&2; fail "lintian found errors"; }
  grep -v 'root privileges' "$tmp/lintian.log" || true
else
  fail "lintian is not installed (scripts/setup installs it)"
fi

# 4. --version of the unpacked programs names the source's revision.
node=$root/usr/bin/retrain-node ctl=$root/usr/bin/retrain-ctl
version=$("$node" --version) || fail "retrain-node --version"
[[ $version == "retrain-node "* ]] || fail "unexpected --version: $version"
ctl_version=$("$ctl" --version) || fail "retrain-ctl --version"
[[ $ctl_version == "retrain-ctl "* ]] || fail "unexpected --version: $ctl_version"
if git -C "$src" rev-parse HEAD >/dev/null 2>&1; then
  head=$(git -C "$src" rev-parse HEAD)
  [[ $version == *"(git $head"* ]] || fail "--version '$version' does not name $head"
  [[ $ctl_version == *"(git $head"* ]] || fail "--version '$ctl_version' does not name $head"
else
  echo "not a git checkout: the revision is not compared"
fi
[[ $version == *"CAF 0.17."* ]] || fail "--version '$version' does not name CAF"

# 5. A node from the packaged example configuration answers status.
"$node" --config="$root/etc/retrain/all.ini" \
  --retrain.data-dir="$root/var/lib/retrain/all" \
  --retrain.ingest-port=0 --retrain.coordinator-port=0 --retrain.http-port=0 \
  >"$tmp/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 300); do
  grep -q "retrain-node ready" "$tmp/node.log" && break
  kill -0 "$node_pid" 2>/dev/null || fail "the packaged node exited at start"
  sleep 0.1
done
grep -q "retrain-node ready" "$tmp/node.log" || fail "the packaged node is not ready"
ingest=$(sed -n 's/.*ingest listening on [^ :]*:\([0-9]*\).*/\1/p' "$tmp/node.log" | head -n1)
coord=$(sed -n 's/.*coordinator listening on [^ :]*:\([0-9]*\).*/\1/p' "$tmp/node.log" | head -n1)
"$ctl" --node="127.0.0.1:$ingest" --coordinator="127.0.0.1:$coord" status \
  >"$tmp/status.txt" 2>&1 || { cat "$tmp/status.txt" >&2; fail "retrain-ctl status"; }
grep -q "queued" "$tmp/status.txt" || fail "status without the coordinator: $(cat "$tmp/status.txt")"
grep -qF "$version" "$tmp/node.log" || fail "the node does not log its version at start"
kill "$node_pid"
wait "$node_pid" || fail "the packaged node did not stop cleanly on SIGTERM"
node_pid=

# Every other role's example starts too (their data dirs pointed into the
# temporary root; monitor and worker nodes wait for a coordinator).
for role in coordinator monitor worker; do
  "$node" --config="$root/etc/retrain/$role.ini" \
    --retrain.data-dir="$root/var/lib/retrain/$role" \
    --retrain.ingest-port=0 --retrain.coordinator-port=0 --retrain.http-port=0 \
    >"$tmp/$role.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 300); do
    grep -q "retrain-node ready" "$tmp/$role.log" && break
    kill -0 "$node_pid" 2>/dev/null || { cat "$tmp/$role.log" >&2; fail "$role.ini: exited at start"; }
    sleep 0.1
  done
  grep -q "retrain-node ready (role $role" "$tmp/$role.log" \
    || { cat "$tmp/$role.log" >&2; fail "$role.ini: not ready as $role"; }
  kill "$node_pid"
  wait "$node_pid" || true
  node_pid=
done

# 6. The unit, as systemd reads it (its ExecStart pointed at the unpacked
#    program, which is not installed on this machine).
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$tmp/units"
  sed "s#^ExecStart=/usr/bin/retrain-node#ExecStart=$node#" \
    "$root/lib/systemd/system/retrain-node@.service" \
    >"$tmp/units/retrain-node@all.service"
  if ! systemd-analyze verify "$tmp/units/retrain-node@all.service" \
       >"$tmp/verify.log" 2>&1 || [[ -s $tmp/verify.log ]]; then
    cat "$tmp/verify.log" >&2
    fail "systemd-analyze verify does not accept retrain-node@.service"
  fi
else
  echo "systemd-analyze is not installed here: the unit is not verified"
fi
echo "ok: $(basename "$node_deb") $(basename "$dev_deb")"
