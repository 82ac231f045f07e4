#!/usr/bin/env python3
"""Events per second into a sharded monitor tier: through one node that
forwards what it does not own, straight to each event's owner, and through
the client-side router of the installed package (retrain::cluster_client).

Starts a coordinator and two monitor nodes (real processes on loopback),
replays --events events spread over --models model lines (one accuracy
value each, above the threshold, so nothing triggers) once entirely to the
first node (about half of them forwarded to the second) and once split by
owner, each owner's part to itself, one after the other with one producer
(`retrain-ctl replay`, batches of 1,000, each acknowledged once applied or
queued at its owner); then sends the same events through
`retrain-example-cluster-client` (examples/cluster_client: batches of
1,000, each split by owner, the parts sent at once to the owners' routers
and acknowledged once every owner acknowledged its part). Model counts run
one after the other in the same invocation, each with fresh nodes.

It also reads the snapshot traffic to the coordinator from the monitor
nodes' `/metrics` (`retrain_snapshots_shipped_total`,
`retrain_snapshot_bytes_shipped_total`) once the last persist-interval
after the runs has passed: every model changed in each run, so each ships
about one snapshot per persist-interval while it gets events.

    python3 bench/shard_forwarding.py --bin build/nodes --models 1000,100000 --events 1000000
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_jobs import Cluster, free_port, wait, _try  # noqa: E402


def fnv1a64(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def shipped(http_ports):
    """Snapshots and bytes the monitor nodes shipped to the coordinator."""
    total = [0, 0]
    for port in http_ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
            text = r.read().decode()
        for line in text.splitlines():
            if line.startswith("retrain_snapshots_shipped_total "):
                total[0] += int(float(line.split()[1]))
            elif line.startswith("retrain_snapshot_bytes_shipped_total "):
                total[1] += int(float(line.split()[1]))
    return total


def replay_seconds(cluster, node, path):
    start = time.monotonic()
    out = cluster.ctl(f"--node={node}", "replay", path)
    if " 0 rejected" not in out:
        raise RuntimeError(out)
    return time.monotonic() - start


def cluster_client_seconds(bin_dir, coordinator_port, models, events):
    """Wall and CPU time of the example client sending the bench's events
    (the same models and order as the CSV, batches of 1,000) through
    retrain::cluster_client."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = subprocess.run(
        [os.path.join(bin_dir, "retrain-example-cluster-client"),
         f"--coordinator=127.0.0.1:{coordinator_port}", "--project=bench",
         f"--models={models}", f"--events={events}", "--batch-size=1000"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=3600)
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0 or f"accepted={events} rejected=0" not in out.stdout:
        raise RuntimeError(out.stdout + out.stderr)
    # (The routers' forwarded counters include the passes before; that the
    # client's events go straight to their owners is tested in
    # tests/e2e/test_cluster_client.py.)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def run(bin_dir, models, events):
    tmp = tempfile.mkdtemp(prefix="retrain-bench-")
    cluster = Cluster(bin_dir, tmp)
    try:
        coord = f"--coordinator=127.0.0.1:{cluster.port}"
        cluster.start("coordinator", "--retrain.role=coordinator",
                      f"--retrain.coordinator-port={cluster.port}")
        nodes = []
        http_ports = []
        for i in range(2):
            port = free_port()
            http_ports.append(free_port())
            cluster.start(f"monitor{i}", "--retrain.role=monitor",
                          f"--retrain.ingest-port={port}",
                          f"--retrain.http-port={http_ports[-1]}",
                          f"--retrain.monitor.max-models={max(models * 2, 1000)}")
            nodes.append(f"127.0.0.1:{port}")

        def two_owners():
            raw = _try(lambda: cluster.ctl(coord, "shards", "--json"))
            if not raw:
                return None
            m = json.loads(raw)
            owners = {s["owner"] for s in m["shards"]}
            return m if owners == set(nodes) else None
        shard_map = wait("both monitor nodes owning shards", two_owners, 60)
        owner = {s["shard"]: s["owner"] for s in shard_map["shards"]}
        n = len(owner)
        lines = [f"bench:m{i}" for i in range(models)]
        owner_of = [owner[fnv1a64(line) % n] for line in lines]
        rows = [(f"{lines[i % models]}:1.0.0,accuracy,0.95\n", owner_of[i % models])
                for i in range(events)]
        everything = os.path.join(tmp, "all.csv")
        with open(everything, "w") as f:
            f.writelines(r for r, _ in rows)
        parts = {}
        for node in nodes:
            parts[node] = os.path.join(tmp, f"{node.replace(':', '_')}.csv")
            with open(parts[node], "w") as f:
                f.writelines(r for r, o in rows if o == node)
        forwarded_share = sum(1 for _, o in rows if o != nodes[0]) / events
        # A warm-up pass creates every monitor, so both runs below apply to
        # existing monitors.
        replay_seconds(cluster, nodes[0], everything)
        forwarding = replay_seconds(cluster, nodes[0], everything)
        direct = sum(replay_seconds(cluster, node, parts[node]) for node in nodes)
        routed, client_cpu = cluster_client_seconds(bin_dir, cluster.port, models, events)
        # The last changes reach a snapshot (1 s) and then a shipment (5 s).
        time.sleep(8)
        snaps, size = shipped(http_ports)
        return (events / forwarding, events / direct, events / routed, client_cpu,
                forwarded_share, snaps, size)
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True)
    p.add_argument("--models", default="1000,100000")
    p.add_argument("--events", type=int, default=1_000_000)
    args = p.parse_args()
    print("| models | events | forwarded | via one node (ev/s) | straight to owners (ev/s) "
          "| overhead | cluster_client (ev/s) | its CPU (s) "
          "| snapshots shipped | bytes shipped | bytes/snapshot "
          "| per persist-interval, every model changed |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for models in [int(x) for x in args.models.split(",")]:
        fwd, direct, routed, cpu, share, snaps, size = run(args.bin, models, args.events)
        per = size / snaps if snaps else 0
        print(f"| {models:,} | {args.events:,} | {share:.0%} | {fwd:,.0f} | {direct:,.0f} "
              f"| {(direct / fwd - 1):.0%} | {routed:,.0f} | {cpu:.1f} "
              f"| {snaps:,} | {size:,} | {per:,.0f} "
              f"| {models * per / 1e6:,.1f} MB |", flush=True)


if __name__ == "__main__":
    main()
