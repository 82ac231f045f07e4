#!/usr/bin/env python3
"""End-to-end tests of the registry database: `retrain-ctl backup` of a
SQLite registry while its node registers versions, and the restore the
README documents.

    python3 tests/e2e/test_registry.py --bin build/nodes [TestClass ...]
"""

import os
import shutil
import sqlite3
import threading
import time
import unittest

import pg_server
import test_node
from test_node import NodeTestCase, ctl, wait_for


def live_versions(db_path):
    """(line, version) of every version in the live registry, read on a
    read-only connection of the test's own."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return set(conn.execute("SELECT line, version FROM versions"))
    finally:
        conn.close()


class BackupTest(NodeTestCase):
    """A backup taken under load holds every version registered before it
    began; the copy restores into a working node."""

    def drift_lines(self, node, first, count):
        """Replays a drift of `count` new lines, l<first>...; returns once
        ingest accepted them."""
        rows = "".join(f"load:l{i}:1.0.0,accuracy,0.5\n"
                       for i in range(first, first + count) for _ in range(3))
        path = self.write(f"drift-{first}.csv", "model,kind,value\n" + rows)
        res = ctl(node.node, "replay", path)
        self.assertEqual(res.returncode, 0, res)

    def test_backup_under_load_and_restore(self):
        data = os.path.join(self.tmp, "data")
        node = self.start_node("--retrain.workers=4",
                               "--retrain.job.simulated-duration=20ms",
                               "--retrain.monitor.min-samples=1",
                               data_dir=data)
        db = os.path.join(data, "registry.db")
        stop = threading.Event()
        replayed = []

        def load():
            batch = 0
            while not stop.is_set():
                self.drift_lines(node, batch * 20, 20)
                replayed.append(batch)
                batch += 1
                time.sleep(0.05)

        loader = threading.Thread(target=load)
        loader.start()
        try:
            wait_for("30 versions registered", lambda: len(live_versions(db)) >= 30)
            before = live_versions(db)
            backup = os.path.join(self.tmp, "backup.db")
            res = ctl("backup", f"--data-dir={data}", backup)
            # Versions keep being registered while and after it runs.
            wait_for("more versions after the backup",
                     lambda: len(live_versions(db)) > len(before) + 20)
        finally:
            stop.set()
            loader.join()
        self.assertEqual(res.returncode, 0, res)
        self.assertRegex(res.stdout, r"^backed up .*registry\.db to .*backup\.db: "
                                     r"\d+ versions, \d+ jobs\n$")
        copy = sqlite3.connect(backup)
        try:
            self.assertEqual(copy.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            self.assertEqual(copy.execute("PRAGMA journal_mode").fetchone(), ("delete",))
            held = set(copy.execute("SELECT line, version FROM versions"))
            jobs = copy.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        finally:
            copy.close()
        self.assertTrue(before <= held, f"missing from the backup: {sorted(before - held)[:5]}")
        self.assertGreaterEqual(jobs, len(held))
        self.assertIn(f"{len(held)} versions, {jobs} jobs", res.stdout)
        self.assertFalse(os.path.exists(backup + "-wal"))

        # The README's restore: stop the node, put the copy in place of
        # registry.db (without the old -wal and -shm), start it again.
        self.assertEqual(node.stop(), 0)
        restored = os.path.join(self.tmp, "restored")
        os.makedirs(restored)
        shutil.copy(backup, os.path.join(restored, "registry.db"))
        again = self.start_node(data_dir=restored)
        line, version = sorted(before)[0]
        listed = [v["version"] for v in self.versions(again, line)]
        self.assertIn(version, listed)

    def test_backup_refuses_and_explains(self):
        data = os.path.join(self.tmp, "data")
        self.start_node(data_dir=data)
        taken = self.write("taken.db", "something\n")
        res = ctl("backup", f"--data-dir={data}", taken)
        self.assertEqual(res.returncode, 1, res)
        self.assertIn("the file exists", res.stderr)
        with open(taken) as f:
            self.assertEqual(f.read(), "something\n")
        missing = os.path.join(self.tmp, "nowhere")
        res = ctl("backup", f"--data-dir={missing}", os.path.join(self.tmp, "b.db"))
        self.assertEqual(res.returncode, 1, res)
        self.assertIn("no such file", res.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "b.db")))
        res = ctl("backup")
        self.assertEqual(res.returncode, 2, res)
        self.assertIn("backup needs a FILE", res.stderr)


class PgOutageTest(NodeTestCase):
    """A registry on PostgreSQL whose server goes down while the node runs:
    the trigger waits, storage shows degraded, and once the server is back
    the job runs and its one version is registered."""

    def test_server_down_and_back(self):
        try:
            pg = pg_server.PgServer().start()
        except pg_server.PgMissing as e:
            self.fail(str(e))
        self.addCleanup(pg.stop)
        url = pg.create_database("outage")
        node = self.start_node(f"--retrain.registry.url={url}",
                               "--retrain.job.simulated-duration=100ms")
        # The dispatcher names its registry once it started, password left out.
        wait_for("the registry named in the log",
                 lambda: pg_server.redacted(url) in node.log_text())
        self.replay(node, self.drifting_csv("cv:a:1.0.0"))
        wait_for("cv:a 1.0.1", lambda: [v["version"] for v in self.versions(node, "cv:a")]
                 == ["1.0.1"])
        pg.halt()
        self.replay(node, self.drifting_csv("cv:b:2.0.0"))
        wait_for("storage degraded",
                 lambda: "storage: degraded" in ctl(node.coordinator, node.node,
                                                   "status").stdout)
        pg.resume()
        wait_for("cv:b 2.0.1 after the outage",
                 lambda: [v["version"] for v in self.versions(node, "cv:b")] == ["2.0.1"])
        jobs = self.wait_jobs_settled(node, 2)
        self.assertEqual(sorted((j["model"], j["state"], j["version"]) for j in jobs),
                         [("cv:a:1.0.0", "succeeded", "1.0.1"),
                          ("cv:b:2.0.0", "succeeded", "2.0.1")])
        rows = pg.psql("SELECT line, version, job_id FROM versions ORDER BY line",
                       db="outage").split()
        self.assertEqual([r.rsplit("|", 1)[0] for r in rows], ["cv:a|1.0.1", "cv:b|2.0.1"])
        wait_for("storage ok", lambda: "storage: ok" in ctl(node.coordinator, node.node,
                                                          "status").stdout)


if __name__ == "__main__":
    test_node.main()
