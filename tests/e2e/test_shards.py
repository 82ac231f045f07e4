#!/usr/bin/env python3
"""End-to-end tests of the sharded monitor tier: every model line has one
monitor in the whole cluster, on the monitor node that owns its shard, and
any monitor node takes any event.

    python3 tests/e2e/test_shards.py --bin build/nodes [TestClass ...]
"""

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402
from test_cluster import ClusterTestCase  # noqa: E402
from test_node import DRIFT_CSV, DRIFTING, ctl, wait_for  # noqa: E402

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


class MoveTestCase(ShardTestCase):
    """Helpers of the tests that move shards between monitor nodes."""

    # Short enough that a test waits little for the periodic snapshots.
    PERSIST = "--retrain.monitor.persist-interval=1s"

    def many_rows(self, models, per_model, line="load"):
        """`per_model` events of each of `models` models, interleaved, with
        values that move every model's EWMA differently."""
        return [f"{line}:m{m}:1.0.0,accuracy,{0.80 + ((m * 7 + i * 3) % 19) / 100:.2f}"
                for i in range(per_model) for m in range(models)]

    def events_in_cluster(self, nodes):
        total = {}
        for st in self.models_by_node(nodes):
            for model, x in st.items():
                total[model] = total.get(model, 0) + x["events"]
        return total

    def reference(self, batches):
        """Status of one node with every role fed `batches` (lists of rows,
        in order), as the cluster should end up."""
        single = self.start_node("--retrain.threshold.latency_ms=200",
                                 log_name=f"single-{len(self.nodes)}.log",
                                 data_dir=os.path.join(self.tmp, f"single-{len(self.nodes)}"))
        for rows in batches:
            self.send_round_robin([single], rows, chunk=20)
        return self.status(single)

    def assert_state_like(self, nodes, reference, models):
        """Exactly one monitor per model among `nodes`, with the events,
        triggers and final EWMA of `reference` (a single node's)."""
        per_node = self.models_by_node(nodes)
        for model in models:
            holders = [i for i, st in enumerate(per_node) if model in st]
            self.assertEqual(len(holders), 1, (model, holders))
            got = per_node[holders[0]][model]
            want = reference[model]
            self.assertEqual(got["events"], want["events"], model)
            self.assertEqual(got["triggers"], want["triggers"], model)
            stat = {k["kind"]: k["statistic"] for k in got["kinds"]}
            ref = {k["kind"]: k["statistic"] for k in want["kinds"]}
            self.assertEqual(stat.keys(), ref.keys(), model)
            for kind in ref:
                self.assertAlmostEqual(stat[kind], ref[kind], places=12,
                                       msg=f"{model} {kind}")

    def wait_all_applied(self, nodes, want):
        wait_for("every event applied once in the cluster",
                 lambda: self.events_in_cluster(nodes) == want)



class MembershipTest(MoveTestCase):
    """Monitor nodes join and go under load: the shards spread again, the
    monitors of a moved shard move with their state, and every event a node
    accepted is applied exactly once somewhere."""

    def test_a_fourth_node_joins_mid_stream(self):
        coord = self.start_coordinator()
        mons = self.start_monitors(3, self.PERSIST)
        self.wait_owners(coord, 3)
        rows = self.many_rows(40, 6)
        half = len(rows) // 2
        self.send_round_robin(mons, rows[:half], chunk=20)
        mons.append(self.start_monitor(self.PERSIST))
        spread = self.wait_owners(coord, 4)
        counts = {}
        for s in spread["shards"]:
            counts[s["owner"]] = counts.get(s["owner"], 0) + 1
        self.assertEqual(sorted(counts.values()), [64, 64, 64, 64])
        self.send_round_robin(mons, rows[half:], chunk=20)
        models = sorted({r.split(",")[0] for r in rows})
        self.wait_all_applied(mons, {m: 6 for m in models})
        # The moved monitors carried their state: every model ends as on a
        # single node fed the same stream (moved ones did not start afresh).
        reference = self.reference([rows[:half], rows[half:]])
        self.assert_state_like(mons, reference, models)
        self.assertIn("handed over", coord.log_text())

    def test_killed_node_shards_are_served_elsewhere(self):
        coord = self.start_coordinator()
        mons = self.start_monitors(3, self.PERSIST)
        self.wait_owners(coord, 3)
        rows = self.many_rows(30, 8)
        self.send_round_robin(mons, rows[:120], chunk=15)
        # What the node to be killed holds now is in the coordinator's
        # database one snapshot sweep (1s) and one persist-interval (1s)
        # later.
        before = {m: x["events"] for m, x in self.status(mons[2]).items()}
        self.assertTrue(before)
        time.sleep(3)
        # Events it takes in its last second may be lost with it.
        self.send_round_robin(mons, rows[120:150], chunk=15)
        mons[2].kill()
        killed_at = time.monotonic()
        # The coordinator gives the lost node's shards to the two others,
        # within the connection timeout (3s) and 2s more.
        self.wait_owners(coord, 2)
        served_after = time.monotonic() - killed_at
        self.send_round_robin(mons[:2], rows[150:], chunk=15)
        sys.stderr.write(f"shards served elsewhere {served_after:.2f}s after the kill\n")
        self.assertLess(served_after, 3 + 2)
        after = {}
        for r in rows[150:]:
            model = r.split(",")[0]
            after[model] = after.get(model, 0) + 1
        # Each model of the killed node resumes from its stored snapshot:
        # it counts at least what it had one persist-interval before the
        # kill plus every event sent after it.
        want = {m: before.get(m, 0) + n for m, n in after.items()}

        def applied():
            got = self.events_in_cluster(mons[:2])
            return all(got.get(m, 0) >= n for m, n in want.items())
        wait_for("the killed node's models restored and the later events applied",
                 applied)
        got = self.events_in_cluster(mons[:2])
        for m in before:
            self.assertGreaterEqual(got[m], before[m] + after.get(m, 0), m)
        # No model is held twice.
        per_node = self.models_by_node(mons[:2])
        self.assertFalse(set(per_node[0]) & set(per_node[1]))


class SendInBackground:
    """Sends rows in chunks round robin to whichever of `nodes()` are up,
    in a thread, so nodes can stop and start under load; every chunk is
    acknowledged in full before the next goes."""

    def __init__(self, case, nodes, rows, chunk=10, pause_s=0.02):
        self.case, self.nodes, self.rows = case, nodes, rows
        self.chunk, self.pause_s = chunk, pause_s
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        try:
            i = 0
            k = 0
            while i < len(self.rows):
                part = self.rows[i:i + self.chunk]
                path = self.case.write(f"bg-{i}.csv", "model,kind,value\n"
                                       + "\n".join(part) + "\n")
                live = self.nodes()
                node = live[k % len(live)]
                k += 1
                res = test_node.ctl(node.node, "replay", path)
                if res.returncode == 0 and f"{len(part)} accepted, 0 rejected" in res.stdout:
                    i += self.chunk
                else:
                    # A node that stops refuses new events: the same chunk
                    # goes to the next node.
                    time.sleep(0.05)
                time.sleep(self.pause_s)
        except Exception as e:  # noqa: BLE001 - reported by join()
            self.error = e

    def start(self):
        self.thread.start()
        return self

    def join(self):
        self.thread.join(timeout=120)
        self.case.assertFalse(self.thread.is_alive(), "the producer did not finish")
        if self.error:
            raise self.error


class PlannedMoveTest(MoveTestCase):
    """SIGTERM of monitor nodes under load: each hands its shards over
    first, so nothing is lost."""

    def test_sigterm_of_a_node_under_load_loses_nothing(self):
        coord = self.start_coordinator()
        mons = self.start_monitors(3, self.PERSIST)
        self.wait_owners(coord, 3)
        rows = self.many_rows(30, 10)
        self.send_round_robin(mons, rows[:90], chunk=15)
        live = list(mons)
        producer = SendInBackground(self, lambda: live, rows[90:]).start()
        time.sleep(0.5)
        live.remove(mons[2])
        self.assertEqual(mons[2].stop(), 0)
        self.assertIn("shards handed over to other monitor nodes", mons[2].log_text())
        producer.join()
        self.wait_owners(coord, 2)
        models = sorted({r.split(",")[0] for r in rows})
        self.wait_all_applied(mons[:2], {m: 10 for m in models})
        reference = self.reference([rows])
        self.assert_state_like(mons[:2], reference, models)

    def test_every_node_restarted_under_load_keeps_state(self):
        rows = stream()
        models = sorted({r.split(",")[0] for r in rows})
        coord = self.start_coordinator()
        self.start_worker("--retrain.workers=1", "--retrain.job.simulated-duration=100ms")
        mons = self.start_monitors(3, self.PERSIST)
        self.wait_owners(coord, 3)
        live = list(mons)
        producer = SendInBackground(self, lambda: live, rows, chunk=7,
                                    pause_s=0.05).start()
        # One after another: SIGTERM, then a new node on the same data dir.
        for i in range(3):
            time.sleep(1.0)
            old = live.pop(i)
            self.assertEqual(old.stop(), 0)
            self.assertIn("shards handed over to other monitor nodes", old.log_text())
            live.insert(i, self.start_role("monitor", self.link,
                                           "--retrain.threshold.latency_ms=200",
                                           self.PERSIST, name=f"monitor-again-{i}",
                                           data_dir=old.data_dir))
        producer.join()
        self.wait_owners(coord, 3)
        want = {}
        for r in rows:
            m = r.split(",")[0]
            want[m] = want.get(m, 0) + 1
        self.wait_all_applied(live, want)
        # Every drifting line ends with exactly one version.
        self.wait_jobs_settled(coord, len(DRIFTING) + 1)
        for line, (_, _, version) in DRIFTING.items():
            self.assertEqual([v["version"] for v in self.versions(coord, line)],
                             [version], line)
        self.assertEqual([v["version"] for v in self.versions(coord, "case:rise_fall")],
                         ["1.0.1"])
        # Exactly one monitor per model, with every event.
        per_node = self.models_by_node(live)
        for model in models:
            holders = [st[model]["events"] for st in per_node if model in st]
            self.assertEqual(holders, [want[model]], model)


def read_journal(path):
    """The lines of an apply journal: (node, shard, epoch, applied_ns,
    events) per batch and shard a node applied."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            node, shard, epoch, t, n = line.split()
            out.append((node, int(shard), int(epoch), int(t), int(n)))
    return out


class AbandonedHandoffTest(MoveTestCase):
    """The coordinator dies between asking an old owner to release shards
    and storing the map that moves them (its database is locked, so the
    map cannot be stored), and the node that joined goes too: the
    coordinator started again still gives the shards to the old owner,
    which takes them back from the stored snapshots and applies the events
    that waited for them."""

    def test_release_of_a_dead_coordinator_is_taken_back(self):
        coord = self.start_coordinator()
        a = self.start_monitor(self.PERSIST)
        self.wait_owners(coord, 1)
        rows = self.many_rows(20, 4, line="orphan")
        models = sorted({r.split(",")[0] for r in rows})
        self.send_round_robin([a], rows, chunk=20)
        self.wait_all_applied([a], {m: 4 for m in models})
        # One snapshot sweep and one persist-interval: the state is stored.
        time.sleep(3)
        db = sqlite3.connect(os.path.join(self.tmp, "coord", "registry.db"),
                             isolation_level=None, timeout=30)
        db.execute("BEGIN EXCLUSIVE")
        try:
            b = self.start_monitor(self.PERSIST)
            wait_for("a handing shards over",
                     lambda: "handing over" in a.log_text())
            wait_for("the coordinator failing to store the map",
                     lambda: "cannot store the shard map" in coord.log_text(),
                     deadline_s=60)
            # The events of the released shards wait at a.
            path = self.write("second.csv", "model,kind,value\n" + "\n".join(rows) + "\n")
            replay = subprocess.Popen([test_node.binary("retrain-ctl"), a.node, "--timeout=120",
                                       "replay", path], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            self.addCleanup(replay.kill)
            time.sleep(1)
            self.assertIsNone(replay.poll(), "the events of released shards waited")
            coord.kill()
            b.kill()
        finally:
            db.execute("ROLLBACK")
            db.close()
        self.start_coordinator()
        out, err = replay.communicate(timeout=120)
        self.assertEqual(replay.returncode, 0, out + err)
        self.assertIn(f"{len(rows)} accepted, 0 rejected", out)
        self.wait_all_applied([a], {m: 8 for m in models})
        self.assertIn("taking them back from their stored snapshots", a.log_text())


class StoppedNodeTest(ShardTestCase):
    """SIGSTOP of a monitor node past the connection timeout, then SIGCONT,
    while a producer feeds all three round robin: at no time do two nodes
    apply events of one shard, and every application is under an epoch
    the coordinator's map gave the applying node."""

    def test_stopped_node_never_applies_beside_the_new_owner(self):
        coord = self.start_coordinator()
        journals = [os.path.join(self.tmp, f"applied-{i}.txt") for i in range(3)]
        mons = [self.start_monitor(f"--retrain.cluster.apply-journal={j}")
                for j in journals]
        self.wait_owners(coord, 3)
        rows = [f"stop:m{m}:1.0.0,accuracy,0.95" for m in range(60)]

        # Every map the coordinator publishes, sampled: (shard, epoch) ->
        # owner. Each map of this test lives for seconds.
        owners_at = {}
        sampling = True

        def sample():
            while sampling:
                res = ctl("--timeout=1", coord.coordinator, "shards", "--json",
                          timeout=30)
                if res.returncode == 0:
                    for x in json.loads(res.stdout)["shards"]:
                        owners_at.setdefault((x["shard"], x["epoch"]), set()).add(x["owner"])
                time.sleep(0.1)

        # The producer: chunk i to node i % 3; a chunk a node does not
        # acknowledge (the stopped one) goes to the next node, as a
        # producer with several addresses does.
        producing = True
        sent = {"chunks": 0, "accepted": 0, "retried": 0}

        def produce():
            i = 0
            while producing:
                path = self.write(f"stop-{i}.csv", "model,kind,value\n"
                                  + "\n".join(rows[(i * 7) % 60:(i * 7) % 60 + 7]) + "\n")
                for k in range(3):
                    node = mons[(i + k) % 3]
                    res = ctl("--timeout=4", node.node, "replay", path, timeout=30)
                    if res.returncode == 0 and " accepted, 0 rejected" in res.stdout:
                        sent["accepted"] += 1
                        break
                    sent["retried"] += 1
                sent["chunks"] += 1
                i += 1

        threads = [threading.Thread(target=sample), threading.Thread(target=produce)]
        for t in threads:
            t.start()
        try:
            wait_for("chunks applied before the stop", lambda: sent["accepted"] >= 15)
            stopped = mons[0]
            stopped.pause()
            paused_ns = time.monotonic_ns()
            # The coordinator gives the stopped node's shards away after
            # middleman.connection-timeout (3 s); the producer goes on.
            self.wait_owners(coord, 2)
            given_away_at = sent["accepted"]
            wait_for("chunks applied while the node is stopped",
                     lambda: sent["accepted"] >= given_away_at + 10)
            stopped.resume()
            resumed_ns = time.monotonic_ns()
            self.wait_owners(coord, 3)
            back_at = sent["accepted"]
            wait_for("chunks applied after SIGCONT",
                     lambda: sent["accepted"] >= back_at + 20)
        finally:
            producing = False
            for t in threads[1:]:
                t.join()
            time.sleep(1.5)
            sampling = False
            threads[0].join()

        applied = [x for j in journals for x in read_journal(j)]
        self.assertTrue(applied)
        stopped_name = next(iter(read_journal(journals[0])))[0]

        # 1. One node per (shard, epoch), the one the map gave it to.
        by_shard_epoch = {}
        for node, shard, epoch, t, n in applied:
            by_shard_epoch.setdefault((shard, epoch), set()).add(node)
        for key, nodes in sorted(by_shard_epoch.items()):
            self.assertEqual(len(nodes), 1, f"shard {key[0]} epoch {key[1]} applied by {nodes}")
            self.assertIn(key, owners_at, f"shard {key[0]} epoch {key[1]} is in no published map")
            self.assertEqual(owners_at[key], nodes,
                             f"shard {key[0]} epoch {key[1]}: map says {owners_at[key]}, "
                             f"applied by {nodes}")

        # 2. Per shard, the intervals of different nodes never overlap, and
        # epochs only grow over time.
        spans = {}
        for node, shard, epoch, t, n in applied:
            lo, hi = spans.get((shard, epoch, node), (t, t))
            spans[(shard, epoch, node)] = (min(lo, t), max(hi, t))
        per_shard = {}
        for (shard, epoch, node), (lo, hi) in spans.items():
            per_shard.setdefault(shard, []).append((lo, hi, epoch, node))
        moved = 0
        for shard, xs in per_shard.items():
            xs.sort()
            for a, b in zip(xs, xs[1:]):
                self.assertLess(a[1], b[0], f"shard {shard}: {a[3]} applied epoch {a[2]} "
                                f"until {a[1]}, {b[3]} epoch {b[2]} from {b[0]}")
                self.assertLess(a[2], b[2], f"shard {shard}: epoch {b[2]} after {a[2]}")
                moved += 1
        self.assertGreater(moved, 0, "no shard changed hands")

        # 3. The stopped node applied before the stop, nothing of its old
        # epochs after SIGCONT, and new epochs once the map gave it
        # shards again.
        mine = [x for x in applied if x[0] == stopped_name]
        before = [x for x in mine if x[3] < paused_ns]
        after = [x for x in mine if x[3] > resumed_ns]
        self.assertTrue(before, "the stopped node applied nothing before the stop")
        self.assertTrue(after, "the stopped node applied nothing after SIGCONT")
        old = {(s, e) for _, s, e, _, _ in before}
        self.assertFalse([x for x in after if (x[1], x[2]) in old],
                         "the resumed node applied under an epoch it held before the stop")
        # The other nodes applied the stopped node's shards meanwhile.
        old_shards = {s for s, _ in old}
        during = [x for x in applied if x[0] != stopped_name and x[1] in old_shards
                  and paused_ns < x[3] < resumed_ns]
        self.assertTrue(during, "nobody served the stopped node's shards")
        self.assertGreater(sent["retried"], 0)


if __name__ == "__main__":
    test_node.main()
