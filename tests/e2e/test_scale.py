#!/usr/bin/env python3
"""A node's model count kept in bounds: the cap on models refuses new ids,
`retrain-ctl forget` drops models at once, idle monitors are passivated and
come back with their counts.

Run: test_scale.py --bin BUILD/nodes [TestClass]
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402
from test_node import ctl, wait_for  # noqa: E402
from test_metrics import MetricsTestCase, get, parse, value  # noqa: E402


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


if __name__ == "__main__":
    test_node.main()
