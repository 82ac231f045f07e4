#!/usr/bin/env python3
"""/metrics of real nodes: what it counts, that `promtool check metrics`
accepts it, and that a real Prometheus scrapes it.

Run: test_metrics.py --bin BUILD/nodes [TestClass]
"""

import os
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402
from test_node import (DEADLINE_S, DRIFT_CSV, DRIFTING, DRIFT_EVENTS,  # noqa: E402
                       NodeTestCase, wait_for)

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$")


def http_port(node):
    """The HTTP port the node logged."""
    m = re.search(r"http listening on [^\s:]+:(\d+)", node.log_text(since_start=True))
    if not m:
        raise AssertionError("the node logged no HTTP port:\n" + node.log_text())
    return int(m.group(1))


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as res:
        return res.status, res.headers, res.read().decode()


def parse(text):
    """{(name, frozenset(labels)): value} of a Prometheus text exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError(f"not a sample line: {line!r}")
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def total(samples, name, **labels):
    """Sum over every sample of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MetricsTestCase(NodeTestCase):
    def start_http_node(self, *args):
        node = self.start_node("--retrain.http-port=0",
                               "--retrain.threshold.latency_ms=200",
                               "--retrain.job.simulated-duration=100ms", *args)
        node.http = f"http://127.0.0.1:{http_port(node)}"
        return node

    def scrape(self, node):
        status, headers, text = get(node.http + "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"),
                        headers["Content-Type"])
        return text

    def drive(self, node):
        """examples/drift.csv (three drifting lines) plus refused events."""
        self.replay(node, DRIFT_CSV)
        bad = [{"model": "cv:anomaly_detector:1.2.0", "kind": "accuracy", "value": 1.5},
               {"model": "cv:other:1.0.0", "kind": "accuracy", "value": -0.1},
               {"model": "not a model id", "kind": "accuracy", "value": 0.5}]
        req = urllib.request.Request(node.http + "/v1/events",
                                     data=json.dumps(bad).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as res:
            answer = json.loads(res.read())
        self.assertEqual((answer["accepted"], answer["rejected"]), (0, 3), answer)
        self.wait_jobs_settled(node, len(DRIFTING))


class CountsTest(MetricsTestCase):
    """The counters agree with what was sent and what the cluster did."""

    def test_counts_and_promtool(self):
        node = self.start_http_node()
        self.drive(node)
        sent = sum(DRIFT_EVENTS.values())
        # Counters settle once every event is applied and the jobs ended.
        def settled():
            s = parse(self.scrape(node))
            done = total(s, "retrain_jobs_ended_total") == len(DRIFTING)
            return s if done and value(s, "retrain_events_applied_total") == sent else None
        s = wait_for("settled metrics", settled)
        self.assertEqual(total(s, "retrain_events_total", result="accepted"), sent)
        self.assertEqual(value(s, "retrain_events_total", result="accepted",
                               kind="accuracy"),
                         sum(1 for line in open(DRIFT_CSV) if ",accuracy," in line))
        self.assertEqual(value(s, "retrain_events_total", result="rejected",
                               reason="invalid_value"), 2)
        self.assertEqual(value(s, "retrain_events_total", result="rejected",
                               reason="invalid_model_id"), 1)
        self.assertEqual(value(s, "retrain_monitors", state="active"), len(DRIFT_EVENTS))
        self.assertEqual(value(s, "retrain_monitors", state="quarantined"), 0)
        self.assertEqual(value(s, "retrain_triggers_total"), len(DRIFTING))
        self.assertEqual(value(s, "retrain_jobs_ended_total", state="succeeded"),
                         len(DRIFTING))
        self.assertEqual(value(s, "retrain_jobs", state="queued"), 0)
        self.assertEqual(value(s, "retrain_job_attempts_total"), len(DRIFTING))
        self.assertEqual(value(s, "retrain_job_duration_seconds_count"), len(DRIFTING))
        self.assertEqual(value(s, "retrain_job_duration_seconds_bucket", le="+Inf"),
                         len(DRIFTING))
        self.assertEqual(value(s, "retrain_workers", state="idle"), 2)
        self.assertEqual(value(s, "retrain_storage_degraded"), 0)
        self.assertEqual(value(s, "retrain_scrape_complete"), 1)
        build = [ls for (n, ls) in s if n == "retrain_build_info"]
        self.assertEqual(len(build), 1)
        self.assertRegex(dict(build[0])["version"], r"^\d+\.\d+\.\d+")
        # No per-model series unless asked for.
        self.assertFalse(any(n.startswith("retrain_model_") for (n, _) in s))
        # Prometheus' own linter takes the exposition as it is.
        text = self.scrape(node)
        res = subprocess.run(["promtool", "check", "metrics"], input=text,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 0, f"promtool: {res.stdout}{res.stderr}\n{text}")

    def test_per_model_gauges(self):
        node = self.start_http_node("--retrain.metrics.per-model=true")
        self.replay(node, DRIFT_CSV)
        self.wait_events_applied(node, DRIFT_EVENTS)
        s = parse(self.scrape(node))
        for model, events in DRIFT_EVENTS.items():
            self.assertEqual(value(s, "retrain_model_events_total", model=model), events)
        model, kind, _ = DRIFTING["cv:anomaly_detector"]
        stat = value(s, "retrain_model_statistic", model=model, kind=kind)
        self.assertIsNotNone(stat)
        self.assertLess(stat, value(s, "retrain_model_threshold", model=model, kind=kind))


class PrometheusScrapeTest(MetricsTestCase):
    """A real Prometheus, started on a free port, scrapes a node."""

    def test_prometheus_scrapes_the_node(self):
        if not shutil.which("prometheus"):
            self.fail("prometheus is not installed (scripts/setup installs it)")
        node = self.start_http_node()
        self.replay(node, DRIFT_CSV)
        self.wait_events_applied(node, DRIFT_EVENTS)
        target = node.http[len("http://"):]
        config = self.write("prometheus.yml",
                            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                            "scrape_configs:\n  - job_name: retrain\n"
                            f"    static_configs:\n      - targets: ['{target}']\n")
        port = free_port()
        log = open(os.path.join(self.tmp, "prometheus.log"), "wb")
        prom = subprocess.Popen(
            ["prometheus", f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(self.tmp, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            api = f"http://127.0.0.1:{port}/api/v1/query?query="

            def query(expr):
                try:
                    _, _, body = get(api + urllib.parse.quote(expr), timeout=5)
                except OSError:
                    return None
                result = json.loads(body)["data"]["result"]
                return float(result[0]["value"][1]) if result else None

            self.assertEqual(wait_for("up == 1", lambda: query('up{job="retrain"}') == 1,
                                      deadline_s=60), True)
            sent = sum(DRIFT_EVENTS.values())
            got = wait_for("the accepted-events counter",
                           lambda: query('sum(retrain_events_total{result="accepted"})'),
                           deadline_s=60)
            self.assertEqual(got, sent)
        finally:
            prom.terminate()
            try:
                prom.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()
            log.close()


if __name__ == "__main__":
    test_node.main()
