#!/usr/bin/env python3
"""No decision lost: triggers and attempts exactly once through coordinator
death, full disks, shutdown and hung workers, with real processes.

Each scenario ends by checking what a user would see: one job per drifting
line, exactly one new version per line, no job left queued or running and
no model left `job-active` with no job behind it.

    python3 tests/e2e/test_faults.py --bin build/nodes [TestClass ...]
"""

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402
from test_cluster import ClusterTestCase, RoleNode  # noqa: E402
from test_node import DEADLINE_S, NodeTestCase, caf_list, wait_for  # noqa: E402

# A trigger on the first breaching value, so that one event makes a decision.
EAGER = ("--retrain.monitor.min-samples=1", "--retrain.monitor.consecutive-breaches=1")


def lines_csv(path, lines, value=0.5, events=1, project="burst"):
    """Writes `events` accuracy values of `value` for `lines` model lines
    `<project>:l<i>` (model version 1.0.0); returns the model lines."""
    names = [f"{project}:l{i}" for i in range(lines)]
    with open(path, "w") as f:
        f.write("model,kind,value\n")
        for _ in range(events):
            for line in names:
                f.write(f"{line}:1.0.0,accuracy,{value}\n")
    return names


class FaultTestCase(ClusterTestCase):
    """Helpers to check the end state of a scenario."""

    def assert_one_version_per_line(self, coord, jobs, lines, version="1.0.1"):
        """One job per line, each succeeded, and exactly `version` registered."""
        by_line = {}
        for j in jobs:
            by_line.setdefault(":".join(j["model"].split(":")[:2]), []).append(j)
        self.assertEqual(sorted(by_line), sorted(lines),
                         f"lines with jobs differ; {len(jobs)} jobs")
        for line, js in by_line.items():
            self.assertEqual(len(js), 1, f"{line}: one job, got {js}")
            self.assertEqual(js[0]["state"], "succeeded", js[0])
            self.assertEqual(js[0]["version"], version, js[0])
        self.assertEqual(len({j["id"] for j in jobs}), len(jobs), "job ids repeat")

    def all_versions(self, coord, lines):
        return {line: [v["version"] for v in self.versions(coord, line)] for line in lines}

    def assert_nothing_stuck(self, mon, jobs):
        """No job queued or running and no model waiting for a job."""
        self.assertFalse([j for j in jobs if j["state"] in ("queued", "running")])
        stuck = {m: s["state"] for m, s in self.status(mon).items()
                 if s["state"] == "job-active"}
        self.assertEqual(stuck, {}, "models job-active with no job behind them")


class CoordinatorKilledAfterBurstTest(FaultTestCase):
    """kill -9 of the coordinator 0, 10 and 30 ms after a burst of 200
    drifting lines, then a restart: 200 jobs, one new version per line."""

    def run_burst(self, delay_ms):
        coord = self.start_coordinator()
        mon = self.start_monitor(*EAGER)
        self.start_worker("--retrain.workers=4", "--retrain.job.simulated-duration=20ms")
        self.wait_enlisted(coord, 4)
        self.wait_linked(mon)
        lines = lines_csv(os.path.join(self.tmp, "burst.csv"), 200)
        self.replay(mon, os.path.join(self.tmp, "burst.csv"))
        time.sleep(delay_ms / 1000.0)
        coord.kill()
        coord = self.start_coordinator(data_dir=coord.data_dir)
        jobs = self.wait_jobs_settled(coord, 200, deadline_s=120)
        self.assert_one_version_per_line(coord, jobs, lines)
        wait_for("monitors released",
                 lambda: all(s["state"] == "standing-down"
                             for s in self.status(mon).values()))
        self.assertEqual(self.all_versions(coord, lines[:20]),
                         {line: ["1.0.1"] for line in lines[:20]})
        self.assert_nothing_stuck(mon, self.jobs(coord))

    def test_kill_at_0ms(self):
        self.run_burst(0)

    def test_kill_at_10ms(self):
        self.run_burst(10)

    def test_kill_at_30ms(self):
        self.run_burst(30)


class HeldTriggersTest(FaultTestCase):
    """10,500 triggers while no coordinator is reachable: every one becomes
    a job once it is, none dropped (the outbox holds one entry per line)."""

    def test_every_held_trigger_becomes_a_job(self):
        # A monitor node applies only the shards the coordinator gave it, so
        # it meets the coordinator once before the coordinator goes away.
        coord = self.start_coordinator("--retrain.workers=0")
        mon = self.start_monitor(*EAGER)
        wait_for("the shard map on the monitor node",
                 lambda: "shard map v" in mon.log_text())
        coord.kill()
        path = os.path.join(self.tmp, "many.csv")
        lines = lines_csv(path, 10_500)
        self.replay(mon, path)
        wait_for("10,500 triggers",
                 lambda: sum(s["triggers"] for s in self.status(mon).values()) == 10_500,
                 deadline_s=120)
        coord = self.start_coordinator("--retrain.workers=0", data_dir=coord.data_dir)
        jobs = wait_for("10,500 jobs", lambda: (lambda js: js if len(js) >= 10_500 else None)(
            self.jobs(coord)), deadline_s=180, interval_s=1.0)
        self.assertEqual(len(jobs), 10_500)
        self.assertEqual(sorted(":".join(j["model"].split(":")[:2]) for j in jobs),
                         sorted(lines), "one job per line")
        self.assertNotIn("dropped", mon.log_text())


def can_mount():
    return os.geteuid() == 0 and shutil.which("mount") is not None


class TmpfsMixin:
    """A small tmpfs for a data dir, unmounted at the end of the test."""

    def mount_tmpfs(self, name, size="4m"):
        path = os.path.join(self.tmp, name)
        os.makedirs(path)
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                             capture_output=True, text=True)
        if res.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs here: {res.stderr.strip()}")
        self.addCleanup(lambda: subprocess.run(["umount", "-l", path], capture_output=True))
        return path


def fill(path):
    """Fills the file system of `path` with a file; returns the file."""
    filler = os.path.join(path, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


@unittest.skipUnless(can_mount(), "needs root to mount a small tmpfs")
class FullDiskTest(FaultTestCase, TmpfsMixin):
    """A full data dir loses no trigger and registers no version twice."""

    def test_triggers_wait_for_space(self):
        data = self.mount_tmpfs("data")
        args = (*EAGER, "--retrain.workers=2", "--retrain.job.simulated-duration=50ms")
        node = self.start_node(*args, data_dir=data)
        filler = fill(data)
        path = os.path.join(self.tmp, "drift.csv")
        lines = lines_csv(path, 30)
        self.replay(node, path)
        wait_for("storage degraded in status",
                 lambda: "storage: degraded" in self.ctl_ok(node.node, node.coordinator,
                                                            "status").stdout)
        self.assertRegex(node.log_text(), r"(?i)storage.*(full|no space)")
        os.remove(filler)
        jobs = self.wait_jobs_settled(node, 30, deadline_s=120)
        self.assert_one_version_per_line(node, jobs, lines)
        self.assertIn("storage: ok", self.ctl_ok(node.node, node.coordinator,
                                                 "status").stdout)
        self.assertRegex(node.log_text(), r"(?i)storage recovered")
        self.assert_nothing_stuck(node, jobs)
        # Across a restart nothing runs again.
        self.assertEqual(node.stop(), 0)
        node = self.start_node(*args, data_dir=data)
        time.sleep(1.0)
        again = self.jobs(node)
        self.assertEqual(sorted(j["id"] for j in again), sorted(j["id"] for j in jobs))
        self.assertEqual(self.all_versions(node, lines),
                         {line: ["1.0.1"] for line in lines})

    def test_read_only_registry_stops_the_start(self):
        data = self.mount_tmpfs("data")
        node = self.start_node(data_dir=data)
        self.assertEqual(node.stop(), 0)
        db = os.path.join(data, "registry.db")
        # A read-only bind mount of the file itself: root ignores file modes.
        res = subprocess.run(["mount", "--bind", db, db], capture_output=True, text=True)
        if res.returncode != 0:
            self.skipTest(f"cannot bind-mount: {res.stderr.strip()}")
        self.addCleanup(lambda: subprocess.run(["umount", "-l", db], capture_output=True))
        subprocess.run(["mount", "-o", "remount,ro,bind", db], check=True)
        res = subprocess.run(test_node.Node(data, os.devnull).command(),
                             capture_output=True, text=True, timeout=DEADLINE_S)
        self.assertEqual(res.returncode, 2, res)
        self.assertIn(db, res.stderr)


class ShutdownDrainTest(FaultTestCase):
    """SIGTERM drains: held events reach their monitors, triggers reach the
    dispatcher, and what is left is kept for the next start."""

    def test_sigterm_during_a_burst_keeps_every_trigger(self):
        args = (*EAGER, "--retrain.workers=0")
        node = self.start_node(*args)
        path = os.path.join(self.tmp, "many.csv")
        lines = lines_csv(path, 20_000)
        started = time.monotonic()
        replay = subprocess.Popen([test_node.binary("retrain-ctl"), node.node, "replay", path],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = replay.communicate(timeout=120)
        self.assertEqual(replay.returncode, 0, err)
        self.assertIn("20000 accepted, 0 rejected", out)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
        self.assertEqual(node.stop(), 0, "a drained node exits with 0")
        self.assertRegex(node.log_text(), r"draining")
        node = self.start_node(*args, data_dir=node.data_dir)
        jobs = wait_for("20,000 jobs", lambda: (lambda js: js if len(js) >= 20_000 else None)(
            self.jobs(node)), deadline_s=180, interval_s=1.0)
        self.assertEqual(sorted(":".join(j["model"].split(":")[:2]) for j in jobs),
                         sorted(lines), "one job per line")

    def test_second_signal_exits_at_once_and_keeps_the_outbox(self):
        # The monitor node gets its shards from the coordinator, which then
        # goes away: its triggers have nowhere to go.
        coord = self.start_coordinator("--retrain.workers=0")
        mon = self.start_monitor(*EAGER, "--retrain.shutdown-grace=60s")
        wait_for("the shard map on the monitor node",
                 lambda: "shard map v" in mon.log_text())
        coord.kill()
        path = os.path.join(self.tmp, "five.csv")
        lines = lines_csv(path, 5)
        self.replay(mon, path)
        wait_for("5 triggers",
                 lambda: sum(s["triggers"] for s in self.status(mon).values()) == 5)
        mon.proc.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        self.assertIsNone(mon.proc.poll(), "the node waits for the coordinator")
        # Ingest refuses new events while draining.
        res = test_node.ctl(mon.node, "send", "burst:late:1.0.0", "accuracy", "0.5")
        self.assertNotEqual(res.returncode, 0, res)
        self.assertIn("draining", res.stdout + res.stderr)
        mon.proc.send_signal(signal.SIGINT)
        mon.proc.wait(timeout=10)
        self.assertRegex(mon.log_text(), r"5 undelivered triggers? (kept|written)")
        # At its next start the node delivers them.
        coord = self.start_coordinator("--retrain.workers=0", data_dir=coord.data_dir)
        mon = self.start_role("monitor", self.link, *EAGER, data_dir=mon.data_dir)
        jobs = wait_for("5 jobs", lambda: (lambda js: js if len(js) >= 5 else None)(
            self.jobs(coord)))
        self.assertEqual(sorted(":".join(j["model"].split(":")[:2]) for j in jobs),
                         sorted(lines))


# A retrain command that appends a time stamp to <dir>/<job>-<attempt>
# every 50 ms for 15 s: the first and last stamps bound when it ran.
RECORDER = ("import sys, time\n"
            "path = sys.argv[1] + '/' + sys.argv[2] + '-' + sys.argv[3]\n"
            "end = time.time() + 15\n"
            "while time.time() < end:\n"
            "    with open(path, 'a') as f: f.write(repr(time.time()) + '\\n')\n"
            "    time.sleep(0.05)\n")


class FencingTest(FaultTestCase):
    """SIGSTOP of a worker node mid-attempt: the attempt that runs on after
    the coordinator gave up on it is killed, so two attempts of one job
    overlap for at most connection-timeout + 1 s."""

    def test_stopped_worker_node_attempt_is_fenced(self):
        records = os.path.join(self.tmp, "records")
        os.makedirs(records)
        script = self.write("recorder.py", RECORDER)
        command = "--retrain.job.command=" + caf_list(
            ["python3", script, records, "{job_id}", "{attempt}"])
        coord = self.start_coordinator()
        mon = self.start_monitor()
        workers = [self.start_worker("--retrain.workers=1", command) for _ in range(2)]
        self.wait_enlisted(coord, 2)
        self.wait_linked(mon)
        self.replay(mon, self.drifting_csv())
        victim = wait_for("a worker running the job",
                          lambda: next((w for w in workers
                                        if re.search(r"attempt 1 started", w.log_text())), None))
        # Its command runs (the log line comes just before the start).
        wait_for("the command of attempt 1",
                 lambda: any(n.endswith("-1") for n in os.listdir(records)))
        victim.pause()
        try:
            wait_for("the second attempt", lambda: len(os.listdir(records)) >= 2,
                     deadline_s=20)
            time.sleep(10 - 3)
        finally:
            victim.resume()
        (job,) = self.wait_jobs_settled(coord, 1, deadline_s=60)
        self.assertEqual(job["state"], "succeeded", job)
        spans = {}
        for name in os.listdir(records):
            with open(os.path.join(records, name)) as f:
                stamps = [float(x) for x in f.read().split()]
            spans[name] = (stamps[0], stamps[-1])
        self.assertGreaterEqual(len(spans), 2, spans)
        (first, second) = sorted(spans.values())[:2]
        overlap = min(first[1], second[1]) - max(first[0], second[0])
        self.assertLessEqual(overlap, 3.0 + 1.0, f"attempts overlapped: {spans}")
        self.assertRegex(coord.log_text(), rf"late result of job {job['id']} attempt 1: "
                                           r"(ignored|accepted)")
        self.assertEqual(len(self.versions(coord, "cv:anomaly_detector")), 1)


class NemesisTest(FaultTestCase):
    """100 drifting and 20 steady lines while worker nodes are killed and
    restarted every ~2 s and the coordinator is killed once at a random
    moment: each drifting line ends with one new version, steady lines with
    none, and nothing is stuck."""

    def nemesis_run(self, seed):
        rnd = random.Random(seed)
        common = ("--retrain.job.simulated-duration=300ms", "--retrain.job.retry-delay=100ms",
                  "--retrain.job.max-attempts=5")
        coord = self.start_coordinator(*common)
        mon = self.start_monitor(*EAGER)
        workers = [self.start_worker("--retrain.workers=2", *common, name=f"w{i}")
                   for i in range(2)]
        self.wait_enlisted(coord, 4)
        self.wait_linked(mon)
        path = os.path.join(self.tmp, "nemesis.csv")
        drifting = lines_csv(path, 100, value=0.5, events=6, project="drift")
        steady_path = os.path.join(self.tmp, "steady.csv")
        steady = lines_csv(steady_path, 20, value=0.99, events=6, project="steady")
        state = {"coord": coord}
        stop = threading.Event()

        def nemesis():
            coord_kill_at = time.monotonic() + rnd.uniform(0.5, 6.0)
            next_worker_kill = time.monotonic() + rnd.uniform(1.5, 2.5)
            coord_killed = False
            end = time.monotonic() + 12
            while not stop.is_set() and time.monotonic() < end:
                now = time.monotonic()
                if not coord_killed and now >= coord_kill_at:
                    state["coord"].kill()
                    time.sleep(rnd.uniform(0.0, 1.0))
                    state["coord"] = self.start_coordinator(
                        *common, data_dir=state["coord"].data_dir)
                    coord_killed = True
                if now >= next_worker_kill:
                    i = rnd.randrange(len(workers))
                    workers[i].kill()
                    workers[i] = self.start_worker("--retrain.workers=2", *common,
                                                   name=f"w{i}-{int(now * 1000)}")
                    next_worker_kill = now + rnd.uniform(1.5, 2.5)
                time.sleep(0.05)

        chaos = threading.Thread(target=nemesis)
        chaos.start()
        try:
            self.replay(mon, path)
            self.replay(mon, steady_path)
        finally:
            chaos.join()
            stop.set()
        coord = state["coord"]
        jobs = self.wait_jobs_settled(coord, 100, deadline_s=120)
        self.assert_one_version_per_line(coord, jobs, drifting)
        self.assertEqual(self.all_versions(coord, steady), {line: [] for line in steady})
        self.assertEqual(self.all_versions(coord, drifting),
                         {line: ["1.0.1"] for line in drifting})
        wait_for("monitors released", lambda: not [
            m for m, s in self.status(mon).items() if s["state"] == "job-active"])
        self.assert_nothing_stuck(mon, self.jobs(coord))

    def test_run_1(self):
        self.nemesis_run(1)

    def test_run_2(self):
        self.nemesis_run(2)

    def test_run_3(self):
        self.nemesis_run(3)


class EmptyDataDirTest(FaultTestCase):
    """A coordinator restarted on an empty data dir (its disk lost) never
    hands out a version or job id the cluster has seen."""

    def test_versions_and_job_ids_are_never_reissued(self):
        common = ("--retrain.job.simulated-duration=100ms",)
        coord = self.start_coordinator(*common)
        mon = self.start_monitor()
        self.start_worker(*common)
        self.wait_enlisted(coord, 2)
        self.wait_linked(mon)
        self.replay(mon, self.drifting_csv(model="cv:anomaly_detector:1.2.0"))
        (first,) = self.wait_jobs_settled(coord, 1)
        self.assertEqual(first["version"], "1.2.1", first)
        wait_for("the monitor standing down", lambda: self.status(mon).get(
            "cv:anomaly_detector:1.2.0", {}).get("state") == "standing-down")

        coord.kill()
        coord = self.start_coordinator(*common, data_dir=os.path.join(self.tmp, "empty"))
        # The first node tells the new coordinator what it knows (its
        # subscribe comes before its join to the shard map).
        wait_for("the monitor node back",
                 lambda: re.search(r"monitor node \S+ joined", coord.log_text()))
        self.wait_enlisted(coord, 2)
        # A monitor node that never heard of 1.2.1 drifts on 1.2.0: the
        # coordinator learnt 1.2.1 from the first node and tells the new one,
        # whose monitor of 1.2.0 stands down instead of asking for 1.2.1.
        # The first node goes, so that the new one owns every shard (and the
        # line's monitor is there, not on the node that knows 1.2.1).
        mon.kill()
        wait_for("the first node lost",
                 lambda: re.search(r"monitor node \S+ lost", coord.log_text()))
        fresh = self.start_role("monitor", self.link, name="fresh")
        self.wait_linked(fresh)
        self.replay(fresh, self.drifting_csv(model="cv:anomaly_detector:1.2.0"))
        wait_for("the fresh node's monitor standing down", lambda: self.status(fresh).get(
            "cv:anomaly_detector:1.2.0", {}).get("state") == "standing-down")
        self.assertEqual(self.status(fresh)["cv:anomaly_detector:1.2.0"]["triggers"], 0)
        self.assertEqual(self.jobs(coord), [])
        # The deployed 1.2.1 drifts: the next version is 1.2.2, with a new id.
        self.replay(fresh, self.drifting_csv(model="cv:anomaly_detector:1.2.1"))
        (second,) = self.wait_jobs_settled(coord, 1)
        self.assertEqual(second["version"], "1.2.2", second)
        self.assertNotEqual(second["id"], first["id"])
        self.assertGreater(second["id"], first["id"])


if __name__ == "__main__":
    test_node.main()
