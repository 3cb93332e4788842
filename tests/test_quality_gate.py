"""The quality gate: the project's own question set through the real pipeline, against eval/floors.json.

A change that makes retrieval, answers, citations or abstention worse than the
floors (set a little under what was measured) fails here, so it fails CI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from briefqa.evaluation import GATED_METRICS, KINDS, LOWER_IS_BETTER, below_floors, load_questions, run_eval

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "questions.jsonl"
FLOORS = ROOT / "eval" / "floors.json"


def _floors() -> dict[str, float]:
    floors: dict[str, float] = json.loads(FLOORS.read_text())["floors"]
    return floors


def test_floors_name_known_metrics_sit_on_the_safe_side_of_what_was_measured_and_never_latency():
    doc = json.loads(FLOORS.read_text())
    assert doc["floors"]
    for name, floor in doc["floors"].items():
        kind, _, metric = name.rpartition(".")
        assert metric in GATED_METRICS and (not kind or kind in KINDS), name
        assert not metric.startswith("latency"), "speed is measured by `briefqa bench`, not asserted in tests"
        measured = doc["measured"][name]
        assert (floor >= measured) if metric in LOWER_IS_BETTER else (floor <= measured), name


def test_the_project_question_set_stays_above_its_floors(assistant):
    report = run_eval(lambda q: assistant.ask(q), load_questions(QUESTIONS))
    failed = below_floors(report, _floors())
    detail = "\n".join(f"  {f['id']} ({', '.join(f['reasons'])}): {f['question']}" for f in report["failures"][:20])
    assert not failed, "quality below the floors in eval/floors.json:\n" + "\n".join(failed) + "\nfailed:\n" + detail


FRESH_SETS = ("fresh", *(f"blind{n}" for n in range(2, 66)))


@pytest.mark.parametrize(
    "questions",
    [QUESTIONS, *(ROOT / "eval" / f"{name}.jsonl" for name in FRESH_SETS)],
    ids=["project", *FRESH_SETS],
)
def test_every_evidence_quote_and_answer_occurs_in_the_corpus(questions):
    corpus = ROOT / "corpus" / "korea-cluster-preparatory-briefing-2018.txt"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "eval" / "check_questions.py"), str(corpus), str(questions)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("OK")
