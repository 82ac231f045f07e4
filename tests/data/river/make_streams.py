#!/usr/bin/env python3
"""Writes the input streams of River's documented drift detector examples.

River (online-ml/river) builds its examples with CPython's `random.Random(seed)`
and `choices`; this script runs the same calls, so the files hold exactly the
values River's docstrings feed to the detectors. One value per line, the way
`retrain-ctl backtest` reads them.

    python3 tests/data/river/make_streams.py   # rewrites the .txt files here
"""

import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def two_distributions(seed):
    # PageHinkley and ADWIN docstrings.
    rng = random.Random(seed)
    return rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)


def error_rate_rises(seed):
    # DDM, EDDM, HDDM_A and HDDM_W docstrings.
    rng = random.Random(seed)
    data = rng.choices([0, 1], k=1000)
    return data + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])


def four_segments(seed):
    # ADWIN regression test with several drifts.
    rng = random.Random(seed)
    return (rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
            + rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000))


def write(name, values):
    with open(os.path.join(HERE, name), "w") as out:
        for v in values:
            out.write(f"{v}\n")


if __name__ == "__main__":
    write("two_distributions_12345.txt", two_distributions(12345))
    write("error_rate_rises_42.txt", error_rate_rises(42))
    write("four_segments_42.txt", four_segments(42))
