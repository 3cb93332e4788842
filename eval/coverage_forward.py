#!/usr/bin/env python3
"""The coverage check (src/briefqa/coverage.py) fitted on the question sets written before each batch, tested on it.

Usage: .venv/bin/python eval/coverage_forward.py [-C 3] [--quantile 0.005] [--neighbours 0,5] BATCH BATCH ...
A BATCH is a comma-separated list of set files written at one time. The first batch only trains; each later one is
judged by a model fitted on all the batches before it, as a new batch of questions meets the shipped model. Each
--neighbours value is one model (0: without the nearest labelled questions' share). Prints, per model and batch,
the unanswerable questions declined and the answerable ones that abstain (hand-set model and check together).
Uses the index in ./index (build it with `make index`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from briefqa import coverage
from briefqa.engine import Assistant
from briefqa.evaluation import load_questions
from briefqa.settings import Settings, configure_offline


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("batches", nargs="+")
    ap.add_argument("-C", dest="c", type=float, default=3.0)
    ap.add_argument("--quantile", type=float, default=0.005)
    ap.add_argument("--neighbours", default=f"0,{coverage.NEIGHBOURS}")
    args = ap.parse_args(argv)
    configure_offline()
    a = Assistant(Settings(coverage_model="off"))
    batches = []
    for spec in args.batches:
        parts = [coverage.labelled_features(a, load_questions(Path(p))) for p in spec.split(",")]
        batches.append((spec, *(np.concatenate([p[i] for p in parts]) for i in range(3))))
    print("| neighbours | batch | unanswerable declined | answerable abstained |")
    print("|---|---|---|---|")
    for k in (int(v) for v in args.neighbours.split(",")):
        total = np.zeros(4, int)
        for b in range(1, len(batches)):
            X, cov, ans = (np.concatenate([x[i] for x in batches[:b]]) for i in (1, 2, 3))
            m = coverage.fit(
                X,
                cov,
                ans,
                corpus=a.index.state.files,
                embed_model=a.settings.model_name,
                trained_on=[],
                c=args.c,
                quantile=args.quantile,
                k=k,
            )
            spec, Xt, ct, at = batches[b]
            declined = ~at | (m.probabilities(Xt) < m.threshold)
            counts = np.array([(declined & ~ct).sum(), (~ct).sum(), (declined & ct).sum(), ct.sum()])
            total += counts
            name = spec if len(spec) < 60 else f"{spec.split(',')[0]} … {spec.split(',')[-1]}"
            print(f"| {k} | {name} | {counts[0]}/{counts[1]} | {counts[2]}/{counts[3]} |")
        print(
            f"| {k} | **all** | **{total[0]}/{total[1]} ({total[0] / total[1]:.3f})** "
            f"| **{total[2]}/{total[3]} ({total[2] / total[3]:.3f})** |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
