#!/usr/bin/env python3
"""The seed's retrain rule over the seed bench's event recipe, written out
independently of the C++ code (see bench/seed_recipe.hpp and the seed bench's
README). Prints the number of breaching evaluations, which is the seed
bench's `jobs=` and must equal retrain-bench's `breaches=`.

usage: seed_rule.py MODELS EVENTS [KINDS] [ALPHA]
"""
import sys

MASK = (1 << 64) - 1
THRESHOLDS = {0: 0.92, 1: 0.90}  # accuracy, f1_score; others have none


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def breaches(models, events, kinds=2, alpha=0.2):
    ewma = {}
    total = 0
    for e in range(events):
        m = e % models
        k = (e // models) % kinds
        drift = m % 10 == 0 and e >= events // 2
        center = 0.85 if drift else 0.95
        u = (splitmix64(e) >> 11) * 2.0**-53
        value = center + (u - 0.5) * 0.04
        key = (m, k)
        if key not in ewma:
            ewma[key] = value
        ewma[key] = alpha * value + (1.0 - alpha) * ewma[key]
        if k in THRESHOLDS and ewma[key] < THRESHOLDS[k]:
            total += 1
    return total


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    args = [int(a) for a in sys.argv[1:4]]
    alpha = float(sys.argv[4]) if len(sys.argv) > 4 else 0.2
    print(breaches(*args, alpha=alpha))
