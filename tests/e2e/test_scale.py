#!/usr/bin/env python3
"""A node's model count kept in bounds: the cap on models refuses new ids,
`retrain-ctl forget` drops models at once, idle monitors are passivated and
come back with their counts; `status` summarises by state and pages rows.

Run: test_scale.py --bin BUILD/nodes [TestClass]
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402
from test_node import ctl, wait_for  # noqa: E402
from test_metrics import MetricsTestCase, get, http_port, parse, value  # noqa: E402


class ScaleTestCase(MetricsTestCase):
    def send(self, node, model, val="0.95"):
        return ctl(node.node, "send", model, "accuracy", val, "--json")

    def metrics(self, node):
        return parse(self.scrape(node))


class CapTest(ScaleTestCase):
    """Past `max-models`, events of new ids are refused with the key and the
    limit; `forget` makes room again."""

    def test_cap_refuses_new_models_and_forget_makes_room(self):
        node = self.start_http_node("--retrain.monitor.max-models=3")
        for i in range(3):
            res = self.send(node, f"cv:m{i}:1.0.0")
            self.assertEqual(res.returncode, 0, res)
        res = self.send(node, "cv:m3:1.0.0")
        self.assertEqual(res.returncode, 1, res)
        self.assertIn("retrain.monitor.max-models", res.stdout)
        self.assertIn("3 models already", res.stdout)
        # Known models still get in.
        self.assertEqual(self.send(node, "cv:m0:1.0.0").returncode, 0)
        models = self.wait_events_applied(
            node, {"cv:m0:1.0.0": 2, "cv:m1:1.0.0": 1, "cv:m2:1.0.0": 1})
        self.assertNotIn("cv:m3:1.0.0", models)
        samples = self.metrics(node)
        self.assertEqual(value(samples, "retrain_events_total",
                               reason="too_many_models", result="rejected"), 1)
        self.assertEqual(value(samples, "retrain_monitors", state="active"), 3)

        # forget: one model, then a line; --json and text.
        self.assertEqual(self.ctl_json(node.node, "forget", "cv:m1:1.0.0"),
                         {"forgotten": 1})
        res = self.ctl_ok(node.node, "forget", "cv:m2")
        self.assertIn("forgot 1 model", res.stdout)
        self.assertEqual(self.ctl_json(node.node, "forget", "cv:nothing"),
                         {"forgotten": 0})
        res = ctl(node.node, "forget", "cv:A")
        self.assertEqual(res.returncode, 2, res)
        self.assertIn("neither a model id", res.stderr)
        self.assertEqual(set(self.status(node)), {"cv:m0:1.0.0"})
        samples = self.metrics(node)
        self.assertEqual(value(samples, "retrain_models_forgotten_total"), 2)
        # Room again: the refused model gets in, a forgotten one starts fresh.
        self.assertEqual(self.send(node, "cv:m3:1.0.0").returncode, 0)
        self.assertEqual(self.send(node, "cv:m1:1.0.0").returncode, 0)
        self.wait_events_applied(
            node, {"cv:m0:1.0.0": 2, "cv:m1:1.0.0": 1, "cv:m3:1.0.0": 1})


class PassivationTest(ScaleTestCase):
    """A monitor idle for `idle-timeout` shows as passivated with its counts
    and its next event brings it back from where it was."""

    def test_idle_monitor_passivated_and_back(self):
        node = self.start_http_node("--retrain.monitor.idle-timeout=200ms",
                                    "--retrain.monitor.snapshot-interval=100ms")
        for val in ("0.95", "0.96", "0.97"):
            self.assertEqual(self.send(node, "cv:a:1.0.0", val).returncode, 0)

        def passivated():
            models = self.status(node)
            m = models.get("cv:a:1.0.0")
            return m if m and m["state"] == "passivated" else None
        m = wait_for("cv:a:1.0.0 passivated", passivated)
        self.assertEqual(m["events"], 3)
        self.assertEqual(m["restarts"], 0)
        samples = self.metrics(node)
        self.assertEqual(value(samples, "retrain_monitors", state="passivated"), 1)
        self.assertEqual(value(samples, "retrain_events_applied_total"), 3)

        self.assertEqual(self.send(node, "cv:a:1.0.0", "0.98").returncode, 0)
        # Back with its counts: 4 events, 4 samples (not 1), no restart.
        def back():
            m = self.status(node).get("cv:a:1.0.0")
            return m if m and m["events"] == 4 and m["kinds"] else None
        m = wait_for("cv:a:1.0.0 back with 4 events", back)
        self.assertEqual(m["kinds"][0]["samples"], 4)
        self.assertEqual(m["restarts"], 0)
        self.assertEqual(m["lost"], 0)


class StatusTest(ScaleTestCase):
    """`status` prints counts by state; rows only as asked, filtered by
    state and line and paged, in model id order; `/v1/models` the same."""

    def test_summary_filters_and_pages(self):
        # A job of the drifting line runs long, so the line stays busy; the
        # idle timeout is long enough for the checks below to see the
        # models sent later still watching on a loaded machine.
        node = self.start_node("--retrain.http-port=0",
                               "--retrain.job.simulated-duration=300s",
                               "--retrain.monitor.idle-timeout=10s",
                               "--retrain.monitor.snapshot-interval=100ms")
        node.http = f"http://127.0.0.1:{http_port(node)}"
        old = [f"cv:old:1.0.{i}" for i in range(5)]
        for m in old:
            self.assertEqual(self.send(node, m).returncode, 0)

        def summary():
            return self.ctl_json(node.node, "status")
        wait_for("5 models passivated",
                 lambda: summary()["states"] == {"passivated": 5})
        watching = [f"cv:a:1.0.{i}" for i in range(10)]
        self.write("a.csv", "".join(f"{m},accuracy,0.95\n" for m in watching))
        self.replay(node, os.path.join(self.tmp, "a.csv"))
        self.replay(node, self.drifting_csv("fraud:x:1.0.0", 10))
        expected = {"job-active": 1, "passivated": 5, "watching": 10}
        s = wait_for("the summary by state",
                     lambda: (lambda x: x if x["states"] == expected else None)(summary()))
        self.assertEqual(s["models"], 16)
        # The flush interval, or longer if the node was behind at the end of
        # the replay (it shrinks back with the next flushes).
        self.assertTrue(0.002 <= s["flush_window_seconds"] <= 0.25, s)
        text = self.ctl_ok(node.node, "status").stdout
        self.assertIn("16 models: 1 job-active, 5 passivated, 10 watching", text)
        self.assertRegex(text, r"flush window: [0-9.]+ ms")
        # No rows unless asked.
        self.assertNotIn("cv:a:1.0.0", text)

        # Rows: by state, by line, paged, in model id order.
        rows = self.ctl_json(node.node, "status", "--state=passivated")
        self.assertEqual([r["model"] for r in rows], old)
        self.assertTrue(all(r["state"] == "passivated" and r["events"] == 1
                            for r in rows), rows)
        rows = self.ctl_json(node.node, "status", "--line=cv:a", "--limit=4",
                             "--offset=2")
        self.assertEqual([r["model"] for r in rows], watching[2:6])
        rows = self.ctl_json(node.node, "status", "--state=job-active")
        self.assertEqual([r["model"] for r in rows], ["fraud:x:1.0.0"])
        self.assertEqual(rows[0]["state"], "job-active")
        text = self.ctl_ok(node.node, "status", "--line=cv:a", "--limit=4").stdout
        self.assertIn("10 models of cv:a: 10 watching", text)
        self.assertIn("rows 1-4 of 10; more with --offset=4", text)
        self.assertIn("cv:a:1.0.3  watching  events=1", text)
        self.assertNotIn("cv:a:1.0.4", text)
        text = self.ctl_ok(node.node, "status", "--state=watching",
                           "--offset=9").stdout
        self.assertIn("rows 10-10 of 10 watching", text)
        self.assertIn("cv:a:1.0.9", text)
        text = self.ctl_ok(node.node, "status", "--state=quarantined").stdout
        self.assertIn("no rows (0 match", text)
        for bad in (["--state=sleeping"], ["--limit=0"], ["--limit=x"],
                    ["--line=CV!"], ["cv:a", "--line=cv:b"], ["--bogus=1"]):
            res = ctl(node.node, "status", *bad)
            self.assertEqual(res.returncode, 2, (bad, res))

        # The same over HTTP, and the flush window in /metrics.
        status, _, doc = get(node.http + "/v1/models?state=passivated&limit=2&offset=1")
        self.assertEqual(status, 200)
        doc = json.loads(doc)
        self.assertEqual((doc["total"], doc["offset"], doc["limit"]), (5, 1, 2))
        self.assertEqual([m["model"] for m in doc["models"]], old[1:3])
        self.assertEqual(doc["states"], expected)
        samples = self.metrics(node)
        self.assertEqual(value(samples, "retrain_monitors", state="passivated"), 5)
        self.assertEqual(value(samples, "retrain_events_applied_total"), 25)
        self.assertTrue(0.002 <= value(samples, "retrain_flush_window_seconds") <= 0.25)


if __name__ == "__main__":
    test_node.main()
