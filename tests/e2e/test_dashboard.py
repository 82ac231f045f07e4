#!/usr/bin/env python3
"""The dashboard in a real browser: starts a node, replays examples/drift.csv
(each row one second after the last, so every value is its own history
point), waits for the retrains, then runs tests/browser/dashboard.test.js
(playwright-core driving Debian's chromium) against the node's HTTP port.
Screenshots go to --artifacts.

    python3 tests/e2e/test_dashboard.py --bin build/nodes --artifacts DIR
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import urllib.request

import test_node
from test_node import DRIFT_CSV, DRIFTING, NodeTestCase, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BROWSER_DIR = os.path.join(ROOT, "tests", "browser")
ARTIFACTS = None
MODEL, KIND, VERSION = DRIFTING["cv:anomaly_detector"]
THRESHOLD = "0.92"


def http_port_of(node):
    m = re.search(r"http listening on [^\s:]+:(\d+)", node.log_text(since_start=True))
    return int(m.group(1)) if m else None


def get_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as res:
        return json.loads(res.read())


class DashboardTest(NodeTestCase):
    def test_drifted_model_in_the_browser(self):
        node = self.start_node("--retrain.threshold.latency_ms=200",
                               "--retrain.job.simulated-duration=200ms")
        port = http_port_of(node)
        self.assertIsNotNone(port, node.log_text())

        # examples/drift.csv with event times: row i at start + i seconds.
        start_ns = time.time_ns() - 600 * 10**9
        with open(DRIFT_CSV) as f:
            rows = [line.strip() for line in f if line.strip()][1:]
        per_kind = {}
        lines = ["model,kind,value,observed_at_ns"]
        for i, row in enumerate(rows):
            model, kind, _ = row.split(",")
            per_kind[(model, kind)] = per_kind.get((model, kind), 0) + 1
            lines.append(f"{row},{start_ns + i * 10**9}")
        path = self.write("drift-timed.csv", "\n".join(lines) + "\n")
        out = self.replay(node, path).stdout
        self.assertIn(f"{len(rows)} accepted, 0 rejected", out)
        jobs = self.wait_jobs_settled(node, len(DRIFTING))
        (job,) = [j for j in jobs if j["model"] == MODEL]
        self.assertEqual(job["version"], VERSION, job)
        samples = re.search(r"samples=(\d+)", job["reason"]).group(1)

        # The history endpoint says the same as the page must.
        doc = get_json(port, f"/v1/models/{MODEL}/history")
        (acc,) = [k for k in doc["kinds"] if k["kind"] == KIND]
        self.assertEqual(len(acc["points"]), per_kind[(MODEL, KIND)], acc)
        self.assertEqual([t["samples"] for t in doc["triggers"]], [int(samples)], doc["triggers"])
        self.assertEqual([v["version"] for v in doc["versions"]], [VERSION], doc)

        node_bin = shutil.which("node")
        self.assertIsNotNone(node_bin, "node is not installed (scripts/setup installs it)")
        self.assertTrue(os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")),
                        "tests/browser/node_modules is missing: run scripts/setup (npm ci)")
        cmd = [node_bin, os.path.join(BROWSER_DIR, "dashboard.test.js"),
               "--url", f"http://127.0.0.1:{port}", "--model", MODEL, "--kind", KIND,
               "--points", str(per_kind[(MODEL, KIND)]), "--threshold", THRESHOLD,
               "--version", VERSION, "--samples", samples, "--artifacts", ARTIFACTS]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                             stdin=subprocess.DEVNULL)
        sys.stdout.write(res.stdout)
        sys.stderr.write(res.stderr)
        print(f"screenshots in {ARTIFACTS}")
        self.assertEqual(res.returncode, 0, f"browser checks failed:\n{res.stdout}\n{res.stderr}")

        # A dashboard left open holds an event stream: the node still stops
        # at SIGTERM, and ends the stream.
        held = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        held.request("GET", f"/v1/events/stream?model={MODEL}")
        stream = held.getresponse()
        self.assertEqual(stream.status, 200)
        self.assertEqual(stream.getheader("Content-Type"), "text/event-stream")
        self.assertEqual(stream.readline(), b"event: history\n")
        # (stop() kills the node if SIGTERM did not end it in 30 s: then
        # the code is not 0.)
        self.assertEqual(node.stop(), 0, "the node must stop cleanly with a stream held")
        rest = stream.read()  # ends: the node closed the stream
        self.assertIsInstance(rest, bytes)
        held.close()


class HistoryApiTest(NodeTestCase):
    """The history endpoint's refusals, its `points` parameter, the event
    streams' cap, and the dashboard's files."""

    def get(self, port, path):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", path)
        res = c.getresponse()
        body = res.read()
        c.close()
        return res.status, res.getheader("Content-Type"), body

    def test_errors_points_streams_and_files(self):
        # 4 connections: at most one event stream.
        node = self.start_node("--retrain.http-max-connections=4",
                               "--retrain.history.points=5")
        port = http_port_of(node)
        model = "cv:anomaly_detector:1.2.0"
        lines = ["model,kind,value,observed_at_ns"]
        lines += [f"{model},accuracy,0.95,{(i + 1) * 10**9}" for i in range(8)]
        # Two more models, with 3 and 1 events: sorted by events and
        # filtered by a substring, the fleet page is paged after both.
        lines += [f"fraud:scorer:2.0.0,accuracy,0.95,{(i + 1) * 10**9}" for i in range(3)]
        lines += ["fraud:ranker:1.0.0,accuracy,0.95,1000000000"]
        self.replay(node, self.write("few.csv", "\n".join(lines) + "\n"))
        status, _, body = self.get(port, "/v1/models?sort=-events&limit=2&offset=1")
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        self.assertEqual(doc["total"], 3)
        self.assertEqual([(m["model"], m["events"]) for m in doc["models"]],
                         [("fraud:scorer:2.0.0", 3), ("fraud:ranker:1.0.0", 1)])
        self.assertEqual(sum(doc["states"].values()), 3)
        status, _, body = self.get(port, "/v1/models?contains=fraud&sort=-events&limit=1")
        doc = json.loads(body)
        self.assertEqual((doc["total"], [m["model"] for m in doc["models"]]),
                         (2, ["fraud:scorer:2.0.0"]))
        status, _, body = self.get(port, f"/v1/models/{model}/history")
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        (acc,) = doc["kinds"]
        # The bound: the newest 5 of 8 one-second points.
        self.assertEqual([p["t"] for p in acc["points"]], [4000, 5000, 6000, 7000, 8000])
        self.assertEqual(doc["capacity"], 5)
        status, _, body = self.get(port, f"/v1/models/{model}/history?points=2")
        self.assertEqual([p["t"] for p in json.loads(body)["kinds"][0]["points"]], [7000, 8000])
        for path, code, want in [
                ("/v1/models/cv:nope:1.0.0/history", 404, "unknown_model"),
                ("/v1/models/not-an-id/history", 400, "invalid_model_id"),
                (f"/v1/models/{model}/history?points=0", 400, "invalid_parameter"),
                ("/v1/events/stream?interval_ms=5", 400, "invalid_parameter"),
                ("/v1/jobs/12/log", 404, "no_log"),
                ("/v1/jobs/x/log", 400, "invalid_parameter"),
                ("/v1/models?sort=size", 400, "invalid_parameter"),
                ("/assets/nope.js", 404, "not_found"),
                ("/nope", 404, "not_found")]:
            status, _, body = self.get(port, path)
            self.assertEqual((status, json.loads(body)["code"]), (code, want), path)
        # The dashboard comes from the binary, Chart.js with it.
        status, ctype, body = self.get(port, "/")
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/html"), ctype)
        self.assertIn(b'src="/assets/app.js"', body)
        status, ctype, body = self.get(port, "/assets/chart.js")
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/javascript"), ctype)
        self.assertIn(b"Chart.js v3", body[:200])
        # One stream is held; the next is refused while it lasts.
        held = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        held.request("GET", "/v1/events/stream")
        stream = held.getresponse()
        self.assertEqual(stream.status, 200)
        self.assertEqual(stream.readline(), b"event: fleet\n")
        status, _, body = self.get(port, "/v1/events/stream")
        self.assertEqual((status, json.loads(body)["code"]), (503, "saturated"), body)
        # Plain requests still get through beside it.
        self.assertEqual(self.get(port, "/healthz")[0], 200)
        held.close()
        self.assertEqual(node.stop(), 0)


def main():
    global ARTIFACTS
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--artifacts", required=True,
                        help="directory for the screenshots")
    args, rest = parser.parse_known_args()
    ARTIFACTS = os.path.abspath(args.artifacts)
    sys.argv = [sys.argv[0]] + rest
    test_node.main()


if __name__ == "__main__":
    main()
