#!/usr/bin/env python3
"""End-to-end tests of the HTTP API: real retrain-node processes on loopback,
spoken to over real sockets (http.client and raw sockets).

    python3 tests/e2e/test_http.py --bin build/nodes [TestClass[.test_method] ...]
"""

import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402  (shared helpers: Node, wait_for, ...)
from test_node import (DEADLINE_S, DRIFT_CSV, DRIFT_EVENTS, DRIFTING, ROOT,  # noqa: E402
                       NodeTestCase, free_closed_port, wait_for)
from test_cluster import RoleNode  # noqa: E402

SEND_METRICS = os.path.join(ROOT, "examples", "python", "send_metrics.py")


def http_port_of(node):
    m = re.search(r"http listening on [^\s:]+:(\d+)", node.log_text(since_start=True))
    return int(m.group(1)) if m else None


class Client:
    """One keep-alive connection to a node's HTTP port."""

    def __init__(self, port, timeout=DEADLINE_S):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers, parsed JSON body)."""
        self.conn.request(method, path, body=body, headers=headers or {})
        res = self.conn.getresponse()
        data = res.read()
        if res.getheader("Connection", "").lower() == "close":
            self.conn.close()
        try:
            doc = json.loads(data)
        except ValueError:
            raise AssertionError(f"{method} {path}: answer is no JSON: {data!r}")
        return res.status, res, doc

    def get(self, path):
        return self.request("GET", path)

    def get_text(self, path):
        """Returns (status, headers, body text) of a GET that is no JSON."""
        self.conn.request("GET", path)
        res = self.conn.getresponse()
        data = res.read()
        if res.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return res.status, res, data.decode()

    def post(self, path, body):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        return self.request("POST", path, body=body,
                            headers={"Content-Type": "application/json"})

    def close(self):
        self.conn.close()


def event(model, value, kind="accuracy"):
    return {"model": model, "kind": kind, "value": value}


class HttpTestCase(NodeTestCase):
    """Starts nodes with HTTP on a free port and knows that port."""

    def start_http_node(self, *args, role=None, name=None, data_dir=None):
        args = ("--retrain.http-port=0",) + args
        if role is None:
            node = self.start_node(*args, data_dir=data_dir)
        else:
            name = name or f"{role}-{len(self.nodes)}"
            node = RoleNode(role, data_dir or os.path.join(self.tmp, name),
                            os.path.join(self.tmp, name + ".log"), args)
            self.nodes.append(node)
            node.start()
        node.http_port = http_port_of(node)
        self.assertIsNotNone(node.http_port, node.log_text())
        return node

    def client(self, node):
        c = Client(node.http_port)
        self.addCleanup(c.close)
        return c

    def assert_error(self, answer, status, code):
        got_status, res, doc = answer
        self.assertEqual(got_status, status, doc)
        self.assertEqual(doc.get("code"), code, doc)
        self.assertTrue(doc.get("message"), doc)
        return res, doc


class EventsTest(HttpTestCase):
    """POST /v1/events: valid and invalid events, each refusal named by its
    index in the body, in a JSON array and in NDJSON."""

    def test_array_with_refusals(self):
        node = self.start_http_node()
        c = self.client(node)
        body = [event("cv:a:1.0.0", 0.95),
                event("not a model id", 0.9),
                event("cv:a:1.0.0", 1.5),
                {"model": "cv:a:1.0.0", "kind": "speed", "value": 1},
                {"model": "cv:a:1.0.0", "kind": "accuracy"},
                "text",
                {"model": "cv:a:1.0.0", "kind": "accuracy", "value": "NaN"},
                event("cv:b:2.0.0", 40, kind="latency_ms")]
        status, _, doc = c.post("/v1/events", body)
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["accepted"], 2, doc)
        self.assertEqual(doc["rejected"], 6, doc)
        got = [(r["index"], r["code"]) for r in doc["rejects"]]
        self.assertEqual(got, [(1, "invalid_model_id"), (2, "invalid_value"),
                               (3, "invalid_metric_kind"), (4, "invalid_event"),
                               (5, "invalid_event"), (6, "invalid_value")])
        for r in doc["rejects"]:
            self.assertTrue(r["reason"], r)
        # What was accepted is applied.
        wait_for("2 models", lambda: self.client(node).get("/v1/models")[2]["total"] == 2)

    def test_ndjson_with_blank_lines(self):
        node = self.start_http_node()
        c = self.client(node)
        lines = [json.dumps(event("cv:a:1.0.0", 0.95)), "",
                 "{broken", json.dumps(event("cv:a:1.0.0", -1)), "  ",
                 json.dumps(event("cv:a:1.0.0", 0.97))]
        status, _, doc = c.post("/v1/events", "\n".join(lines) + "\n")
        self.assertEqual(status, 200, doc)
        self.assertEqual((doc["accepted"], doc["rejected"]), (2, 2), doc)
        self.assertEqual([(r["index"], r["code"]) for r in doc["rejects"]],
                         [(1, "invalid_event"), (2, "invalid_value")])

    def test_malformed_bodies(self):
        node = self.start_http_node()
        c = self.client(node)
        for body in ["", "model,kind,value\ncv:a:1.0.0,accuracy,0.9\n",
                     '[{"model": "cv:a:1.0.0", "kind": "accuracy", "value": 0.9}',
                     b"[\"\xff\xfe\"]"]:
            self.assert_error(c.post("/v1/events", body), 400, "malformed")
        self.assertEqual(c.get("/v1/models")[2]["total"], 0)
        # Wrong method, unknown path.
        self.assert_error(c.request("DELETE", "/v1/events"), 405, "method_not_allowed")
        self.assert_error(c.get("/v2/nothing"), 404, "not_found")
        self.assertEqual(c.get("/healthz")[0], 200)

    def test_unconfirmed_batch_is_no_refusal(self):
        # Ingest cannot confirm a large batch within 1 ms: the answer says
        # the outcome is unknown (it may have been applied), never 503
        # "send again", which could apply it twice.
        node = self.start_http_node("--retrain.request-timeout=1ms")
        c = self.client(node)
        batch = [event(f"cv:m{i % 100}:1.0.0", 0.95) for i in range(20000)]
        seen = set()
        for _ in range(20):
            status, _, doc = c.post("/v1/events", batch)
            seen.add(status)
            if status != 200:
                self.assertEqual((status, doc["code"]), (504, "outcome_unknown"), doc)
                self.assertIn("may or may not have been applied", doc["message"])
            if 504 in seen:
                break
        self.assertIn(504, seen)


class IdempotencyTest(HttpTestCase):
    """POST /v1/events with an Idempotency-Key is applied once: a repeat
    gets the first answer, also when the first answer never came."""

    def events_applied(self, c):
        return sum(m["events"] for m in c.get("/v1/models?limit=10000")[2]["models"])

    def post_keyed(self, c, body, key):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        return c.request("POST", "/v1/events", body=body,
                         headers={"Content-Type": "application/json",
                                  "Idempotency-Key": key})

    def test_repeat_is_answered_not_applied(self):
        node = self.start_http_node()
        c = self.client(node)
        batch = [event("cv:k:1.0.0", 0.95), event("cv:k:1.0.0", 2.0),
                 event("cv:j:1.0.0", 0.9)]
        first = self.post_keyed(c, batch, "batch-1")
        self.assertEqual(first[0], 200, first[2])
        self.assertEqual((first[2]["accepted"], first[2]["rejected"]), (2, 1))
        again = self.post_keyed(c, batch, "batch-1")
        self.assertEqual((again[0], again[2]), (200, first[2]))
        self.assertEqual(self.events_applied(c), 2)
        # The same key with another batch is the sender's mistake.
        self.assert_error(self.post_keyed(c, batch[:1], "batch-1"), 422,
                          "idempotency_conflict")
        for bad in ["with space", "k" * 129]:
            self.assert_error(self.post_keyed(c, batch, bad), 400,
                              "invalid_idempotency_key")
        # Without a key, or with another, a batch is applied again.
        self.assertEqual(c.post("/v1/events", batch)[0], 200)
        self.assertEqual(self.post_keyed(c, batch, "batch-2")[0], 200)
        self.assertEqual(self.events_applied(c), 6)

    def test_unconfirmed_batch_sent_again_is_applied_at_most_once(self):
        # Ingest cannot confirm a large batch within 2 ms: the client sends
        # each batch again with its key, 20 times at most. A repeat gets the
        # first attempt's answer once there is one (a 200, or, when the node
        # itself got no confirmation in time, outcome_unknown again): no
        # batch is applied twice, as plain repeats would.
        node = self.start_http_node("--retrain.request-timeout=2ms")
        c = self.client(node)
        batches, size = 5, 20000
        confirmed = 0
        repeats = 0
        for b in range(batches):
            batch = [event(f"cv:m{i % 100}:1.0.0", 0.95) for i in range(size)]
            for _ in range(20):
                status, _, doc = self.post_keyed(c, batch, f"big-{b}")
                if status == 200:
                    confirmed += doc["accepted"]
                    break
                self.assertEqual((status, doc["code"]), (504, "outcome_unknown"), doc)
                self.assertIn("same Idempotency-Key it is applied at most once",
                              doc["message"])
                repeats += 1
                time.sleep(0.05)
        self.assertGreater(repeats, 0, "no answer was ever late")
        # Applied: every confirmed event, and of the others at most one
        # batch each.
        last = [-1]

        def settled():
            now = self.events_applied(c)
            done = now == last[0]
            last[0] = now
            return done
        wait_for("the node done applying", settled, interval_s=0.5)
        self.assertGreaterEqual(last[0], confirmed)
        self.assertLessEqual(last[0], batches * size)


class BodyLimitTest(HttpTestCase):
    """A body over retrain.http-max-body gets 413 and the node goes on."""

    def test_too_large(self):
        node = self.start_http_node("--retrain.http-max-body=2048")
        big = json.dumps([event("cv:a:1.0.0", 0.9)] * 100)
        self.assertGreater(len(big), 2048)
        c = self.client(node)
        res, _ = self.assert_error(c.post("/v1/events", big), 413, "too_large")
        self.assertEqual(res.getheader("Connection"), "close")
        # Chunked: read up to the limit, then refused.
        c2 = self.client(node)

        def chunks():
            for i in range(0, len(big), 500):
                yield big[i:i + 500].encode()
        c2.conn.request("POST", "/v1/events", body=chunks(),
                        headers={"Content-Type": "application/json"},
                        encode_chunked=True)
        res = c2.conn.getresponse()
        doc = json.loads(res.read())
        self.assertEqual((res.status, doc["code"]), (413, "too_large"), doc)
        # Nothing of either was taken, and the node serves on.
        c3 = self.client(node)
        status, _, doc = c3.post("/v1/events", [event("cv:a:1.0.0", 0.9)] * 10)
        self.assertEqual((status, doc["accepted"]), (200, 10), doc)
        wait_for("10 events applied",
                 lambda: c3.get("/v1/models/cv:a:1.0.0")[2].get("events") == 10)


class SlowClientTest(HttpTestCase):
    """A client that sends its body one byte a second is cut off, and the
    node serves others meanwhile."""

    def test_one_byte_a_second(self):
        node = self.start_http_node("--retrain.http-read-timeout=2s")
        s = socket.create_connection(("127.0.0.1", node.http_port))
        self.addCleanup(s.close)
        s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: test\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n")
        s.settimeout(1.0)
        answer = b""
        closed = False
        sent = 0
        while sent < 60:
            try:
                s.sendall(b" ")
                sent += 1
            except OSError:
                closed = True
                break
            try:
                data = s.recv(4096)
                if not data:
                    closed = True
                    break
                answer += data
            except socket.timeout:
                pass
            # Others are served meanwhile.
            if sent == 1:
                self.assertEqual(self.client(node).get("/healthz")[0], 200)
        self.assertTrue(closed, f"not cut off after {sent} bytes; got {answer!r}")
        self.assertLess(sent, 200)
        if answer:
            self.assertIn(b" 408 ", answer.split(b"\r\n")[0])
        self.assertIn("cut off", node.log_text())
        self.assertEqual(self.client(node).get("/healthz")[0], 200)


class ConcurrentClientsTest(HttpTestCase):
    """200 clients, 10 batches each, at once: every event is accounted for
    in the answers and in the node's counts."""

    CLIENTS = 200
    BATCHES = 10
    EVENTS = 20

    def test_every_event_accounted_for(self):
        node = self.start_http_node()
        models = [f"load:m{i}:1.0.0" for i in range(50)]
        totals = {"accepted": 0, "rejected": 0, "sent": 0, "retries": 0}
        accepted_per_model = {}
        lock = threading.Lock()
        errors = []

        def run(k):
            rng = random.Random(k)
            c = Client(node.http_port)
            try:
                for b in range(self.BATCHES):
                    batch = []
                    for i in range(self.EVENTS):
                        # Every tenth event is out of range.
                        value = 2.0 if i % 10 == 9 else rng.uniform(0.93, 1.0)
                        batch.append(event(rng.choice(models), value))
                    while True:
                        try:
                            status, res, doc = c.post("/v1/events", batch)
                        except (OSError, http.client.HTTPException):
                            c.close()
                            c = Client(node.http_port)
                            with lock:
                                totals["retries"] += 1
                            continue
                        if status == 503:
                            with lock:
                                totals["retries"] += 1
                            time.sleep(float(res.getheader("Retry-After", "1"))
                                       * rng.uniform(0.1, 1.0))
                            continue
                        break
                    if status != 200:
                        raise AssertionError(f"{status}: {doc}")
                    refused = {r["index"] for r in doc["rejects"]}
                    with lock:
                        totals["sent"] += len(batch)
                        totals["accepted"] += doc["accepted"]
                        totals["rejected"] += doc["rejected"]
                        for i, ev in enumerate(batch):
                            if i not in refused:
                                accepted_per_model[ev["model"]] = \
                                    accepted_per_model.get(ev["model"], 0) + 1
            except Exception as e:  # noqa: BLE001  (reported below)
                errors.append(repr(e))
            finally:
                c.close()

        threads = [threading.Thread(target=run, args=(k,)) for k in range(self.CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=240)
        self.assertFalse(any(t.is_alive() for t in threads), "clients still running")
        self.assertEqual(errors, [])
        sent = self.CLIENTS * self.BATCHES * self.EVENTS
        self.assertEqual(totals["sent"], sent)
        self.assertEqual(totals["accepted"] + totals["rejected"], sent, totals)
        self.assertEqual(totals["rejected"], sent // 10, totals)
        self.assertEqual(sum(accepted_per_model.values()), totals["accepted"])

        # The node's own counts agree, over HTTP and over retrain-ctl.
        def counts():
            doc = self.client(node).get("/v1/models?limit=10000")[2]
            return {m["model"]: m["events"] for m in doc["models"]}
        wait_for("the node's counts", lambda: counts() == accepted_per_model)
        by_ctl = {m: s["events"] for m, s in self.status(node).items()}
        self.assertEqual(by_ctl, accepted_per_model)
        # And /metrics counts the same events.
        status, _, text = self.client(node).get_text("/metrics")
        self.assertEqual(status, 200)
        samples = {}
        for line in text.splitlines():
            m = re.match(r'^retrain_events_total\{(.*)\} (\S+)$', line)
            if m:
                samples[m.group(1)] = float(m.group(2))
        accepted = sum(v for k, v in samples.items() if 'result="accepted"' in k)
        self.assertEqual(accepted, totals["accepted"], text)
        self.assertEqual(samples.get('reason="invalid_value",result="rejected"'),
                         totals["rejected"], text)


class ApiTest(HttpTestCase):
    """The read endpoints: the same data as retrain-ctl --json."""

    def test_models_jobs_versions(self):
        node = self.start_http_node("--retrain.threshold.latency_ms=200",
                                    "--retrain.job.simulated-duration=100ms")
        self.replay(node, DRIFT_CSV)
        self.wait_events_applied(node, DRIFT_EVENTS)
        self.wait_jobs_settled(node, len(DRIFTING))
        c = self.client(node)

        # /v1/models equals retrain-ctl status --json, sorted by model.
        status, _, doc = c.get("/v1/models")
        self.assertEqual(status, 200)
        ctl_models = self.ctl_json(node.node, "status", "--limit=10000")
        self.assertEqual(doc["total"], len(DRIFT_EVENTS))
        self.assertEqual((doc["offset"], doc["limit"]), (0, 100))
        self.assertEqual(doc["models"], ctl_models)

        # Paging.
        names = [m["model"] for m in ctl_models]
        doc = c.get("/v1/models?limit=2&offset=1")[2]
        self.assertEqual([m["model"] for m in doc["models"]], names[1:3])
        self.assertEqual(doc["total"], len(names))
        self.assertEqual(c.get("/v1/models?offset=99")[2]["models"], [])
        for bad in ["limit=0", "limit=10001", "limit=x", "offset=-1"]:
            self.assert_error(c.get("/v1/models?" + bad), 400, "invalid_parameter")

        # Filters.
        doc = c.get("/v1/models?state=standing-down")[2]
        self.assertEqual({m["model"] for m in doc["models"]},
                         {m for m, _, _ in DRIFTING.values()})
        doc = c.get("/v1/models?line=cv:anomaly_detector")[2]
        self.assertEqual([m["model"] for m in doc["models"]], ["cv:anomaly_detector:1.2.0"])
        doc = c.get("/v1/models?line=cv:anomaly_detector&state=watching")[2]
        self.assertEqual(doc["total"], 0)
        self.assert_error(c.get("/v1/models?state=sleeping"), 400, "invalid_parameter")
        self.assert_error(c.get("/v1/models?line=CV!"), 400, "invalid_model_line")

        # One model.
        status, _, one = c.get("/v1/models/cv:anomaly_detector:1.2.0")
        self.assertEqual(status, 200)
        self.assertEqual(one, next(m for m in ctl_models
                                   if m["model"] == "cv:anomaly_detector:1.2.0"))
        self.assert_error(c.get("/v1/models/cv:anomaly_detector:9.9.9"), 404, "unknown_model")
        self.assert_error(c.get("/v1/models/not-a-model"), 400, "invalid_model_id")

        # Jobs: retrain-ctl jobs --json, paged and filtered.
        ctl_jobs = self.jobs(node)
        doc = c.get("/v1/jobs")[2]
        self.assertEqual(doc["jobs"], ctl_jobs)
        self.assertEqual(doc["total"], len(DRIFTING))
        self.assertEqual(c.get("/v1/jobs?limit=1&offset=2")[2]["jobs"], ctl_jobs[2:3])
        doc = c.get("/v1/jobs?line=fraud:scorer&state=succeeded")[2]
        self.assertEqual([j["model"] for j in doc["jobs"]], ["fraud:scorer:1.0.0-rc.1"])
        self.assertEqual(c.get("/v1/jobs?state=failed")[2]["total"], 0)
        self.assert_error(c.get("/v1/jobs?state=done"), 400, "invalid_parameter")

        # Versions: retrain-ctl versions LINE --json.
        for line, (_, _, version) in DRIFTING.items():
            status, _, doc = c.get(f"/v1/lines/{line}/versions")
            self.assertEqual(status, 200)
            self.assertEqual(doc["line"], line)
            self.assertEqual(doc["versions"], self.versions(node, line))
            self.assertEqual([v["version"] for v in doc["versions"]], [version])
        self.assertEqual(c.get("/v1/lines/ads:ctr_ranker/versions")[2]["versions"], [])
        self.assert_error(c.get("/v1/lines/Bad%20Line/versions"), 400, "invalid_model_line")
        self.assert_error(c.get("/v1/lines/cv:a/other"), 404, "not_found")

        status, _, doc = c.get("/healthz")
        self.assertEqual((status, doc["status"]), (200, "alive"))
        status, _, doc = c.get("/readyz")
        self.assertEqual(status, 200, doc)
        self.assertTrue(doc["ready"])


class ReadyTest(HttpTestCase):
    """/readyz of a monitor node follows its coordinator; a node answers
    404 not_served_here for what another role serves; a draining node says
    so."""

    def test_monitor_follows_its_coordinator(self):
        port = free_closed_port()
        link = f"--retrain.coordinator=127.0.0.1:{port}"
        mon = self.start_http_node(link, "--retrain.shutdown-grace=20s", role="monitor")
        c = self.client(mon)
        status, _, doc = c.get("/readyz")
        self.assertEqual(status, 503, doc)
        self.assertFalse(doc["ready"])
        self.assertFalse(doc["checks"]["coordinator"]["ok"], doc)
        self.assertTrue(doc["checks"]["storage"]["ok"], doc)
        self.assertTrue(doc["checks"]["draining"]["ok"], doc)
        self.assertEqual(c.get("/healthz")[0], 200)
        _, doc = self.assert_error(c.get("/v1/jobs"), 404, "not_served_here")
        self.assertIn("coordinator", doc["message"])
        self.assert_error(c.get("/v1/lines/cv:a/versions"), 404, "not_served_here")

        coord = self.start_http_node(f"--retrain.coordinator-port={port}", role="coordinator")
        wait_for("the monitor ready", lambda: c.get("/readyz")[0] == 200)
        cc = self.client(coord)
        self.assertEqual(cc.get("/readyz")[0], 200)
        _, doc = self.assert_error(cc.post("/v1/events", [event("cv:a:1.0.0", 0.9)]),
                                   404, "not_served_here")
        self.assertIn("monitor", doc["message"])
        self.assert_error(cc.get("/v1/models"), 404, "not_served_here")

        # The coordinator goes: a drifting model's trigger is held, so the
        # monitor drains for a while after SIGTERM, and says so.
        coord.stop()
        wait_for("the monitor not ready", lambda: c.get("/readyz")[0] == 503)
        status, _, doc = c.post("/v1/events", [event("cv:a:1.0.0", 0.5)] * 30)
        self.assertEqual((status, doc["accepted"]), (200, 30), doc)
        wait_for("a held trigger", lambda: "held" in mon.log_text())
        mon._signal_group(test_node.signal.SIGTERM)
        c2 = Client(mon.http_port)
        self.addCleanup(c2.close)

        def draining():
            try:
                status, _, doc = c2.get("/readyz")
            except OSError:
                return None
            return doc if status == 503 and not doc["checks"]["draining"]["ok"] else None
        doc = wait_for("/readyz saying draining", draining)
        self.assertFalse(doc["ready"])
        res, _ = self.assert_error(c2.post("/v1/events", [event("cv:a:1.0.0", 0.9)]),
                                   503, "draining")
        self.assertTrue(res.getheader("Retry-After"))


class PortTest(HttpTestCase):
    """retrain.http=false serves no HTTP; http-port=0 serves the logged
    port."""

    def test_http_off(self):
        ini = self.write("node.ini", "[retrain]\nhttp=false\n")
        for args in ([f"--config-file={ini}"], ["--retrain.http=false"]):
            port = free_closed_port()
            node = self.start_node(*args, f"--retrain.http-port={port}",
                                   data_dir=os.path.join(self.tmp, args[0][2:8]))
            self.assertNotIn("http listening", node.log_text())
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()

    def test_http_host_apart_from_the_binary_ports(self):
        # HTTP for producers on other machines, the binary ports on
        # loopback: no TLS needed, the plaintext rule is about those.
        node = self.start_http_node("--retrain.http-host=0.0.0.0")
        self.assertIn(f"http listening on 0.0.0.0:{node.http_port}", node.log_text())
        self.assertIn("ingest listening on 127.0.0.1:", node.log_text())
        self.assertEqual(self.client(node).get("/healthz")[0], 200)

    def test_port_zero_is_logged(self):
        node = self.start_http_node()
        self.assertNotEqual(node.http_port, 0)
        self.assertEqual(self.client(node).get("/healthz")[0], 200)

    def test_worker_serves_no_http(self):
        port = free_closed_port()
        worker = RoleNode("worker", os.path.join(self.tmp, "w"),
                          os.path.join(self.tmp, "w.log"),
                          [f"--retrain.coordinator=127.0.0.1:{free_closed_port()}",
                           f"--retrain.http-port={port}"])
        self.nodes.append(worker)
        worker.start()
        self.assertNotIn("http listening", worker.log_text())


class ExampleTest(HttpTestCase):
    """examples/python/send_metrics.py drives a drift to a registered
    version, and prints refusals by line."""

    def test_drift_to_version(self):
        node = self.start_http_node("--retrain.job.simulated-duration=100ms",
                                    "--retrain.monitor.min-samples=5")
        csv = self.write("events.csv", "model,kind,value\n"
                         + "cv:anomaly_detector:1.2.0,accuracy,0.97\n" * 5
                         + "cv:anomaly_detector:1.2.0,accuracy,7\n"
                         + "cv:anomaly_detector:1.2.0,accuracy,0.5\n" * 30)
        res = subprocess.run([sys.executable, SEND_METRICS, "--url",
                              f"http://127.0.0.1:{node.http_port}", "--batch", "8", csv],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 0, res)
        self.assertIn("line 7: rejected (invalid_value)", res.stdout)
        self.assertIn("sent 36 events: 35 accepted, 1 rejected", res.stdout)
        c = self.client(node)

        def versions():
            doc = c.get("/v1/lines/cv:anomaly_detector/versions")[2]
            return doc["versions"] or None
        (v,) = wait_for("a registered version", versions)
        self.assertEqual((v["version"], v["parent"]), ("1.2.1", "1.2.0"))

    def test_help(self):
        res = subprocess.run([sys.executable, SEND_METRICS, "--help"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 0)
        self.assertIn("--url", res.stdout)
        self.assertIn("Retry", open(SEND_METRICS).read())


if __name__ == "__main__":
    test_node.main()
