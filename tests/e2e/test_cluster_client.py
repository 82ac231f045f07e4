#!/usr/bin/env python3
"""End-to-end tests of retrain::cluster_client, the client-side router of
the installed package: a CAF app (examples/cluster_client, built beside
retrain-node) fetches the shard map from the coordinator and sends every
event straight to the monitor node that owns its shard.

    python3 tests/e2e/test_cluster_client.py --bin build/nodes [TestClass ...]
"""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402
from test_node import binary, wait_for  # noqa: E402
from test_shards import ShardTestCase  # noqa: E402

CLIENT = "retrain-example-cluster-client"
CLIENT_TIMEOUT_S = 120


def fnv1a64(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def parse_total(out):
    m = re.search(r"^total: batches=(\d+) accepted=(\d+) rejected=(\d+)(.*)$", out, re.M)
    if not m:
        raise AssertionError(f"the client printed no total:\n{out}")
    return int(m.group(2)), int(m.group(3)), m.group(4)


def parse_client(out):
    """(sent, retried) from the client's own counters."""
    m = re.search(r"^client: sent=(\d+) retried=(\d+)$", out, re.M)
    if not m:
        raise AssertionError(f"the client printed no counters:\n{out}")
    return int(m.group(1)), int(m.group(2))


def parse_routers(out):
    """{node: (forwarded, received)} from the client's router lines."""
    return {m.group(1): (int(m.group(2)), int(m.group(3)))
            for m in re.finditer(r"^router (\S+): forwarded=(\d+) received=(\d+)$",
                                 out, re.M)}


class ClusterClientTestCase(ShardTestCase):

    def client_args(self, coord, project, models, events, *extra):
        return [binary(CLIENT), f"--coordinator=127.0.0.1:{coord.coordinator_port}",
                f"--project={project}", f"--models={models}", f"--events={events}",
                *extra]

    def run_client(self, coord, project, models, events, *extra):
        proc = subprocess.run(self.client_args(coord, project, models, events, *extra),
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=CLIENT_TIMEOUT_S)
        return proc

    def owner_of(self, shard_map, model):
        shards = len(shard_map["shards"])
        owners = {s["shard"]: s["owner"] for s in shard_map["shards"]}
        return owners[fnv1a64(test_node.line_of(model)) % shards]

    def events_by_node(self, nodes, models):
        """{model: {node name: events}} over `nodes`."""
        result = {m: {} for m in models}
        for n in nodes:
            name = f"127.0.0.1:{n.ingest_port}"
            for model, st in self.status(n).items():
                if model in result:
                    result[model][name] = st["events"]
        return result


class StraightToOwnersTest(ClusterClientTestCase):
    """Three monitor nodes: the client sends every model's events, each
    straight to its owner, so no node forwards one."""

    def test_every_event_goes_straight_to_its_owner(self):
        coord = self.start_coordinator()
        mons = self.start_monitors(3)
        shard_map = self.wait_owners(coord, 3)
        models = [f"direct:m{i}:1.0.0" for i in range(60)]
        proc = self.run_client(coord, "direct", 60, 600, "--batch-size=50",
                               "--invalid=1")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        accepted, rejected, rest = parse_total(proc.stdout)
        self.assertEqual((accepted, rejected), (600, 1), proc.stdout)
        # The NaN is refused by the client with the reason ingest gives.
        self.assertIn("is not finite", rest)
        # Every owner took its part in shard batches and forwarded nothing.
        routers = parse_routers(proc.stdout)
        names = {f"127.0.0.1:{n.ingest_port}" for n in mons}
        self.assertEqual(set(routers), names, proc.stdout)
        self.assertEqual([f for f, _ in routers.values()], [0, 0, 0], proc.stdout)
        # A node that just took shards over lets them settle for one lease
        # term before it applies them (see "The ownership lease" in the
        # README): what it returned meanwhile went again, to the same owner.
        sent, retried = parse_client(proc.stdout)
        self.assertEqual(sent, 600 + retried, proc.stdout)
        self.assertEqual(sum(r for _, r in routers.values()), sent, proc.stdout)

        # Exactly one monitor per model, on its owner, with each event once.
        def applied():
            got = self.events_by_node(mons, models)
            return got if all(sum(v.values()) == 10 for v in got.values()) else None
        got = wait_for("every event applied", applied)
        for model in models:
            self.assertEqual(list(got[model]), [self.owner_of(shard_map, model)],
                             (model, got[model]))
        # And each owner received its models' events, plus what it
        # returned while settling and got again.
        per_node = {}
        for model in models:
            owner = self.owner_of(shard_map, model)
            per_node[owner] = per_node.get(owner, 0) + 10
        received = {n: r for n, (_, r) in routers.items()}
        self.assertEqual(set(received), set(per_node), proc.stdout)
        for n, r in received.items():
            self.assertGreaterEqual(r, per_node[n], (n, proc.stdout))
        self.assertEqual(sum(received.values()) - 600, retried, proc.stdout)

    def test_no_coordinator_is_a_clear_error(self):
        port = test_node.free_closed_port()
        proc = subprocess.run([binary(CLIENT), f"--coordinator=127.0.0.1:{port}",
                               "--events=5"],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=CLIENT_TIMEOUT_S)
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
        self.assertIn("no shard map", proc.stderr)


class ClientFailoverTest(ClusterClientTestCase):
    """The map changes under a running client: it re-fetches the map and
    sends again, and every event it reports accepted is applied."""

    def start_paused_client(self, coord, project, models, events, pause_after):
        proc = subprocess.Popen(
            self.client_args(coord, project, models, events, "--batch-size=30",
                             f"--pause-after={pause_after}"),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        line = proc.stdout.readline()
        self.assertIn(f"paused after {pause_after} events: accepted={pause_after} "
                      "rejected=0", line, proc.stderr.read() if not line else line)
        return proc

    def resume(self, proc):
        out, err = proc.communicate("\n", timeout=CLIENT_TIMEOUT_S)
        self.assertEqual(proc.returncode, 0, out + err)
        return out

    def test_a_killed_owner_is_replaced_and_no_accepted_event_is_lost(self):
        coord = self.start_coordinator()
        mons = self.start_monitors(3)
        before = self.wait_owners(coord, 3)
        models = [f"kill:m{i}:1.0.0" for i in range(30)]
        proc = self.start_paused_client(coord, "kill", 30, 600, 300)
        killed = f"127.0.0.1:{mons[2].ingest_port}"
        mons[2].kill()
        # Resumed at once: the client still holds the map naming the
        # killed node and must find the new owners by itself.
        out = self.resume(proc)
        accepted, rejected, _ = parse_total(out)
        self.assertEqual((accepted, rejected), (600, 0), out)
        # The events of the killed node's shards waited for a new map.
        sent, retried = parse_client(out)
        self.assertGreater(retried, 0, out)
        self.assertGreaterEqual(sent, 600, out)
        after = self.shard_map(coord)
        live = mons[:2]
        moved = [m for m in models if self.owner_of(before, m) == killed]
        stayed = [m for m in models if m not in moved]
        self.assertTrue(moved and stayed, before)

        # Models of the live nodes: every event applied once. Models of the
        # killed node: one monitor on a live node with at least the 10
        # events sent after the kill (plus what the snapshots it shipped
        # before the kill held), never more than were sent.
        def applied():
            got = self.events_by_node(live, models)
            ok = all(sum(got[m].values()) == 20 for m in stayed) and all(
                10 <= sum(got[m].values()) <= 20 for m in moved)
            return got if ok else None
        got = wait_for("every accepted event applied on a live node", applied)
        for m in models:
            self.assertEqual(list(got[m]), [self.owner_of(after, m)], (m, got[m]))
        # Straight to owners still: the live nodes forwarded nothing.
        routers = parse_routers(out)
        self.assertEqual(set(routers), {f"127.0.0.1:{n.ingest_port}" for n in live}, out)
        self.assertEqual([f for f, _ in routers.values()], [0, 0], out)

    def test_a_joining_node_takes_its_shards_from_the_client(self):
        coord = self.start_coordinator()
        mons = self.start_monitors(3)
        self.wait_owners(coord, 3)
        models = [f"join:m{i}:1.0.0" for i in range(40)]
        proc = self.start_paused_client(coord, "join", 40, 800, 400)
        mons.append(self.start_monitor())
        after = self.wait_owners(coord, 4)
        # The client's map is stale now: the old owners return the events
        # of the shards that moved, and the client fetches the map again.
        out = self.resume(proc)
        accepted, rejected, _ = parse_total(out)
        self.assertEqual((accepted, rejected), (800, 0), out)
        # The old owners returned the events of the shards that moved.
        sent, retried = parse_client(out)
        self.assertGreater(retried, 0, out)
        self.assertEqual(sent, 800 + retried, out)

        def applied():
            got = self.events_by_node(mons, models)
            return got if all(sum(v.values()) == 20 for v in got.values()) else None
        got = wait_for("every event applied once in the cluster", applied)
        newcomer = f"127.0.0.1:{mons[3].ingest_port}"
        mine = [m for m in models if self.owner_of(after, m) == newcomer]
        self.assertTrue(mine, after)
        # The moved models' monitors moved with their shards, state and
        # all: one monitor per model, on its owner, with all 20 events.
        for m in models:
            self.assertEqual(got[m], {self.owner_of(after, m): 20}, (m, got[m]))
        routers = parse_routers(out)
        self.assertEqual(len(routers), 4, out)


if __name__ == "__main__":
    test_node.main()
