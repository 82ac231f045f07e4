#!/usr/bin/env python3
"""retrain-ctl backtest reproduces the detections of River's documented
drift detector examples (streams in tests/data/river, made by
make_streams.py with CPython's own random module).

    python3 tests/e2e/test_backtest.py --bin build/nodes
"""

import argparse
import json
import os
import subprocess
import sys
import unittest

BIN_DIR = None
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    "data", "river")

# strategy, parameters, stream, drift indices, first warning index (None:
# the detector has no warning zone). Straight from River's docstrings.
CASES = [
    ("page_hinkley", [], "two_distributions_12345.txt", [1006], None),
    ("adwin", [], "two_distributions_12345.txt", [1023], None),
    ("adwin", [], "four_segments_42.txt", [1023, 2015, 3007], None),
    ("ddm", [], "error_rate_rises_42.txt", [1334], 1084),
    ("eddm", ["alpha=0.8", "beta=0.75"], "error_rate_rises_42.txt", [1278], 1059),
    ("hddm_a", [], "error_rate_rises_42.txt", [1206], 451),
    ("hddm_w", [], "error_rate_rises_42.txt", [1077], 451),
]


def backtest(*args):
    return subprocess.run([os.path.join(BIN_DIR, "retrain-ctl"), "backtest"] + list(args),
                          capture_output=True, text=True, timeout=120)


class RiverExamplesTest(unittest.TestCase):
    def test_documented_detections(self):
        for strategy, params, stream, drifts, first_warning in CASES:
            with self.subTest(strategy=strategy, stream=stream):
                args = ["--strategy", strategy]
                for p in params:
                    args += ["--param", p]
                path = os.path.join(DATA, stream)
                res = backtest(*args, path)
                self.assertEqual(res.returncode, 0, res.stderr)
                rows = [line.split() for line in res.stdout.splitlines()]
                self.assertEqual([int(i) for s, i, _ in rows if s == "drift"], drifts)
                warnings = [int(i) for s, i, _ in rows if s == "warning"]
                if first_warning is None:
                    self.assertEqual(warnings, [])  # these detectors never warn
                else:
                    self.assertEqual(warnings[0], first_warning)
                # The JSON form says the same, row for row.
                res = backtest("--json", *args, path)
                self.assertEqual(res.returncode, 0, res.stderr)
                self.assertEqual([(r["state"], r["index"]) for r in json.loads(res.stdout)],
                                 [(s, int(i)) for s, i, _ in rows])

    def test_bad_input_is_refused(self):
        path = os.path.join(DATA, "error_rate_rises_42.txt")
        for args in (["--strategy", "nope", path],
                     ["--strategy", "ddm", "--param", "warm_start=-1", path],
                     ["--strategy", "ddm", "/nonexistent/file"],
                     [path]):
            res = backtest(*args)
            self.assertEqual(res.returncode, 2, f"{args}: {res}")
            self.assertTrue(res.stderr.strip(), args)


def main():
    global BIN_DIR
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args, rest = parser.parse_known_args()
    BIN_DIR = os.path.abspath(args.bin)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
