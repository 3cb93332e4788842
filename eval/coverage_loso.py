#!/usr/bin/env python3
"""The coverage check (src/briefqa/coverage.py) with each question set left out of its fit in turn.

Usage: .venv/bin/python eval/coverage_loso.py [-C 3] [--quantile 0.005] SET.jsonl ...
For each set: fit on the other sets (as `briefqa fit-coverage` does), then count on the left-out set how many
unanswerable questions are declined and how many answerable ones abstain, next to the hand-set model alone.
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
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("-C", dest="c", type=float, default=3.0)
    ap.add_argument("--quantile", type=float, default=0.005)
    args = ap.parse_args(argv)
    configure_offline()
    a = Assistant(Settings(coverage_model="off"))
    parts = [(path.name, coverage.labelled_features(a, load_questions(path))) for path in args.sets]
    X = np.vstack([x for _, (x, _, _) in parts])
    cov = np.concatenate([c for _, (_, c, _) in parts])
    ans = np.concatenate([r for _, (_, _, r) in parts])
    where_a = np.array([name for name, (x, _, _) in parts for _ in range(len(x))])
    total = np.zeros(4, int)  # declined unanswerable (check, hand), abstained answerable (check, hand)
    print("| left out | unanswerable declined: with the check / hand-set alone | answerable abstained: with / alone |")
    print("|---|---|---|")
    for name, _ in parts:
        te = where_a == name
        tr = ~te
        m = coverage.fit(X[tr], cov[tr], ans[tr], corpus=a.index.state.files, embed_model=a.settings.model_name,
                         trained_on=[], c=args.c, quantile=args.quantile)
        p = m.probabilities(X[te])
        declined = ~ans[te] | (p < m.threshold)
        counts = np.array([
            (declined & ~cov[te]).sum(), (~ans[te] & ~cov[te]).sum(), (declined & cov[te]).sum(), (~ans[te] & cov[te]).sum()
        ])
        total += counts
        n_una, n_ans = int((~cov[te]).sum()), int(cov[te].sum())
        print(f"| {name} | {counts[0]} / {counts[1]} of {n_una} | {counts[2]} / {counts[3]} of {n_ans} |")
    n_una, n_ans = int((~cov).sum()), int(cov.sum())
    print(f"| all | {total[0]} / {total[1]} of {n_una} ({total[0] / n_una:.3f} / {total[1] / n_una:.3f}) "
          f"| {total[2]} / {total[3]} of {n_ans} ({total[2] / n_ans:.3f} / {total[3] / n_ans:.3f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
