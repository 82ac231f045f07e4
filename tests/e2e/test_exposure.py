#!/usr/bin/env python3
"""End-to-end tests of what a node exposes: the plaintext rule for its binary
ports and the open-file limit it raises at start, with real processes.

    python3 tests/e2e/test_exposure.py --bin build/nodes [TestClass ...]
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cluster  # noqa: E402  (the private CA of the TLS scenario)
import test_node  # noqa: E402  (shared helpers: Node, ctl, wait_for, ...)
from test_node import NodeTestCase  # noqa: E402

# Sets the open-file limits of this process, then becomes the node (same
# pid), as `prlimit --nofile=SOFT:HARD` would.
WITH_LIMITS = ("import os, resource, sys; "
               "resource.setrlimit(resource.RLIMIT_NOFILE, "
               "(int(sys.argv[1]), int(sys.argv[2]))); "
               "os.execv(sys.argv[3], sys.argv[3:])")


class LimitedNode(test_node.Node):
    """A node started with open-file limits `soft`:`hard`."""

    def __init__(self, soft, hard, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.soft = soft
        self.hard = hard

    def command(self):
        return [sys.executable, "-c", WITH_LIMITS, str(self.soft),
                str(self.hard)] + super().command()


def open_file_limits(pid):
    """(soft, hard) of `Max open files` in /proc/<pid>/limits."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    raise AssertionError(f"no open-file limit in /proc/{pid}/limits")


class PlaintextTest(NodeTestCase):
    """Binary ports outside loopback need mutual TLS or
    retrain.allow-plaintext=true."""

    # Runs a node that must refuse to start (NodeConfigTest's helper).
    run_node = test_node.NodeConfigTest.run_node
    openssl = test_cluster.TlsTest.openssl
    make_pki = test_cluster.TlsTest.make_pki

    def assert_plaintext_refused(self, *args, ports):
        code, text = self.run_node(*args)
        self.assertEqual(code, 2, f"{args}: exit {code}\n{text}")
        self.assertIn("without mutual TLS", text)
        self.assertIn("no payload limit", text)
        self.assertIn("--retrain.allow-plaintext", text)
        self.assertIn(ports, text)
        self.assertNotIn("listening on", text)
        self.assertNotIn("retrain-node ready", text)

    def test_refused_outside_loopback(self):
        self.assert_plaintext_refused(
            "--retrain.host=0.0.0.0",
            ports="opens the ingest port (a free port) and the coordinator port")
        self.assert_plaintext_refused("--retrain.host=0.0.0.0", "--retrain.role=coordinator",
                                      ports="opens the coordinator port")
        self.assert_plaintext_refused("--retrain.host=2001:db8::7", "--retrain.role=monitor",
                                      ports="opens the ingest port")
        # A host name may resolve to anything.
        self.assert_plaintext_refused("--retrain.host=example.com",
                                      ports="retrain.host=\"example.com\"")

    def test_monitor_node_on_a_wildcard_refused(self):
        # Its host is its name in the shard map: even with plaintext
        # allowed, a wildcard would give every such node the same one.
        for host in ("0.0.0.0", "::"):
            code, text = self.run_node(f"--retrain.host={host}", "--retrain.role=monitor",
                                       "--retrain.allow-plaintext")
            self.assertEqual(code, 2, text)
            self.assertIn(f"retrain.host='{host}' is a wildcard", text)
            self.assertIn("give the address they reach this node at", text)
            self.assertNotIn("listening on", text)

    def test_allowed_in_a_trusted_network(self):
        node = self.start_node("--retrain.host=0.0.0.0", "--retrain.allow-plaintext")
        text = node.log_text()
        self.assertIn("(retrain.allow-plaintext)", text)
        self.assertRegex(text, r"ingest listening on 0\.0\.0\.0:\d+")
        self.assertRegex(text, r"coordinator listening on 0\.0\.0\.0:\d+")
        self.assertIn("0 models", self.ctl_ok(node.node, "status").stdout)
        self.assertEqual(node.stop(), 0)

    def test_loopback_and_workers_need_nothing(self):
        for host in ("127.0.0.1", "127.5.5.5", "localhost"):
            node = self.start_node(f"--retrain.host={host}",
                                   data_dir=os.path.join(self.tmp, host))
            self.assertNotIn("allow-plaintext", node.log_text())
            self.assertEqual(node.stop(), 0, host)
        # A worker node binds no port: its host does not matter.
        node = self.start_node("--retrain.role=worker", "--retrain.host=0.0.0.0",
                               data_dir=os.path.join(self.tmp, "worker"))
        self.assertEqual(node.stop(), 0)

    def test_mutual_tls_outside_loopback(self):
        tls = self.make_pki()
        node = self.start_node("--retrain.host=0.0.0.0", *tls)
        self.assertNotIn("allow-plaintext", node.log_text())
        self.assertRegex(node.log_text(), r"coordinator listening on 0\.0\.0\.0:\d+")
        res = test_node.ctl(*tls, node.node, node.coordinator, "status")
        self.assertEqual(res.returncode, 0, res)
        self.assertEqual(node.stop(), 0)


class OpenFilesTest(NodeTestCase):
    """A node raises its soft open-file limit to the hard limit."""

    def start_limited(self, soft, hard):
        node = LimitedNode(soft, hard, os.path.join(self.tmp, f"data-{hard}"),
                           os.path.join(self.tmp, f"node-{hard}.log"))
        self.nodes.append(node)
        return node.start()

    def test_soft_limit_raised_to_hard(self):
        node = self.start_limited(256, 8192)
        self.assertEqual(open_file_limits(node.proc.pid), (8192, 8192))
        text = node.log_text()
        self.assertIn("open-file limit raised from 256 to 8192", text)
        self.assertNotRegex(text, r"open-file limit \d+ is low")
        self.assertEqual(node.stop(), 0)

    def test_low_hard_limit_warns(self):
        node = self.start_limited(256, 1024)
        self.assertEqual(open_file_limits(node.proc.pid), (1024, 1024))
        self.assertTrue(re.search(r"open-file limit 1024 is low", node.log_text()),
                        node.log_text())
        self.assertEqual(node.stop(), 0)


if __name__ == "__main__":
    test_node.main()  # --bin, then the tests of this file
