#!/usr/bin/env python3
"""Coordinator failover: two coordinators on one PostgreSQL database, one
monitor node and three worker nodes (real processes on loopback), 100
drifting lines; the active coordinator is killed (kill -9) or stopped
(SIGSTOP) mid-run, or the standby is killed. Every scenario ends as a user
would check it: each drifting line has exactly one new version, no job is
left queued or running, and the nodes follow the active coordinator by
themselves.

Needs RETRAIN_TEST_PG_URL (run it through pg_server.py, as CTest does):

    tests/e2e/pg_server.py -- python3 tests/e2e/test_failover.py --bin build/nodes
"""

import calendar
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402
from test_faults import EAGER, FaultTestCase, lines_csv  # noqa: E402
from test_node import ctl, free_closed_port, wait_for  # noqa: E402

# Short enough that a scenario stays well under a minute on two loaded
# cores, long enough that a busy machine does not miss a renewal (every
# 800 ms; the holder stops acting after 2.4 s without one).
LEASE = "--retrain.registry.lease-timeout=4s"
HEARTBEAT = ("--middleman.heartbeat-interval=500ms", "--middleman.connection-timeout=2s")
LINES = 100
WORKER_NODES = 3


def active_epoch(node):
    """The epoch at which the node's coordinator last became active, or None."""
    found = re.findall(r"active at epoch (\d+)", node.log_text())
    return int(found[-1]) if found else None


def succeeded_count(node):
    return len(re.findall(r": succeeded, registered ", node.log_text()))


class FailoverTestCase(FaultTestCase):
    """Two coordinators (A active, B standby), a monitor, three workers."""

    def setUp(self):
        super().setUp()
        if not os.environ.get("RETRAIN_TEST_PG_URL"):
            self.fail("RETRAIN_TEST_PG_URL is not set: run through tests/e2e/pg_server.py")
        self.ports = [free_closed_port(), free_closed_port()]
        self.group = "--retrain.coordinator=" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def start_group_coordinator(self, index):
        name = "coord-" + "ab"[index]
        node = self.start_role("coordinator", f"--retrain.coordinator-port={self.ports[index]}",
                               *self.registry_args(), LEASE, *HEARTBEAT, name=name)
        node.name = name
        return node

    def start_cluster(self, duration="300ms"):
        """A active (waited for), then B standby, the monitor and the workers;
        returns (a, b, monitor, workers)."""
        a = self.start_group_coordinator(0)
        wait_for("coordinator A active", lambda: active_epoch(a) == 1)
        b = self.start_group_coordinator(1)
        wait_for("coordinator B standby",
                 lambda: "standby: the lease is held by" in b.log_text())
        mon = self.start_role("monitor", self.group, "--retrain.threshold.latency_ms=200",
                              *EAGER, *HEARTBEAT)
        workers = [self.start_role("worker", self.group, "--retrain.workers=2",
                                   f"--retrain.job.simulated-duration={duration}", *HEARTBEAT)
                   for _ in range(WORKER_NODES)]
        self.wait_enlisted(a, 2 * WORKER_NODES)
        self.wait_linked(mon)
        return a, b, mon, workers

    def run_drift(self, mon, active, at_least=15):
        """Replays 100 drifting lines and waits until `at_least` jobs
        succeeded on `active` (mid-run); returns the lines."""
        path = os.path.join(self.tmp, "drift.csv")
        lines = lines_csv(path, LINES, project="fo")
        self.replay(mon, path)
        wait_for(f"{at_least} jobs done", lambda: succeeded_count(active) >= at_least,
                 deadline_s=60)
        return lines

    def assert_done(self, coord, mon, lines):
        """Exactly one new version per line, nothing stuck."""
        jobs = self.wait_jobs_settled(coord, LINES, deadline_s=120)
        self.assert_one_version_per_line(coord, jobs, lines)
        self.assertEqual(self.all_versions(coord, lines), {line: ["1.0.1"] for line in lines})
        wait_for("monitors released",
                 lambda: all(s["state"] == "standing-down"
                             for s in self.status(mon).values()))
        self.assert_nothing_stuck(mon, self.jobs(coord))

    def assert_follow(self, nodes, coord, epoch):
        """Each node's link found `coord` as the active one at `epoch`."""
        port = self.ports[0 if coord.name == "coord-a" else 1]
        for n in nodes:
            wait_for(f"{n.role} node following 127.0.0.1:{port}",
                     lambda n=n: f"127.0.0.1:{port} is the active one (epoch {epoch})"
                     in n.log_text())

    def assert_ctl_finds(self, coord, mon, order):
        """retrain-ctl given both coordinators (in `order`, indexes into
        self.ports) talks to `coord`, the active one."""
        group = ",".join(f"127.0.0.1:{self.ports[i]}" for i in order)
        out = self.ctl_ok(mon.node, f"--coordinator={group}", "status").stdout
        self.assertIn(f"coordinator 127.0.0.1:{coord.coordinator_port}: ", out)

    def assert_standby(self, coord):
        """The coordinator answers as a standby: retrain-ctl says so."""
        res = ctl(f"--coordinator=127.0.0.1:{coord.coordinator_port}", "jobs")
        self.assertNotEqual(res.returncode, 0, res.stdout)
        self.assertIn("standby", res.stdout + res.stderr)


class ActiveKilledTest(FailoverTestCase):
    """kill -9 of the active coordinator mid-run: the standby takes over at
    once (the dead one's database session ended), resumes queued jobs,
    re-queues running ones, and every node reconnects by itself."""

    def test_kill_active(self):
        a, b, mon, workers = self.start_cluster()
        # retrain-ctl with both addresses skips the standby, and with no
        # active one among them says what each address is.
        self.assert_ctl_finds(a, mon, [1, 0])
        res = ctl(f"--coordinator=127.0.0.1:{self.ports[1]},127.0.0.1:{free_closed_port()}",
                  "jobs")
        self.assertEqual(res.returncode, 1, res.stdout)
        self.assertIn("no active coordinator among", res.stderr)
        self.assertIn(f"127.0.0.1:{self.ports[1]} is a standby", res.stderr)
        self.assertIn("cannot reach the coordinator", res.stderr)
        lines = self.run_drift(mon, a)
        a.kill()
        wait_for("B active", lambda: active_epoch(b) == 2)
        self.assertIn("session of", b.log_text(), "taken over because A's session ended")
        self.assert_follow([mon] + workers, b, 2)
        self.assert_ctl_finds(b, mon, [0, 1])
        self.wait_enlisted(b, 2 * WORKER_NODES)
        self.assert_done(b, mon, lines)


class StandbyKilledTest(FailoverTestCase):
    """kill -9 of the standby mid-run: the active one goes on alone and
    nothing moves."""

    def test_kill_standby(self):
        a, b, mon, workers = self.start_cluster()
        lines = self.run_drift(mon, a)
        b.kill()
        self.assert_done(a, mon, lines)
        self.assertEqual(active_epoch(a), 1)
        self.assertNotIn("stepping down", a.log_text())
        for n in [mon] + workers:
            self.assertNotIn("lost the coordinator", n.log_text(), n.log_path)


class AllNodeTest(FailoverTestCase):
    """A node in role `all` pointed at the database of a failover group
    takes part in the lease rather than writing beside the active
    coordinator: while A is active its coordinator is a standby; once A is
    stopped (SIGTERM releases the lease) it takes over and its own monitor
    and workers use it; A started again is a standby."""

    def test_all_node_waits_for_the_lease(self):
        a = self.start_group_coordinator(0)
        wait_for("coordinator A active", lambda: active_epoch(a) == 1)
        c = self.start_role("all", f"--retrain.coordinator-port={self.ports[1]}",
                            *self.registry_args(), LEASE, *HEARTBEAT,
                            "--retrain.threshold.latency_ms=200", *EAGER,
                            "--retrain.job.simulated-duration=100ms", name="all")
        wait_for("the node in role all a standby",
                 lambda: "standby: the lease is held by" in c.log_text())
        self.assert_standby(c)
        self.assertIn("coordinator of this process is a standby", c.log_text())
        self.assertEqual(active_epoch(c), None)
        a.stop()
        wait_for("the node in role all active", lambda: active_epoch(c) == 2)
        wait_for("its monitor given the shards by it",
                 lambda: re.search(r"shard map v\d+: \d+ shards, \d+ of them here",
                                   c.log_text()))
        path = os.path.join(self.tmp, "drift.csv")
        (line,) = lines_csv(path, 1, project="all")
        self.replay(c, path)
        jobs = self.wait_jobs_settled(c, 1)
        self.assertEqual([(j["state"], j["version"]) for j in jobs], [("succeeded", "1.0.1")])
        self.assertEqual([v["version"] for v in self.versions(c, line)], ["1.0.1"])
        a.start()
        wait_for("A a standby now",
                 lambda: "standby: the lease is held by" in a.log_text(since_start=True))
        self.assert_standby(a)


def epoch_seconds(iso):
    """Seconds since the epoch of an ISO 8601 UTC time as retrain prints it
    (`2026-11-29T07:56:51.083Z`, any number of fraction digits)."""
    whole, _, rest = iso.rstrip("Z").partition(".")
    t = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return t + (float("0." + rest) if rest else 0.0)


class ActiveStoppedTest(FailoverTestCase):
    """SIGSTOP of the active coordinator mid-run: its database sessions and
    connections stay open, so the standby takes over once the lease is
    older than the lease timeout; after SIGCONT the old one finds itself
    replaced and acts no more: no job dispatched, no version registered,
    nothing written by it."""

    def test_stop_active(self):
        a, b, mon, workers = self.start_cluster()
        lines = self.run_drift(mon, a)
        paused_at = time.time()
        a.pause()
        try:
            wait_for("B active", lambda: active_epoch(b) == 2)
            self.assertIn("was not renewed for", b.log_text())
            self.assert_follow([mon] + workers, b, 2)
            jobs = self.wait_jobs_settled(b, LINES, deadline_s=120)
            self.assertEqual(len(jobs), LINES)
        finally:
            resumed_at = len(a.log_text())
            a.resume()
        wait_for("A stepping down", lambda: "stepping down from epoch 1"
                 in a.log_text()[resumed_at:])
        self.assert_standby(a)
        # Messages that waited in A while it was stopped get no action now.
        time.sleep(1.0)
        after = a.log_text()[resumed_at:]
        for action in (r"attempt \d+ on worker", r": queued \(", r"re-queued"):
            self.assertIsNone(re.search(action, after),
                              f"A acted after SIGCONT ({action}):\n{after}")
        # A registry answer that waited in A may be logged after SIGCONT;
        # the version it names must have been written before the stop.
        for line, version in re.findall(r": succeeded, registered (\S+) (\S+)",
                                        after):
            (v,) = [x for x in self.versions(b, line) if x["version"] == version]
            self.assertLess(epoch_seconds(v["created"]), paused_at,
                            f"A registered {line} {version} after SIGSTOP")
        self.assert_done(b, mon, lines)


if __name__ == "__main__":
    test_node.main()
