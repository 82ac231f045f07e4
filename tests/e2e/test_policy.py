#!/usr/bin/env python3
"""End-to-end tests of policies per model line: real nodes, real retrain-ctl,
policies changed while the cluster runs.

    python3 tests/e2e/test_policy.py --bin build/nodes [TestClass ...]
"""

import json
import os
import re
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402
from test_node import ctl, wait_for  # noqa: E402
from test_cluster import ClusterTestCase  # noqa: E402

FRAUD = "fraud:scorer:1.0.0"
CV = "cv:anomaly_detector:1.2.0"
NLP = "nlp:intent:2.0.0"


def http_port(node):
    m = re.search(r"http listening on [^\s:]+:(\d+)", node.log_text(since_start=True))
    return int(m.group(1)) if m else None


def http(node, method, path, body=None):
    """(status, parsed JSON body) of one request to the node's HTTP API."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{http_port(node)}{path}",
                                 data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class PolicyTestCase(ClusterTestCase):
    def csv(self, name, rows):
        return self.write(name, "model,kind,value\n"
                          + "".join(f"{m},{k},{v}\n" for m, k, v in rows))

    def set_policy(self, node, pattern, *args):
        return self.ctl_json(node.coordinator, "policy", "set", pattern, *args)

    def model(self, node, model):
        return self.status(node).get(model)

    def kind(self, status, kind):
        for k in status["kinds"]:
            if k["kind"] == kind:
                return k
        return None

    def wait_policy(self, node, model, pattern, version):
        """Waits until `model` runs policy `pattern` vN on `node`."""
        def probe():
            m = self.model(node, model)
            return m and m["policy"] == {"pattern": pattern, "version": version}
        wait_for(f"{model} under {pattern} v{version}", probe)

    def triggers_of(self, node, model):
        return self.model(node, model)["triggers"]


class TwoLinesTest(PolicyTestCase):
    """Two lines on one node, each under its own policy: one value stream
    drifts the one and not the other."""

    def test_each_line_follows_its_policy(self):
        node = self.start_node("--retrain.job.simulated-duration=100ms")
        # The node would retrain both at 0.7 (accuracy threshold 0.92).
        fraud = self.set_policy(node, "fraud:*", "--kind", "accuracy",
                                "--threshold", "0.6", "--by", "alice",
                                "--reason", "false alarms at 0.92")
        self.assertEqual((fraud["pattern"], fraud["version"]), ("fraud:*", 1))
        cv = self.write("cv.ini", "[retrain.strategy]\n"
                        'accuracy = "page_hinkley min_instances=5 threshold=1 mode=down"\n')
        self.set_policy(node, "cv:anomaly_detector", "--file", cv)
        rows = []
        for model in (FRAUD, CV):
            rows += [(model, "accuracy", 0.95)] * 30 + [(model, "accuracy", 0.7)] * 30
        self.replay(node, self.csv("both.csv", rows))
        models = self.wait_events_applied(node, {FRAUD: 60, CV: 60})
        self.assertEqual(models[FRAUD]["policy"], {"pattern": "fraud:*", "version": 1})
        self.assertEqual(models[CV]["policy"],
                         {"pattern": "cv:anomaly_detector", "version": 1})
        self.assertEqual(self.kind(models[FRAUD], "accuracy")["strategy"], "ewma_threshold")
        self.assertEqual(self.kind(models[FRAUD], "accuracy")["threshold"], 0.6)
        self.assertEqual(self.kind(models[CV], "accuracy")["strategy"], "page_hinkley")
        # Decisions are made as events are applied: all are applied.
        self.assertEqual(models[FRAUD]["triggers"], 0)
        self.assertEqual(models[CV]["triggers"], 1)
        (job,) = self.wait_jobs_settled(node, 1)
        self.assertEqual(job["model"], CV)
        self.assertIn("page_hinkley", job["reason"])
        # The same stream offline, with the stored policies.
        values = self.write("values.txt", "0.95\n" * 30 + "0.7\n" * 30)
        res = self.ctl_ok("backtest", node.coordinator, "--policy", "cv:anomaly_detector",
                          values)
        self.assertEqual(res.stdout, "drift 34 0.7\n")
        res = self.ctl_ok("backtest", node.coordinator, "--policy", "fraud:*", values)
        self.assertEqual(res.stdout, "")
        # Explain says which policy applies and why.
        res = self.ctl_json(node.node, "policy", "explain", FRAUD)
        self.assertEqual((res["pattern"], res["version"]), ("fraud:*", 1))
        self.assertEqual(res["matched"], ["fraud:* v1"])
        sources = {s["key"]: s["source"] for s in res["settings"]}
        self.assertEqual(sources["strategy.accuracy"], "policy fraud:* v1")
        self.assertEqual(sources["monitor.cooldown"], "node config")
        status, body = http(node, "GET", f"/v1/policies/explain?model={CV}")
        self.assertEqual(status, 200, body)
        self.assertEqual((body["pattern"], body["version"]), ("cv:anomaly_detector", 1))
        status, body = http(node, "GET", "/v1/policies")
        self.assertEqual(sorted(p["pattern"] for p in body["policies"]),
                         ["cv:anomaly_detector", "fraud:*"])


class LiveChangeTest(PolicyTestCase):
    """A threshold changed while events flow: the next decisions follow it,
    the node does not restart, and the warm-up of other kinds and models
    stays."""

    def test_threshold_changed_while_running(self):
        node = self.start_node("--retrain.threshold.accuracy=0.5",
                               "--retrain.threshold.latency_ms=500",
                               "--retrain.job.simulated-duration=100ms")
        pid = node.proc.pid
        first = [(CV, "accuracy", 0.7)] * 10 + [(CV, "latency_ms", 100)] * 10 \
            + [(NLP, "accuracy", 0.7)] * 10
        self.replay(node, self.csv("first.csv", first))
        models = self.wait_events_applied(node, {CV: 20, NLP: 10})
        self.assertEqual(self.kind(models[CV], "latency_ms")["samples"], 10)
        self.assertEqual(models[CV]["triggers"], 0)
        # Raise the threshold of one line while it runs.
        self.set_policy(node, "cv:anomaly_detector", "--kind", "accuracy",
                        "--threshold", "0.8", "--by", "ops", "--reason", "too lax")
        self.wait_policy(node, CV, "cv:anomaly_detector", 1)
        models = self.status(node)
        # The changed detector starts fresh; the rest keeps its warm-up.
        self.assertIsNone(self.kind(models[CV], "accuracy"))
        self.assertEqual(self.kind(models[CV], "latency_ms")["samples"], 10)
        self.assertEqual(self.kind(models[NLP], "accuracy")["samples"], 10)
        self.assertEqual(models[NLP]["policy"], {"pattern": "*", "version": 0})
        # The same values now drift the changed line only.
        second = [(CV, "accuracy", 0.7)] * 10 + [(NLP, "accuracy", 0.7)] * 10
        self.replay(node, self.csv("second.csv", second))
        models = self.wait_events_applied(node, {CV: 30, NLP: 20})
        self.assertEqual(models[CV]["triggers"], 1)
        self.assertEqual(models[NLP]["triggers"], 0)
        self.assertEqual(self.kind(models[CV], "accuracy")["threshold"], 0.8)
        self.assertEqual(self.kind(models[CV], "latency_ms")["samples"], 10)
        self.assertEqual(self.kind(models[NLP], "accuracy")["samples"], 20)
        (job,) = self.wait_jobs_settled(node, 1)
        self.assertEqual(job["model"], CV)
        # No restart: the same process, ready once.
        self.assertEqual(node.proc.poll(), None)
        self.assertEqual(node.proc.pid, pid)
        self.assertEqual(node.log_text().count("retrain-node ready"), 1)

    def test_gate_change_keeps_the_detector(self):
        node = self.start_node("--retrain.threshold.accuracy=0.8",
                               "--retrain.monitor.min-samples=50")
        self.replay(node, self.csv("warm.csv", [(CV, "accuracy", 0.7)] * 10))
        models = self.wait_events_applied(node, {CV: 10})
        self.assertEqual(models[CV]["triggers"], 0)  # still warming up
        gate = self.write("gate.ini", "[retrain.monitor]\nmin-samples = 5\n"
                          "consecutive-breaches = 1\n")
        self.set_policy(node, "cv:*", "--file", gate)
        self.wait_policy(node, CV, "cv:*", 1)
        # Same detector, state kept: 10 samples, and the next value decides.
        self.assertEqual(self.kind(self.model(node, CV), "accuracy")["samples"], 10)
        self.replay(node, self.csv("one.csv", [(CV, "accuracy", 0.7)]))
        models = self.wait_events_applied(node, {CV: 11})
        self.assertEqual(models[CV]["triggers"], 1)


class DisconnectedTest(PolicyTestCase):
    """A change made while a monitor node is cut off reaches it once it is
    back."""

    def test_change_reaches_a_node_that_was_away(self):
        coord = self.start_coordinator("--middleman.heartbeat-interval=500ms",
                                       "--middleman.connection-timeout=2s")
        mon = self.start_monitor("--retrain.threshold.accuracy=0.5",
                                 "--middleman.heartbeat-interval=500ms",
                                 "--middleman.connection-timeout=2s")
        self.wait_linked(mon)
        self.replay(mon, self.csv("first.csv", [(CV, "accuracy", 0.7)] * 10))
        self.wait_events_applied(mon, {CV: 10})

        def monitor_nodes():
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{http_port(coord)}/metrics", timeout=30) as res:
                text = res.read().decode()
            m = re.search(r"^retrain_monitor_nodes (\d+)", text, re.M)
            return int(m.group(1)) if m else None

        wait_for("the monitor node subscribed", lambda: monitor_nodes() == 1)
        mon.pause()
        try:
            # The coordinator declares the silent node lost.
            wait_for("the monitor node lost", lambda: monitor_nodes() == 0)
            self.set_policy(coord, "cv:*", "--kind", "accuracy", "--threshold", "0.8",
                            "--by", "ops", "--reason", "while the node is away")
        finally:
            mon.resume()
        # Back: it reconnects, gets the set and switches.
        wait_for("the monitor node back", lambda: monitor_nodes() == 1)
        self.wait_policy(mon, CV, "cv:*", 1)
        self.replay(mon, self.csv("second.csv", [(CV, "accuracy", 0.7)] * 10))
        models = self.wait_events_applied(mon, {CV: 20})
        self.assertEqual(models[CV]["triggers"], 1)

    def test_policies_stored_before_the_node_starts(self):
        coord = self.start_coordinator()
        self.set_policy(coord, "cv:*", "--kind", "accuracy", "--threshold", "0.8")
        # The coordinator restarts on its database: the policy is still there.
        coord.stop()
        coord = self.start_coordinator()
        mon = self.start_monitor("--retrain.threshold.accuracy=0.5")
        self.wait_linked(mon)
        # The node has the set before the first event comes.
        wait_for("the policy on the monitor node",
                 lambda: self.ctl_json(mon.node, "policy", "explain", CV)["pattern"]
                 == "cv:*")
        self.replay(mon, self.csv("drop.csv", [(CV, "accuracy", 0.7)] * 10))
        self.wait_policy(mon, CV, "cv:*", 1)
        models = self.wait_events_applied(mon, {CV: 10})
        self.assertEqual(models[CV]["triggers"], 1)


class HistoryTest(PolicyTestCase):
    """Every change is a version with who, when and why; a refused policy
    changes nothing."""

    def test_history_and_refusals(self):
        node = self.start_node()
        self.set_policy(node, "fraud:*", "--kind", "accuracy", "--threshold", "0.9",
                        "--by", "alice", "--reason", "first")
        self.set_policy(node, "fraud:*", "--kind", "f1_score", "--strategy",
                        "adwin delta=0.01", "--by", "bob", "--reason", "second")
        before = self.ctl_json(node.coordinator, "policy", "list")
        # Refused whole, with the key named, by retrain-ctl and over HTTP.
        bad = self.write("bad.ini", "[retrain.threshold]\naccuracy = 0.9\n"
                         "[retrain.monitor]\ncooldwn = 5s\n")
        for args, key in [(("--file", bad), "retrain.monitor.cooldwn"),
                          (("--kind", "accuracy", "--threshold", "1.5"),
                           "retrain.threshold.accuracy"),
                          (("--kind", "latency_ms", "--strategy", "adwin delta=7"),
                           "retrain.strategy.latency_ms")]:
            res = ctl(node.coordinator, "policy", "set", "fraud:*", *args)
            self.assertEqual(res.returncode, 2, res)
            self.assertIn(key, res.stderr)
        status, body = http(node, "PUT", "/v1/policies/fraud:*",
                            {"policy": "[retrain.job]\nmax-attempts = 0\n", "by": "eve"})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["code"], "invalid_config")
        self.assertIn("retrain.job.max-attempts", body["message"])
        res = ctl(node.coordinator, "policy", "set", "fraud:**", "--kind", "accuracy",
                  "--threshold", "0.9")
        self.assertEqual(res.returncode, 2, res)
        self.assertEqual(self.ctl_json(node.coordinator, "policy", "list"), before)
        # Over HTTP, a removal and another version.
        status, body = http(node, "DELETE", "/v1/policies/fraud:*?by=carol&reason=third")
        self.assertEqual(status, 200, body)
        self.assertTrue(body["removed"])
        status, body = http(node, "GET", "/v1/policies/fraud:*")
        self.assertEqual((status, body["code"]), (404, "no_such_policy"))
        status, body = http(node, "PUT", "/v1/policies/fraud:*",
                            {"policy": "[retrain.monitor]\ncooldown = 10min\n",
                             "by": "dave", "reason": "fourth"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["version"], 4)
        history = self.ctl_json(node.coordinator, "policy", "history", "fraud:*")
        self.assertEqual([(h["version"], h["by"], h["reason"], h["removed"])
                          for h in history],
                         [(1, "alice", "first", False), (2, "bob", "second", False),
                          (3, "carol", "third", True), (4, "dave", "fourth", False)])
        self.assertEqual(history[0]["policy"], "[retrain.threshold]\naccuracy = 0.9\n")
        self.assertEqual(history[1]["policy"],
                         '[retrain.strategy]\nf1_score = "adwin delta=0.01"\n')
        self.assertTrue(all(h["created"] for h in history))
        status, body = http(node, "GET", "/v1/policies/fraud:*/history")
        self.assertEqual(status, 200)
        self.assertEqual([v["version"] for v in body["versions"]], [1, 2, 3, 4])
        res = self.ctl_ok(node.coordinator, "policy", "history", "fraud:*")
        for who in ("alice", "bob", "carol", "dave"):
            self.assertIn(f"by {who}", res.stdout)
        got = self.ctl_json(node.coordinator, "policy", "get", "fraud:*")
        self.assertEqual(got["policy"], "[retrain.monitor]\ncooldown = 10min\n")
        # The history survives a restart of the coordinator.
        node.stop()
        node = self.start_node(data_dir=node.data_dir)
        again = self.ctl_json(node.coordinator, "policy", "history", "fraud:*")
        self.assertEqual(again, history)


if __name__ == "__main__":
    test_node.main()
