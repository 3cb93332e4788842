"""`briefqa eval` end to end: real index, real model, real baseline; bad files through a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefqa.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _small_set(path: Path) -> Path:
    """Two questions of each kind from the project's set, and one with markup in it."""
    rows = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").read_text().splitlines() if line]
    picked = [r for kind in ("fact", "list", "unanswerable") for r in [x for x in rows if x["kind"] == kind][:2]]
    gdp = next(r for r in rows if "1,414b" in json.dumps(r))
    picked.append({**gdp, "id": "markup", "question": "<script>alert(1)</script> " + gdp["question"]})
    path.write_text("".join(json.dumps(r) + "\n" for r in picked), encoding="utf-8")
    return path


def _env(settings) -> dict[str, str]:
    return {
        "BRIEFQA_CORPUS_DIR": str(settings.corpus_dir),
        "BRIEFQA_INDEX_DIR": str(settings.index_dir),
        "BRIEFQA_DATA_DIR": str(settings.data_dir),
    }


@pytest.fixture(scope="module")
def evaluated(built_settings, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eval")
    questions = _small_set(tmp / "small.jsonl")
    out = tmp / "out"
    res = CliRunner().invoke(
        main, ["eval", str(questions), "--out", str(out), "--baseline"], env=_env(built_settings)
    )
    return res, out


def test_eval_writes_results_metrics_summary_and_html(evaluated):
    res, out = evaluated
    assert res.exit_code == 0, res.output
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in results][-1] == "markup" and len(results) == 7
    assert {"answer", "citations", "passages", "timings_ms", "verdicts"} <= set(results[0])
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["briefqa"]["metrics"]["questions"] == 7
    assert set(doc["briefqa"]["by_kind"]) == {"fact", "list", "unanswerable"}
    assert (out / "summary.md").read_text().startswith("# Evaluation summary")
    assert "7 questions" in res.output


def test_the_html_report_is_self_contained_with_plots_and_escaped_text(evaluated):
    _, out = evaluated
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 3 and "<polyline" in page
    assert "<script" not in page and "src=" not in page and "http" not in page.split("<h2>Failed")[0]
    failures = json.loads((out / "metrics.json").read_text())["failures"]
    if any(f["id"] == "markup" for f in failures):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_baseline_runs_side_by_side_with_ratios(evaluated):
    _, out = evaluated
    doc = json.loads((out / "metrics.json").read_text())
    ours, base = doc["briefqa"]["metrics"], doc["baseline"]["metrics"]
    assert base["questions"] == 7 and base["abstention"] == 0.0  # the baseline never abstains
    assert doc["ratios"]["hit@10"] == (round(ours["hit@10"] / base["hit@10"], 3) if base["hit@10"] else None)
    assert len((out / "baseline_results.jsonl").read_text().splitlines()) == 7
    assert "| baseline | ratio |" in (out / "summary.md").read_text()


def test_fail_under_exits_11_and_names_each_metric(built_settings, tmp_path):
    questions = _small_set(tmp_path / "small.jsonl")
    args = ["eval", str(questions), "--out", str(tmp_path / "out"), "-k", "5"]
    res = CliRunner().invoke(main, [*args, "--fail-under", "hit@1=1.01,mrr=1.01", "--fail-under", "hit@10=0"],
                             env=_env(built_settings))  # fmt: skip
    assert res.exit_code == 11, res.output
    assert "hit@1" in res.output and "below its floor 1.01" in res.output and "mrr" in res.output
    assert "hit@10" not in res.output.split("Error:")[1]
    assert (tmp_path / "out" / "metrics.json").exists()  # the report is written before the verdict
    ok = CliRunner().invoke(main, [*args, "--fail-under", "hit@10=0"], env=_env(built_settings))
    assert ok.exit_code == 0, ok.output


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFQA_")}
    return subprocess.run(
        [sys.executable, "-m", "briefqa.cli", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ('{"id": "q2", "question": "Why?", "answers": [], "kind": "unanswerable", "evidence": [], "x": 1}', "x: Extra"),
        ('{"id": "q2", "answers": [], "evidence": [], "kind": "unanswerable"}', "question: Field required"),
        ('{"id": "q1", "question": "Again?", "answers": [], "evidence": [], "kind": "unanswerable"}', "duplicate id"),
        ('{"id": "q2", "question": "Why?", "answers": [], "evidence": [], "kind": "essay"}', "kind must be one of"),
    ],
)
def test_a_bad_question_file_exits_2_naming_the_line(tmp_path, line, message):
    first = '{"id": "q1", "question": "Who?", "answers": [], "evidence": [], "kind": "unanswerable"}'
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{first}\n{line}\n", encoding="utf-8")
    proc = _run_cli("eval", str(path), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:2:" in proc.stderr and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_an_unknown_metric_is_a_clear_error(tmp_path):
    proc = _run_cli("eval", str(ROOT / "eval" / "questions.jsonl"), "--fail-under", "accuracy=0.9", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Unknown metric 'accuracy'" in proc.stderr and "answer_accuracy" in proc.stderr
