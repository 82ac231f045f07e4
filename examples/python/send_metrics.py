#!/usr/bin/env python3
"""Send model metrics to a retrain node over HTTP (Python standard library only).

Copy this file into a model server and use `MetricsSender`:

    sender = MetricsSender("http://retrain-monitor:4244")
    sender.add("cv:anomaly_detector:1.2.0", "accuracy", 0.93)
    sender.add("cv:anomaly_detector:1.2.0", "latency_ms", 41.5)
    sender.flush()     # also sent by add() whenever a batch is full

or run it on a CSV file (`model,kind,value[,observed_at_ns]` per line, the
format `retrain-ctl replay` reads):

    python3 send_metrics.py --url http://127.0.0.1:4244 examples/drift.csv

Events go in batches (a JSON array per `POST /v1/events`) over one
keep-alive connection. A node that answers 503 (`saturated`, `draining`,
`unavailable`) or cannot be reached is asked again after its `Retry-After`,
with exponential backoff and jitter, up to `max_attempts` times. Each batch
goes with an `Idempotency-Key` of its own, so a batch whose outcome is
unknown (504 `outcome_unknown`, or a connection that broke after the batch
was sent) is sent again with the same key: the node applies it at most
once and answers the repeat with the first answer (a node remembers keys
for 10 minutes; a load balancer that sends the repeat to another node
defeats it). A batch still unknown
after every attempt (the node itself never learnt its outcome) is reported
and not sent under another key. Every event
the node refuses is reported with its index (and, for a CSV file, its line)
and the reason; it is never retried, since it would be refused again.
"""

import argparse
import http.client
import json
import random
import sys
import time
import urllib.parse
import uuid


class SendError(Exception):
    """A batch the node did not take after every attempt, or refused as a
    whole (400 malformed, 413 too large)."""


class MetricsSender:
    """Batches events and POSTs them to `<url>/v1/events`."""

    def __init__(self, url, batch_size=1000, max_attempts=8, timeout_s=30.0,
                 on_reject=None, log=None):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--url must be http://HOST:PORT, got {url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._path = parts.path.rstrip("/") + "/v1/events"
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.timeout_s = timeout_s
        # Called with (index, code, reason, tag) per refused event; `tag` is
        # what add() was given (e.g. a line number).
        self.on_reject = on_reject or (lambda i, code, reason, tag: None)
        self.log = log or (lambda msg: None)
        self._conn = None
        self._events = []
        self._tags = []
        self.sent = 0
        self.accepted = 0
        self.rejected = 0

    def add(self, model, kind, value, observed_at_ns=None, tag=None):
        """Queues one event; sends the batch once it is full."""
        event = {"model": model, "kind": kind, "value": value}
        if observed_at_ns is not None:
            event["observed_at_ns"] = observed_at_ns
        self._events.append(event)
        self._tags.append(tag)
        if len(self._events) >= self.batch_size:
            self.flush()

    def flush(self):
        """Sends the queued events; raises SendError if the node never took
        them."""
        if not self._events:
            return
        events, tags = self._events, self._tags
        self._events, self._tags = [], []
        answer = self._post(json.dumps(events, separators=(",", ":")).encode(),
                            uuid.uuid4().hex)
        first = self.sent
        self.sent += len(events)
        self.accepted += answer["accepted"]
        self.rejected += answer["rejected"]
        for r in answer.get("rejects", []):
            i = r["index"]
            self.on_reject(first + i, r["code"], r["reason"],
                           tags[i] if i < len(tags) else None)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self):
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self.timeout_s)
        return self._conn

    def _post(self, body, key):
        delay = 0.5
        for attempt in range(1, self.max_attempts + 1):
            wait = None
            try:
                conn = self._connection()
                conn.request("POST", self._path, body=body,
                             headers={"Content-Type": "application/json",
                                      "Idempotency-Key": key})
                res = conn.getresponse()
                data = res.read()
                if res.getheader("Connection", "").lower() == "close":
                    self.close()
                if res.status == 200:
                    return json.loads(data)
                answer = _json_or_text(data)
                if res.status == 504:
                    # outcome_unknown: the node may have applied the batch;
                    # sent again with its key, it is applied at most once.
                    why = "504 outcome_unknown"
                elif res.status != 503:
                    # 400 malformed, 413 too large, 404: sending it again
                    # changes nothing.
                    raise SendError(f"HTTP {res.status}: {answer}")
                else:
                    retry_after = res.getheader("Retry-After")
                    wait = float(retry_after) if retry_after else None
                    why = answer.get("code", "503") if isinstance(answer, dict) else "503"
            except (OSError, http.client.HTTPException) as e:
                # Before or after the node took the batch: sent again with
                # its key either way, it is applied at most once.
                self.close()
                why = f"{type(e).__name__}: {e}"
            if attempt == self.max_attempts:
                break
            # The node's Retry-After at least, growing with each attempt,
            # with jitter so that many senders do not come back at once.
            pause = max(wait or 0.0, delay) * random.uniform(1.0, 1.5)
            self.log(f"attempt {attempt} failed ({why}); again in {pause:.1f} s")
            time.sleep(pause)
            delay = min(delay * 2, 30.0)
        raise SendError(f"the node did not take the batch after {self.max_attempts} "
                        f"attempts (last: {why}); sent with Idempotency-Key {key}, "
                        f"it was applied at most once")


def _json_or_text(data):
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Send model metrics from a CSV file (model,kind,value"
                    "[,observed_at_ns] per line; '-' for stdin) to a retrain "
                    "node's POST /v1/events, in batches, retrying on 503.")
    parser.add_argument("file", help="CSV file, or - for standard input")
    parser.add_argument("--url", default="http://127.0.0.1:4244",
                        help="the node's HTTP address (default %(default)s)")
    parser.add_argument("--batch", type=int, default=1000,
                        help="events per request (default %(default)s)")
    parser.add_argument("--max-attempts", type=int, default=8,
                        help="attempts per batch on 503 or a lost connection "
                             "(default %(default)s)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for an answer (default %(default)s)")
    args = parser.parse_args(argv)
    if args.batch < 1 or args.max_attempts < 1:
        parser.error("--batch and --max-attempts must be at least 1")

    def report(index, code, reason, line):
        where = f"line {line}" if line is not None else f"event {index}"
        print(f"{where}: rejected ({code}): {reason}")

    sender = MetricsSender(args.url, args.batch, args.max_attempts, args.timeout,
                           on_reject=report,
                           log=lambda msg: print(msg, file=sys.stderr))
    src = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    try:
        for number, text in enumerate(src, start=1):
            text = text.strip().lstrip("\ufeff")
            if not text or (number == 1 and text.startswith("model,")):
                continue
            fields = [f.strip() for f in text.split(",")]
            if len(fields) not in (3, 4):
                print(f"line {number}: skipped: expected model,kind,value[,observed_at_ns]")
                continue
            try:
                value = float(fields[2])
                observed = int(fields[3]) if len(fields) == 4 else None
            except ValueError:
                print(f"line {number}: skipped: value or time is no number")
                continue
            sender.add(fields[0], fields[1], value, observed, tag=number)
        sender.flush()
    except SendError as e:
        print(f"send_metrics: {e}", file=sys.stderr)
        return 1
    finally:
        sender.close()
        if src is not sys.stdin:
            src.close()
    print(f"sent {sender.sent} events: {sender.accepted} accepted, "
          f"{sender.rejected} rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
