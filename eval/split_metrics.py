#!/usr/bin/env python3
"""Metrics of a `briefqa eval` run on the development and held-out parts of the project's set.

The answer scoring and abstention weights were tuned on the development part only (ids whose number is not
divisible by 5); the held-out part (q005, q010, ...) shows how far that tuning carries to unseen questions.

Usage: .venv/bin/python eval/split_metrics.py [reports/eval/results.jsonl]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from briefqa.evaluation import metrics

KEYS = ("hit@1", "hit@5", "mrr", "answer_accuracy", "citation_support", "abstention", "false_abstention")


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "reports/eval/results.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    parts = {
        "full": rows,
        "dev": [r for r in rows if int(r["id"][1:]) % 5],
        "held-out": [r for r in rows if not int(r["id"][1:]) % 5],
    }
    print("| part | questions | " + " | ".join(KEYS) + " |")
    print("|---" * (len(KEYS) + 2) + "|")
    for name, part in parts.items():
        m = metrics([r["verdicts"] for r in part])
        print(f"| {name} | {len(part)} | " + " | ".join(f"{m[k]:.3f}" if m[k] is not None else "–" for k in KEYS) + " |")


if __name__ == "__main__":
    main()
