#!/usr/bin/env python3
"""Coordinator failover times, measured over several kills.

Starts a throwaway PostgreSQL 15 (tests/e2e/pg_server.py), two coordinators
on one database, a monitor node and a worker node (real processes on
loopback), then repeatedly takes the active coordinator out (kill -9, or
SIGSTOP with --stop) and measures, from that moment:

  takeover: until the standby logs that it is active at the next epoch;
  nodes:    until the monitor and the worker node both follow it.

After each round the old coordinator is started again (kill) or continued
(stop) and becomes the standby for the next round. A measurement, never an
assertion: it prints one line per round and a summary.

    python3 bench/failover.py --bin build/nodes --rounds 5
    python3 bench/failover.py --bin build/nodes --rounds 5 --stop
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import pg_server  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """One retrain-node in its own process group, logging to a file."""

    def __init__(self, bin_dir, tmp, name, args):
        self.log_path = os.path.join(tmp, name + ".log")
        self.cmd = [os.path.join(bin_dir, "retrain-node"),
                    f"--retrain.data-dir={os.path.join(tmp, name)}",
                    "--retrain.http-port=0"] + list(args)
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        return self

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def signal(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self):
        self.signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait(what, probe, deadline_s=60.0, interval_s=0.005):
    end = time.monotonic() + deadline_s
    while True:
        if probe():
            return time.monotonic()
        if time.monotonic() > end:
            sys.exit(f"gave up waiting for {what}")
        time.sleep(interval_s)


def epochs(text):
    return [int(x) for x in re.findall(r"active at epoch (\d+)", text)]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="directory with retrain-node")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--stop", action="store_true",
                    help="SIGSTOP the active coordinator instead of kill -9")
    ap.add_argument("--lease-timeout", default="3s")
    ap.add_argument("--connection-timeout", default="2s")
    ap.add_argument("--heartbeat", default="500ms")
    args = ap.parse_args()
    bin_dir = os.path.abspath(args.bin)
    tmp = tempfile.mkdtemp(prefix="retrain-failover-")
    procs = []
    with pg_server.PgServer() as pg:
        url = pg.create_database("failover")
        ports = [free_port(), free_port()]
        group = "--retrain.coordinator=" + ",".join(f"127.0.0.1:{p}" for p in ports)
        heartbeat = [f"--middleman.heartbeat-interval={args.heartbeat}",
                     f"--middleman.connection-timeout={args.connection_timeout}"]
        coords = [Proc(bin_dir, tmp, f"coord-{i}",
                       ["--retrain.role=coordinator", f"--retrain.coordinator-port={p}",
                        f"--retrain.registry.url={url}",
                        f"--retrain.registry.lease-timeout={args.lease_timeout}"] + heartbeat)
                  for i, p in enumerate(ports)]
        nodes = [Proc(bin_dir, tmp, "monitor",
                      ["--retrain.role=monitor", "--retrain.ingest-port=0", group] + heartbeat),
                 Proc(bin_dir, tmp, "worker", ["--retrain.role=worker", group] + heartbeat)]
        procs = coords + nodes
        try:
            coords[0].start()
            wait("the first coordinator active", lambda: epochs(coords[0].text()))
            coords[1].start()
            wait("the second one standby", lambda: "standby: the lease" in coords[1].text())
            for n in nodes:
                n.start()
            wait("nodes linked", lambda: all("is the active one (epoch 1)" in n.text()
                                             for n in nodes))
            active, standby = 0, 1
            takeovers, follows = [], []
            for r in range(1, args.rounds + 1):
                epoch = r + 1
                time.sleep(1.0)
                t0 = time.monotonic()
                if args.stop:
                    coords[active].signal(signal.SIGSTOP)
                else:
                    coords[active].kill()
                t1 = wait(f"epoch {epoch}", lambda: epoch in epochs(coords[standby].text()))
                port = ports[standby]
                needle = f"127.0.0.1:{port} is the active one (epoch {epoch})"
                t2 = wait("nodes following", lambda: all(needle in n.text() for n in nodes))
                takeovers.append(t1 - t0)
                follows.append(t2 - t0)
                print(f"round {r}: {'SIGSTOP' if args.stop else 'kill -9'} of coord-{active}: "
                      f"coord-{standby} active at epoch {epoch} after {t1 - t0:.3f} s, "
                      f"nodes following after {t2 - t0:.3f} s", flush=True)
                if args.stop:
                    coords[active].signal(signal.SIGCONT)
                    wait("the old one stepping down",
                         lambda: f"stepping down from epoch {epoch - 1}" in coords[active].text())
                else:
                    coords[active].start()
                wait("a standby again", lambda: f"held by 127.0.0.1:{port}"
                     in coords[active].text())
                active, standby = standby, active
            for name, xs in (("takeover", takeovers), ("nodes following", follows)):
                print(f"{name}: min {min(xs):.3f} s, median {statistics.median(xs):.3f} s, "
                      f"max {max(xs):.3f} s over {len(xs)} rounds")
        finally:
            for p in procs:
                p.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
