#!/usr/bin/env python3
"""End-to-end tests of the sharded monitor tier: every model line has one
monitor in the whole cluster, on the monitor node that owns its shard, and
any monitor node takes any event.

    python3 tests/e2e/test_shards.py --bin build/nodes [TestClass ...]
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402
from test_cluster import ClusterTestCase  # noqa: E402
from test_node import DRIFT_CSV, DRIFTING, wait_for  # noqa: E402

# The two cases, as a single node decides them (min-samples 5,
# consecutive-breaches 3, accuracy threshold 0.92, alpha 0.2): 4 x 0.95
# then 4 x 0.70 breaches from the 5th value on and triggers at the 7th;
# 0.99 / 0.88 alternating keeps the EWMA near 0.93 and never breaches.
# Split over three nodes that each kept their own monitor, the first is
# missed (no node sees 5 values) and the second falsely retrained.
RISE_FALL = "case:rise_fall:1.0.0"
ALTERNATING = "case:alternating:1.0.0"


def case_lines():
    lines = [f"{RISE_FALL},accuracy,0.95"] * 4 + [f"{RISE_FALL},accuracy,0.70"] * 4
    alternating = [f"{ALTERNATING},accuracy,{0.99 if i % 2 == 0 else 0.88}"
                   for i in range(30)]
    # Interleaved, so each chunk below holds events of both.
    out = []
    for i in range(max(len(lines), len(alternating))):
        if i < len(lines):
            out.append(lines[i])
        if i < len(alternating):
            out.append(alternating[i])
    return out


def stream():
    """examples/drift.csv and the two cases, one event per line."""
    with open(DRIFT_CSV) as f:
        rows = [x.strip() for x in f.read().splitlines()[1:] if x.strip()]
    return rows + case_lines()


class ShardTestCase(ClusterTestCase):

    def start_monitors(self, n, *args):
        return [self.start_monitor(*args) for _ in range(n)]

    def shard_map(self, coord):
        return self.ctl_json(coord.coordinator, "shards")

    def wait_owners(self, coord, count):
        def probe():
            m = self.shard_map(coord)
            owners = {s["owner"] for s in m["shards"]}
            if "" not in owners and len(owners) == count:
                return m
            return None
        return wait_for(f"every shard owned by one of {count} monitor nodes", probe)

    def send_round_robin(self, nodes, rows, chunk=7):
        """Sends `rows` in chunks of `chunk` events, chunk i to node i % n,
        one after the other (each replay waits for its acknowledgement)."""
        for i in range(0, len(rows), chunk):
            path = self.write(f"chunk-{i}.csv", "model,kind,value\n"
                              + "\n".join(rows[i:i + chunk]) + "\n")
            node = nodes[(i // chunk) % len(nodes)]
            out = self.replay(node, path).stdout
            self.assertIn(f"{len(rows[i:i + chunk])} accepted, 0 rejected", out)

    def models_by_node(self, nodes):
        return [self.status(n) for n in nodes]

    def decisions(self, coord, lines):
        jobs = sorted((j["model"], j["reason"], j["state"]) for j in self.jobs(coord))
        versions = {line: [v["version"] for v in self.versions(coord, line)]
                    for line in lines}
        return jobs, versions


class ShardedDecisionsTest(ShardTestCase):
    """Three monitor nodes and a producer sending each model's events round
    robin to all three decide exactly as one node fed the same stream."""

    def test_three_monitor_nodes_decide_like_one(self):
        rows = stream()
        models = sorted({r.split(",")[0] for r in rows})
        lines = sorted({test_node.line_of(m) for m in models})
        # The reference: one node with every role, fed the same chunks.
        single = self.start_node("--retrain.threshold.latency_ms=200",
                                 "--retrain.job.simulated-duration=100ms",
                                 log_name="single")
        self.send_round_robin([single], rows)
        expected_jobs = len(DRIFTING) + 1
        self.wait_jobs_settled(single, expected_jobs)

        coord = self.start_coordinator()
        self.start_worker("--retrain.workers=1",
                          "--retrain.job.simulated-duration=100ms")
        mons = self.start_monitors(3)
        self.wait_owners(coord, 3)
        self.send_round_robin(mons, rows)
        self.wait_jobs_settled(coord, expected_jobs)

        want = self.decisions(single, lines)
        got = self.decisions(coord, lines)
        self.assertEqual(got, want)
        # The two cases: the first is retrained, the second is not.
        self.assertEqual(got[1]["case:rise_fall"], ["1.0.1"])
        self.assertEqual(got[1]["case:alternating"], [])

        # Exactly one monitor per model in the cluster, with every event of
        # the model, on the node that owns its shard.
        reference = self.status(single)
        per_node = self.models_by_node(mons)
        for model in models:
            holders = [i for i, st in enumerate(per_node) if model in st]
            self.assertEqual(len(holders), 1, (model, holders))
            st = per_node[holders[0]][model]
            self.assertEqual(st["events"], reference[model]["events"], model)
            self.assertEqual(st["triggers"], reference[model]["triggers"], model)
        owners = {s["shard"]: s["owner"] for s in self.shard_map(coord)["shards"]}
        shard_rows = self.shard_map(coord)["shards"]
        self.assertEqual(sum(s["models"] or 0 for s in shard_rows), len(models))
        self.assertEqual(len(set(owners.values())), 3)


class MembershipTest(ShardTestCase):
    """Monitor nodes join and go under load: the shards spread again and
    every event a node accepted is applied exactly once somewhere."""

    def many_rows(self, models, per_model):
        return [f"load:m{m}:1.0.0,accuracy,0.95"
                for _ in range(per_model) for m in range(models)]

    def events_in_cluster(self, nodes):
        total = {}
        for st in self.models_by_node(nodes):
            for model, x in st.items():
                total[model] = total.get(model, 0) + x["events"]
        return total

    def test_a_fourth_node_joins_mid_stream(self):
        coord = self.start_coordinator()
        mons = self.start_monitors(3)
        self.wait_owners(coord, 3)
        rows = self.many_rows(40, 6)
        half = len(rows) // 2
        self.send_round_robin(mons, rows[:half], chunk=20)
        mons.append(self.start_monitor())
        spread = self.wait_owners(coord, 4)
        counts = {}
        for s in spread["shards"]:
            counts[s["owner"]] = counts.get(s["owner"], 0) + 1
        self.assertEqual(sorted(counts.values()), [64, 64, 64, 64])
        self.send_round_robin(mons, rows[half:], chunk=20)
        want = {f"load:m{m}:1.0.0": 6 for m in range(40)}
        wait_for("every event applied once in the cluster",
                 lambda: self.events_in_cluster(mons) == want)

    def test_killed_node_shards_are_served_elsewhere(self):
        coord = self.start_coordinator()
        mons = self.start_monitors(3)
        self.wait_owners(coord, 3)
        rows = self.many_rows(30, 4)
        self.send_round_robin(mons, rows[:60], chunk=15)
        mons[2].kill()
        # The coordinator gives the lost node's shards to the two others.
        self.wait_owners(coord, 2)
        self.send_round_robin(mons[:2], rows[60:], chunk=15)
        # Every event sent after the kill is applied on a live node: the
        # lost node's shards start afresh there (their state does not move
        # yet), so each model counts at least its events since the kill.
        after = {}
        for r in rows[60:]:
            model = r.split(",")[0]
            after[model] = after.get(model, 0) + 1

        def applied():
            got = self.events_in_cluster(mons[:2])
            return all(got.get(m, 0) >= n for m, n in after.items())
        wait_for("the events after the kill applied on the live nodes", applied)


if __name__ == "__main__":
    test_node.main()
