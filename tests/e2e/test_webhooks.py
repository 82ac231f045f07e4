#!/usr/bin/env python3
"""End-to-end tests of webhooks: a real node (role all) drives a drift to a
registered version, and a receiver written with Python's standard library
checks every event and its signature, including events it got only after
being down.

    python3 tests/e2e/test_webhooks.py --bin build/nodes [TestClass ...]
"""

import hashlib
import hmac
import http.server
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_node  # noqa: E402  (shared helpers: Node, ctl, wait_for, ...)
from test_node import NodeTestCase, caf_list, free_closed_port, wait_for  # noqa: E402

SECRET = "It's a secret to every node"
MODEL = "cv:anomaly_detector:1.2.0"
LINE = "cv:anomaly_detector"
SUCCESS_EVENTS = ["drift", "job.queued", "job.started", "version.registered",
                  "job.succeeded"]
ISO_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"
UUID4 = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST; it answers 503
    to the first `fail_first` requests and 2xx after that."""

    def __init__(self, port=0, secret=SECRET, fail_first=0):
        self.secret = secret.encode()
        self.fail_first = fail_first
        self.lock = threading.Lock()
        self.requests = []  # every request: dict(event, delivery, status, ...)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    refuse = len(receiver.requests) < receiver.fail_first
                    receiver.requests.append({
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                        "status": 503 if refuse else 204,
                    })
                self.send_response(503 if refuse else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/retrain"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def signature_ok(self, request):
        """Checks X-Retrain-Signature as a receiver should: HMAC-SHA256 of
        the raw body under the shared secret, compared in constant time."""
        sent = request["headers"].get("x-retrain-signature", "")
        expected = "sha256=" + hmac.new(self.secret, request["body"],
                                        hashlib.sha256).hexdigest()
        return hmac.compare_digest(sent, expected)

    def delivered(self):
        """The events answered with 2xx, in arrival order, as (request,
        parsed body)."""
        with self.lock:
            return [(r, json.loads(r["body"])) for r in self.requests
                    if r["status"] < 300]

    def all_requests(self):
        with self.lock:
            return list(self.requests)


class WebhookTestCase(NodeTestCase):

    def setUp(self):
        super().setUp()
        self.receivers = []

    def tearDown(self):
        super().tearDown()
        for r in self.receivers:
            r.stop()

    def receiver(self, **kwargs):
        r = Receiver(**kwargs)
        self.receivers.append(r)
        return r

    def start_hooked_node(self, urls, *args):
        return self.start_node(
            "--retrain.webhooks=" + caf_list(urls),
            "--retrain.webhook-secret=" + SECRET,
            "--retrain.job.simulated-duration=100ms",
            "--retrain.monitor.min-samples=5",
            "--retrain.monitor.cooldown=1h", *args)

    def drive_drift(self, node):
        self.replay(node, self.drifting_csv(model=MODEL, n=20))

    def wait_events(self, receiver, events):
        """Waits until `receiver` got `events` (names, in this order)."""
        def probe():
            got = receiver.delivered()
            return got if [b["event"] for _, b in got] == events else None
        try:
            return wait_for(f"events {events}", probe)
        except AssertionError:
            self.fail(f"expected {events}, got "
                      f"{[json.loads(r['body'])['event'] + ' ' + str(r['status']) for r in receiver.all_requests()]}")

    def check_request(self, receiver, request, body):
        """Headers, signature and the fields every event has."""
        h = request["headers"]
        self.assertEqual(request["path"], "/hooks/retrain")
        self.assertEqual(h.get("content-type"), "application/json", h)
        self.assertEqual(h.get("x-retrain-event"), body["event"], h)
        self.assertEqual(h.get("x-retrain-delivery"), body["id"], h)
        self.assertRegex(body["id"], UUID4)
        self.assertTrue(receiver.signature_ok(request),
                        f"bad signature {h.get('x-retrain-signature')} of {body}")
        self.assertEqual(body["schema"], 1, body)
        self.assertRegex(body["time"], ISO_TIME)
        self.assertEqual(body["line"], LINE, body)

    def check_success_path(self, receiver, got):
        """The five events of a drift that became version 1.2.1."""
        bodies = {b["event"]: b for _, b in got}
        for request, body in got:
            self.check_request(receiver, request, body)
        self.assertEqual(len({b["id"] for _, b in got}), len(got), "delivery ids repeat")
        job_id = bodies["drift"]["job_id"]
        self.assertIsInstance(job_id, int)
        for b in bodies.values():
            self.assertEqual(b["job_id"], job_id, b)
        drift = bodies["drift"]
        self.assertEqual(drift["model"], MODEL, drift)
        self.assertEqual(drift["outcome"], "created", drift)
        self.assertEqual(drift["next_version"], "1.2.1", drift)
        self.assertEqual(drift["reason"]["strategy"], "ewma_threshold", drift)
        self.assertEqual(drift["reason"]["kind"], "accuracy", drift)
        self.assertLess(drift["reason"]["statistic"], drift["reason"]["threshold"], drift)
        self.assertGreaterEqual(drift["reason"]["samples"], 5, drift)
        self.assertEqual(bodies["job.queued"]["attempt"], 0)
        self.assertEqual(bodies["job.started"]["attempt"], 1)
        self.assertEqual(bodies["job.succeeded"]["version"], "1.2.1")
        version = bodies["version.registered"]
        self.assertEqual(version["version"], "1.2.1", version)
        self.assertEqual(version["parent"], "1.2.0", version)
        self.assertEqual(version["model"], "cv:anomaly_detector:1.2.1", version)


class DeliveredTest(WebhookTestCase):
    """A drift that becomes a version: every event, signed, in order."""

    def test_drift_to_version(self):
        receiver = self.receiver()
        node = self.start_hooked_node([receiver.url])
        self.assertIn("webhook", node.log_text())
        self.drive_drift(node)
        got = self.wait_events(receiver, SUCCESS_EVENTS)
        self.check_success_path(receiver, got)
        (job,) = self.wait_jobs_settled(node, 1)
        self.assertEqual(got[0][1]["job_id"], job["id"])
        # Nothing was sent twice.
        self.assertEqual(len(receiver.all_requests()), len(SUCCESS_EVENTS))
        self.assertEqual(node.stop(), 0)

    def test_every_url_gets_every_event(self):
        first = self.receiver()
        second = self.receiver()
        node = self.start_hooked_node([first.url, second.url])
        self.drive_drift(node)
        for r in (first, second):
            got = self.wait_events(r, SUCCESS_EVENTS)
            self.check_success_path(r, got)
        # The same event has the same id at every URL.
        self.assertEqual([b["id"] for _, b in first.delivered()],
                         [b["id"] for _, b in second.delivered()])
        self.assertEqual(node.stop(), 0)


class RetriedTest(WebhookTestCase):
    """A receiver that is down for the first attempts still gets every
    event, each once with 2xx, the retries with the same delivery id."""

    def test_receiver_answering_503_first(self):
        receiver = self.receiver(fail_first=3)
        node = self.start_hooked_node([receiver.url])
        self.drive_drift(node)
        got = self.wait_events(receiver, SUCCESS_EVENTS)
        self.check_success_path(receiver, got)
        refused = [r for r in receiver.all_requests() if r["status"] == 503]
        self.assertEqual(len(refused), 3)
        # The drift was tried three times and refused each time: one id.
        first_id = got[0][1]["id"]
        for r in refused:
            self.assertEqual(r["headers"]["x-retrain-delivery"], first_id)
            self.assertTrue(receiver.signature_ok(r))
        wait_for("the retries in the log",
                 lambda: "attempt 3 failed (HTTP 503)" in node.log_text())

    def test_receiver_down_then_up(self):
        port = free_closed_port()
        url = f"http://127.0.0.1:{port}/hooks/retrain"
        node = self.start_hooked_node([url])
        self.drive_drift(node)
        # Nobody listens: the first attempts fail to connect.
        wait_for("two failed attempts",
                 lambda: "attempt 2 failed" in node.log_text())
        self.wait_jobs_settled(node, 1)
        receiver = self.receiver(port=port)
        got = self.wait_events(receiver, SUCCESS_EVENTS)
        self.check_success_path(receiver, got)


class FailedJobTest(WebhookTestCase):
    """A job whose command fails for its last attempt yields job.failed."""

    def test_failed_job(self):
        receiver = self.receiver()
        node = self.start_hooked_node(
            [receiver.url],
            "--retrain.job.command=" + caf_list(["sh", "-c", "exit 1"]),
            "--retrain.job.max-attempts=1")
        self.drive_drift(node)
        got = self.wait_events(receiver, ["drift", "job.queued", "job.started", "job.failed"])
        for request, body in got:
            self.check_request(receiver, request, body)
        failed = got[-1][1]
        self.assertEqual(failed["attempt"], 1, failed)
        self.assertIn("exit code 1", failed["error"], failed)
        self.assertNotIn("version", failed)
        (job,) = self.wait_jobs_settled(node, 1)
        self.assertEqual(job["state"], "failed")
        self.assertEqual(failed["job_id"], job["id"])


class UnsignedTest(WebhookTestCase):
    """Without a secret no signature is sent; a role without the
    coordinator sends nothing and says so."""

    def test_without_secret(self):
        receiver = self.receiver()
        node = self.start_node("--retrain.webhooks=" + caf_list([receiver.url]),
                               "--retrain.job.simulated-duration=100ms",
                               "--retrain.monitor.min-samples=5")
        self.drive_drift(node)
        got = self.wait_events(receiver, SUCCESS_EVENTS)
        for request, _ in got:
            self.assertNotIn("x-retrain-signature", request["headers"])

    def test_monitor_node_ignores_webhooks(self):
        node = self.start_node("--retrain.role=monitor",
                               "--retrain.webhooks=" + caf_list(["http://127.0.0.1:9/x"]))
        self.assertIn("retrain.webhooks is ignored", node.log_text())


if __name__ == "__main__":
    test_node.main()  # --bin, then the tests of this file
