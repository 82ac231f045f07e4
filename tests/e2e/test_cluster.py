#!/usr/bin/env python3
"""End-to-end tests of a cluster: coordinator, monitor and worker nodes as
separate real processes on loopback, and the failures they must survive.

    python3 tests/e2e/test_cluster.py --bin build/nodes [TestClass ...]
"""

import os
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_server  # noqa: E402
import test_node  # noqa: E402  (shared helpers: ctl, wait_for, ...)
from test_node import (DEADLINE_S, DRIFT_CSV, DRIFTING, NodeTestCase, binary,  # noqa: E402
                       free_closed_port, wait_for)


class RoleNode(test_node.Node):
    """A node of one role; ports it does not serve stay None."""

    def __init__(self, role, data_dir, log_path, args=()):
        super().__init__(data_dir, log_path, args)
        self.role = role

    def command(self):
        cmd = [binary("retrain-node"), f"--retrain.role={self.role}",
               f"--retrain.data-dir={self.data_dir}", "--retrain.http-port=0"] + self.args
        if self.role == "monitor" and not any("ingest-port" in a for a in self.args):
            cmd.append("--retrain.ingest-port=0")
        return cmd

    def pause(self):
        self._signal_group(signal.SIGSTOP)

    def resume(self):
        self._signal_group(signal.SIGCONT)


class ClusterTestCase(NodeTestCase):
    """Starts nodes by role around one coordinator port."""

    def setUp(self):
        super().setUp()
        self.port = free_closed_port()
        self.link = f"--retrain.coordinator=127.0.0.1:{self.port}"

    def start_role(self, role, *args, name=None, data_dir=None):
        name = name or f"{role}-{len(self.nodes)}"
        node = RoleNode(role, data_dir or os.path.join(self.tmp, name),
                        os.path.join(self.tmp, name + ".log"), args)
        self.nodes.append(node)
        return node.start()

    def registry_args(self):
        """With RETRAIN_TEST_PG_URL set (pg_server.py, the pg.cluster.*
        tests) the coordinators of a test keep their registry in one new
        PostgreSQL database; else in SQLite in their data dir."""
        admin = os.environ.get("RETRAIN_TEST_PG_URL")
        if not admin:
            return []
        if getattr(self, "registry_url", None) is None:
            name = "e2e_%d_%d" % (os.getpid(), id(self))
            self.registry_url = pg_server.create_database(admin, name)
        return [f"--retrain.registry.url={self.registry_url}"]

    def start_coordinator(self, *args, data_dir=None):
        node = self.start_role("coordinator", f"--retrain.coordinator-port={self.port}",
                               *self.registry_args(), *args,
                               data_dir=data_dir or os.path.join(self.tmp, "coord"))
        if os.environ.get("RETRAIN_TEST_PG_URL"):
            # On PostgreSQL a coordinator answers as a standby until it
            # holds the lease (a restarted one may wait for its old
            # session to end) and its gate opens, a moment after the
            # lease is taken: the tests talk to an active one.
            wait_for("the coordinator to become active",
                     lambda: re.search(r"coordinator_gate#\d+ active at epoch",
                                       node.log_text(since_start=True)))
        # ctl helpers of NodeTestCase read node.coordinator.
        return node

    def start_monitor(self, *args):
        return self.start_role("monitor", self.link, "--retrain.threshold.latency_ms=200",
                               *args)

    def start_worker(self, *args, name=None):
        return self.start_role("worker", self.link, *args, name=name)

    def wait_enlisted(self, coord, count):
        wait_for(f"{count} workers enlisted",
                 lambda: len(re.findall(r"enlisted \(", coord.log_text())) >= count)

    def one_job_on_two_workers(self, duration):
        """A coordinator, a monitor and two one-worker nodes, with one job
        running; returns the coordinator, the workers and the busy one."""
        coord = self.start_coordinator()
        mon = self.start_monitor()
        workers = [self.start_worker("--retrain.workers=1",
                                     f"--retrain.job.simulated-duration={duration}")
                   for _ in range(2)]
        self.wait_enlisted(coord, 2)
        self.wait_linked(mon)
        self.replay(mon, self.drifting_csv())
        busy = wait_for("a worker running the job",
                        lambda: next((w for w in workers if started_jobs(w)), None))
        return coord, workers, busy

    def wait_linked(self, node):
        wait_for(f"{node.role} node reaching the coordinator",
                 lambda: "reached the coordinator" in node.log_text(since_start=True))


def started_jobs(node):
    """Job ids the node's workers started, from its log."""
    return [int(x) for x in re.findall(r"job (\d+) attempt \d+ started", node.log_text())]


class ScaleOutTest(ClusterTestCase):
    """1 coordinator + 1 monitor + 2 worker nodes: jobs run on both workers."""

    def test_jobs_spread_over_worker_nodes(self):
        coord = self.start_coordinator()
        mon = self.start_monitor()
        w1 = self.start_worker("--retrain.workers=1", "--retrain.job.simulated-duration=2s")
        w2 = self.start_worker("--retrain.workers=1", "--retrain.job.simulated-duration=2s")
        self.wait_enlisted(coord, 2)
        self.wait_linked(mon)
        self.replay(mon, DRIFT_CSV)
        jobs = self.wait_jobs_settled(coord, len(DRIFTING))
        self.assertEqual(len(jobs), 3, jobs)
        self.assertTrue(all(j["state"] == "succeeded" for j in jobs), jobs)
        self.assertTrue(started_jobs(w1) and started_jobs(w2),
                        "both worker nodes must run jobs")
        for line, (_, _, next_version) in DRIFTING.items():
            self.assertEqual([v["version"] for v in self.versions(coord, line)],
                             [next_version], line)
        # status shows the cluster: the monitor node and both workers.
        text = self.ctl_ok(mon.node, coord.coordinator, "status").stdout
        self.assertRegex(text, r"0 queued, 0 running, 3 succeeded, 0 failed since start; "
                               r"1 monitor nodes, 2 workers")
        self.assertEqual(len(re.findall(r"  worker \S+: idle", text)), 2, text)
        # ... and the version of each node: the coordinator and the three
        # linked to it, all the version `--version` names.
        out = subprocess.run([test_node.binary("retrain-node"), "--version"],
                             capture_output=True, text=True, check=True).stdout
        (number, revision) = re.match(r"retrain-node (\S+) \(git (\S+),", out).groups()
        version = f"{number} (git {revision})"
        self.assertIn(f"  version: {version}\n", text)
        self.assertEqual(re.findall(r"  node \S+: (.*)", text), [version] * 3, text)
        self.assertNotIn("different retrain versions", text)


class WorkerKilledTest(ClusterTestCase):
    """kill -9 of a worker node mid-job: the job completes on the other."""

    def test_job_moves_to_the_surviving_worker(self):
        coord, workers, victim = self.one_job_on_two_workers("4s")
        survivor = workers[1] if victim is workers[0] else workers[0]
        victim.kill()
        (job,) = self.wait_jobs_settled(coord, 1)
        self.assertEqual(job["state"], "succeeded", job)
        self.assertEqual(job["attempts"], 2, job)
        self.assertEqual(started_jobs(survivor), [job["id"]])
        self.assertEqual([v["version"] for v in self.versions(coord, "cv:anomaly_detector")],
                         ["1.2.1"])
        self.assertIn("re-queueing job", coord.log_text())


class WorkerHangsTest(ClusterTestCase):
    """SIGSTOP of a worker node mid-job: heartbeats expose it, the job is
    re-queued and completes elsewhere."""

    def test_hung_worker_loses_its_job(self):
        coord, _, victim = self.one_job_on_two_workers("3s")
        victim.pause()
        try:
            (job,) = self.wait_jobs_settled(coord, 1)
            self.assertEqual(job["state"], "succeeded", job)
            self.assertEqual(job["attempts"], 2, job)
            self.assertIn("re-queueing job", coord.log_text())
            self.assertEqual(len(self.versions(coord, "cv:anomaly_detector")), 1)
        finally:
            victim.resume()


class CoordinatorRestartTest(ClusterTestCase):
    """kill -9 of the coordinator with jobs queued and running, then a
    restart: every job completes once and the other nodes come back."""

    def test_cluster_survives_coordinator_crash(self):
        coord = self.start_coordinator()
        mon = self.start_monitor()
        self.start_worker("--retrain.workers=1", "--retrain.job.simulated-duration=2s")
        self.wait_enlisted(coord, 1)
        self.wait_linked(mon)
        self.replay(mon, DRIFT_CSV)
        wait_for("3 jobs, some still pending",
                 lambda: (lambda js: len(js) == 3 and any(
                     j["state"] in ("queued", "running") for j in js))(self.jobs(coord)))
        coord.kill()
        coord = self.start_coordinator(data_dir=coord.data_dir)
        jobs = self.wait_jobs_settled(coord, 3, deadline_s=90)
        self.assertEqual(len(jobs), 3, jobs)
        self.assertEqual(len({j["id"] for j in jobs}), 3, jobs)
        self.assertTrue(all(j["state"] == "succeeded" for j in jobs), jobs)
        for line, (_, _, next_version) in DRIFTING.items():
            self.assertEqual([v["version"] for v in self.versions(coord, line)],
                             [next_version], f"{line}: one version, none lost")
        # The monitor node came back by itself: a new drift reaches the
        # restarted coordinator.
        self.replay(mon, self.drifting_csv(model="cv:fresh:1.0.0"))
        jobs = self.wait_jobs_settled(coord, 4, deadline_s=60)
        self.assertIn("cv:fresh:1.0.0", [j["model"] for j in jobs])


class StartOrderTest(ClusterTestCase):
    """Workers and monitor first, coordinator last: the cluster forms."""

    def test_coordinator_last(self):
        # A monitor node applies only the shards the coordinator gave it:
        # before any coordinator exists, events wait in the node (up to 3/4
        # of the request timeout) and are applied once the shard map comes.
        mon = self.start_monitor("--retrain.request-timeout=60s")
        self.start_worker("--retrain.job.simulated-duration=1s")
        replay = subprocess.Popen(
            [binary("retrain-ctl"), mon.node, "--timeout=60", "replay",
             self.drifting_csv()],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        try:
            wait_for("the events waiting for a shard map",
                     lambda: "events wait here until it comes" in mon.log_text())
            self.assertIsNone(replay.poll(), "the events must wait for the map")
            self.assertEqual(self.status(mon), {}, "no event applied without a map")
            coord = self.start_coordinator()
            out, err = replay.communicate(timeout=DEADLINE_S * 2)
        finally:
            if replay.poll() is None:
                replay.kill()
                replay.communicate()
        self.assertEqual(replay.returncode, 0, err)
        self.assertIn("20 accepted, 0 rejected", out)
        self.wait_enlisted(coord, 2)
        self.wait_linked(mon)
        (job,) = self.wait_jobs_settled(coord, 1)
        self.assertEqual(job["state"], "succeeded", job)
        self.assertEqual(job["model"], "cv:anomaly_detector:1.2.0")


class ProtocolMismatchTest(ClusterTestCase):
    """A node speaking another protocol version is refused."""

    def test_other_app_identifier_is_refused(self):
        coord = self.start_coordinator()
        w = self.start_worker('--middleman.app-identifiers=["retrain.v0"]')
        wait_for("the refusal in the worker's log",
                 lambda: "speaks another protocol version" in w.log_text())
        self.assertNotIn("reached the coordinator", w.log_text())
        self.assertNotIn("enlisted", coord.log_text())


class TlsTest(ClusterTestCase):
    """With certificates from a private CA every link uses TLS; a node
    without one is refused."""

    def openssl(self, *args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True,
                       cwd=self.tmp)

    def make_pki(self):
        self.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                     "-subj", "/CN=retrain-test-ca", "-keyout", "ca.key", "-out", "ca.pem")
        for name in ("node",):
            self.openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                         "-keyout", f"{name}.key", "-out", f"{name}.csr")
            self.openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem",
                         "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                         "-out", f"{name}.pem")
        p = lambda f: os.path.join(self.tmp, f)  # noqa: E731
        return [f"--openssl.certificate={p('node.pem')}", f"--openssl.key={p('node.key')}",
                f"--openssl.cafile={p('ca.pem')}"]

    def test_tls_cluster_and_refusal(self):
        tls = self.make_pki()
        coord = self.start_coordinator(*tls)
        mon = self.start_monitor(*tls)
        self.start_worker(*tls, "--retrain.job.simulated-duration=1s")
        self.wait_enlisted(coord, 2)
        self.wait_linked(mon)
        # A worker without a certificate cannot join.
        plain = self.start_worker(name="plain")
        wait_for("the plain worker's refusal",
                 lambda: "refused this node during the handshake" in plain.log_text())
        self.assertNotIn("reached the coordinator", plain.log_text())
        # retrain-ctl without a certificate is refused; with one it works.
        res = test_node.ctl(mon.node, "status")
        self.assertEqual(res.returncode, 1, res)
        res = test_node.ctl(*tls, mon.node, f"--coordinator=127.0.0.1:{self.port}",
                            "status")
        self.assertEqual(res.returncode, 0, res)
        self.assertIn("2 workers", res.stdout)


if __name__ == "__main__":
    test_node.main()
