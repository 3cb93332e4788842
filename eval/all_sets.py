#!/usr/bin/env python3
"""Metrics of each question set's `briefqa eval` run, and of all of them together.

Usage: .venv/bin/python eval/all_sets.py [RESULTS.jsonl ...]
Without arguments: the runs of `make eval` (project set, fresh, blind2 to blind65), read from reports/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from briefqa.evaluation import metrics

KEYS = ("hit@1", "hit@5", "mrr", "answer_accuracy", "citation_support", "abstention", "false_abstention")
DEFAULT = (
    "reports/eval",
    "reports/eval-fresh",
    "reports/eval-blind2",
    "reports/eval-blind3",
    "reports/eval-blind4",
    "reports/eval-blind5",
    "reports/eval-blind6",
    "reports/eval-blind7",
    "reports/eval-blind8",
    "reports/eval-blind9",
    "reports/eval-blind10",
    "reports/eval-blind11",
    "reports/eval-blind12",
    "reports/eval-blind13",
    "reports/eval-blind14",
    "reports/eval-blind15",
    "reports/eval-blind16",
    "reports/eval-blind17",
    "reports/eval-blind18",
    "reports/eval-blind19",
    "reports/eval-blind20",
    "reports/eval-blind21",
    "reports/eval-blind22",
    "reports/eval-blind23",
    "reports/eval-blind24",
    "reports/eval-blind25",
    "reports/eval-blind26",
    "reports/eval-blind27",
    "reports/eval-blind28",
    "reports/eval-blind29",
    "reports/eval-blind30",
    "reports/eval-blind31",
    "reports/eval-blind32",
    "reports/eval-blind33",
    "reports/eval-blind34",
    "reports/eval-blind35",
    "reports/eval-blind36",
    "reports/eval-blind37",
    "reports/eval-blind38",
    "reports/eval-blind39",
    "reports/eval-blind40",
    "reports/eval-blind41",
    "reports/eval-blind42",
    "reports/eval-blind43",
    "reports/eval-blind44",
    "reports/eval-blind45",
    "reports/eval-blind46",
    "reports/eval-blind47",
    "reports/eval-blind48",
    "reports/eval-blind49",
    "reports/eval-blind50",
    "reports/eval-blind51",
    "reports/eval-blind52",
    "reports/eval-blind53",
    "reports/eval-blind54",
    "reports/eval-blind55",
    "reports/eval-blind56",
    "reports/eval-blind57",
    "reports/eval-blind58",
    "reports/eval-blind59",
    "reports/eval-blind60",
    "reports/eval-blind61",
    "reports/eval-blind62",
    "reports/eval-blind63",
    "reports/eval-blind64",
    "reports/eval-blind65",
)


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or [Path(d) / "results.jsonl" for d in DEFAULT]
    sets = {
        p.parent.name: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
        for p in paths
    }
    sets["all"] = [r for rows in list(sets.values()) for r in rows]
    print("| set | questions | answerable | unanswerable | " + " | ".join(KEYS) + " |")
    print("|---" * (len(KEYS) + 4) + "|")
    for name, rows in sets.items():
        m = metrics([r["verdicts"] for r in rows])
        unanswerable = sum(r["verdicts"]["kind"] == "unanswerable" for r in rows)
        cells = " | ".join(f"{m[k]:.4f}" if m[k] is not None else "–" for k in KEYS)
        print(f"| {name} | {len(rows)} | {len(rows) - unanswerable} | {unanswerable} | {cells} |")


if __name__ == "__main__":
    main()
