#!/usr/bin/env python3
"""Writes drift.csv, the demo's metric stream: two steady models, one whose
accuracy drifts, one whose latency drifts and one whose f1_score drifts.
Deterministic (fixed seed), so the demo always shows the same decisions."""
import random

rng = random.Random(41)
models = {
    # model id: {kind: (center before, center after)}
    "vision:lane_detector:0.9.3": {"accuracy": (0.95, 0.95), "latency_ms": (40, 40)},
    "ads:ctr_ranker:3.1.0": {"accuracy": (0.96, 0.96), "f1_score": (0.94, 0.94)},
    "cv:anomaly_detector:1.2.0": {"accuracy": (0.95, 0.84), "latency_ms": (35, 36)},
    "nlp:intent_classifier:2.0.1": {"accuracy": (0.97, 0.97), "latency_ms": (45, 320)},
    "fraud:scorer:1.0.0-rc.1": {"f1_score": (0.95, 0.82)},
}
steps, drift_at = 60, 30
with open("drift.csv", "w") as out:
    out.write("model,kind,value\n")
    for step in range(steps):
        for model, kinds in models.items():
            for kind, (before, after) in kinds.items():
                center = before if step < drift_at else after
                if kind == "latency_ms":
                    value = max(0.0, rng.gauss(center, center * 0.05))
                    out.write(f"{model},{kind},{value:.1f}\n")
                else:
                    value = min(1.0, max(0.0, rng.gauss(center, 0.01)))
                    out.write(f"{model},{kind},{value:.4f}\n")
