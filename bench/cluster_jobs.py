#!/usr/bin/env python3
"""Retrain jobs per second of a cluster with 1, 2, 3 ... worker nodes.

Starts a coordinator, a monitor node and N worker nodes (real processes on
loopback), replays one drifting model per job so that exactly --jobs jobs are
queued at once, and measures from the replay until every job has succeeded.
The node counts run one after the other in the same invocation, so their
ratios are comparable.

    python3 bench/cluster_jobs.py --bin build/nodes --jobs 200 --duration 500ms \
        --worker-nodes 1,2,3 --workers-per-node 2
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# tests/e2e/pg_server.py: creates the databases of --registry-url runs.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import pg_server  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, bin_dir, tmp):
        self.bin_dir = bin_dir
        self.tmp = tmp
        self.procs = []
        self.port = free_port()

    def start(self, name, *args):
        log = open(os.path.join(self.tmp, name + ".log"), "wb")
        cmd = [os.path.join(self.bin_dir, "retrain-node"),
               f"--retrain.data-dir={os.path.join(self.tmp, name)}",
               f"--retrain.coordinator=127.0.0.1:{self.port}",
               # Every node would serve HTTP on 4244 by default.
               "--retrain.http-port=0",
               "--retrain.log-level=warn"] + list(args)
        p = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def ctl(self, *args):
        res = subprocess.run([os.path.join(self.bin_dir, "retrain-ctl")] + list(args),
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"retrain-ctl {args}: {res.stderr}")
        return res.stdout

    def stop(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()


def wait(what, probe, deadline_s):
    end = time.monotonic() + deadline_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def run(bin_dir, jobs, duration, worker_nodes, per_node, registry_url=""):
    tmp = tempfile.mkdtemp(prefix="retrain-bench-")
    cluster = Cluster(bin_dir, tmp)
    try:
        coord = f"--coordinator=127.0.0.1:{cluster.port}"
        registry = [f"--retrain.registry.url={registry_url}"] if registry_url else []
        cluster.start("coordinator", "--retrain.role=coordinator",
                      f"--retrain.coordinator-port={cluster.port}", *registry)
        ingest = free_port()
        cluster.start("monitor", "--retrain.role=monitor", f"--retrain.ingest-port={ingest}",
                      "--retrain.monitor.min-samples=1",
                      "--retrain.monitor.consecutive-breaches=1")
        for i in range(worker_nodes):
            cluster.start(f"worker{i}", "--retrain.role=worker",
                          f"--retrain.workers={per_node}",
                          f"--retrain.job.simulated-duration={duration}")
        wait("workers to enlist",
             lambda: _try(lambda: cluster.ctl(coord, f"--node=127.0.0.1:{ingest}", "status"))
             and f"{worker_nodes * per_node} workers" in cluster.ctl(
                 coord, f"--node=127.0.0.1:{ingest}", "status"), 60)
        csv = os.path.join(tmp, "drift.csv")
        with open(csv, "w") as f:
            for i in range(jobs):
                f.write(f"bench:model{i}:1.0.0,accuracy,0.5\n")
        start = time.monotonic()
        cluster.ctl(f"--node=127.0.0.1:{ingest}", "replay", csv)

        def done():
            listed = json.loads(cluster.ctl(coord, "jobs", "--json"))
            ok = [j for j in listed if j["state"] == "succeeded"]
            return len(ok) == jobs and len(listed) == jobs
        wait(f"{jobs} jobs to succeed", done, 3600)
        return jobs / (time.monotonic() - start)
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _try(f):
    try:
        return f()
    except (RuntimeError, subprocess.TimeoutExpired):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder with retrain-node and retrain-ctl")
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--duration", default="500ms", help="simulated training time per job")
    parser.add_argument("--worker-nodes", default="1,2,3")
    parser.add_argument("--workers-per-node", type=int, default=2)
    parser.add_argument("--registry-url", default="",
                        help="the coordinator's retrain.registry.url (a new, empty "
                             "PostgreSQL database per worker-node count); default SQLite")
    args = parser.parse_args()
    seconds = float(re.sub(r"ms$", "", args.duration)) / 1000 if args.duration.endswith("ms") \
        else float(args.duration.rstrip("s"))
    print(f"{args.jobs} jobs of {args.duration} simulated training, "
          f"{args.workers_per_node} workers per node")
    print("| worker nodes | workers | jobs/s | ideal jobs/s | efficiency |")
    print("|---:|---:|---:|---:|---:|")
    for n in [int(x) for x in args.worker_nodes.split(",")]:
        url = args.registry_url
        if url:
            # Each run needs an empty registry: a database of its own.
            url = pg_server.create_database(url, "bench_%d_%d" % (os.getpid(), n))
        rate = run(os.path.abspath(args.bin), args.jobs, args.duration, n,
                   args.workers_per_node, url)
        workers = n * args.workers_per_node
        ideal = workers / seconds
        print(f"| {n} | {workers} | {rate:.2f} | {ideal:.2f} | {rate / ideal:.0%} |",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
