"""The checker benchmark (`briefqa check-bench`): scripted variants through the real checker and LLM client path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefqa.checkbench import citation_forms, number_variants, paraphrases, run_check_bench
from briefqa.cli import main
from briefqa.evaluation import load_questions
from conftest import CORPUS

ROOT = Path(__file__).resolve().parents[1]
FEW = ("q003", "q004", "q008", "q010", "q006")  # four answerable with numbers and names, one unanswerable


@pytest.fixture(scope="module")
def report(assistant):
    qs = [q for q in load_questions(ROOT / "eval" / "questions.jsonl") if q.id in FEW]
    return run_check_bench(assistant, qs, llm_sample=2)


def test_report_counts_every_kind_of_variant(report):
    assert report.questions == 4  # the unanswerable question is left out
    c = report.counts
    for name in ("hallucinated_numbers_caught", "swapped_names_caught", "out_of_range_citations_caught",
                 "correct_sentences_rejected"):
        assert c[name]["total"] > 0, name
        assert 0 <= c[name]["count"] <= c[name]["total"]
    kinds = {v.variant.kind for v in report.verdicts}
    assert kinds == {"verbatim", "paraphrase", "number", "name", "citation"}
    assert len(report.misses) == sum(not v.ok for v in report.verdicts)


def test_out_of_range_citations_are_all_caught(report):
    c = report.counts["out_of_range_citations_caught"]
    assert c["count"] == c["total"]
    for v in report.verdicts:
        if v.variant.kind == "citation":
            assert all(any(f"[{b}]" in p for p in v.problems) for b in v.variant.bad), v
            if not v.variant.valid:
                assert "supported" not in v.statuses


def test_the_llm_client_path_gives_the_same_verdicts(report):
    lp = report.llm_path
    assert lp["questions"] == 2 and lp["variants"] > 0
    assert lp["requests"] == lp["variants"]  # every variant really went through the fake server
    assert lp["agree"] == lp["variants"], lp["disagreements"]


def test_variants_change_what_they_say_they_change():
    sentence = "With a GDP of USD 1,414b in 2016, Korea is the world 15th richest country."
    changed = number_variants(sentence, forbidden={"1414", "2016", "15"})
    assert [c[2] for c in changed] == ["2,414", "25"]
    assert all(c[0] != sentence and c[2] in c[0] for c in changed)
    assert ("opening clause moved to the end",
            "Korea is the world 15th richest country with a GDP of USD 1,414b in 2016.") in paraphrases(sentence)
    marker, bad, valid = citation_forms(2, 5, 1)
    assert marker == "[2][7]" and bad == [7] and valid == [2]


def test_cli_writes_the_reports(built_settings, tmp_path):
    qs = tmp_path / "qs.jsonl"
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    qs.write_text("\n".join(ln for ln in lines if '"q003"' in ln) + "\n", encoding="utf-8")
    env = {"BRIEFQA_INDEX_DIR": str(built_settings.index_dir), "BRIEFQA_DATA_DIR": str(built_settings.data_dir),
           "BRIEFQA_CORPUS_DIR": str(CORPUS)}
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["check-bench", str(qs), "--out", str(out), "--llm-sample", "0"], env=env)
    assert result.exit_code == 0, result.output
    assert "out of range citations caught" in result.output
    summary = json.loads((out / "check-bench.json").read_text(encoding="utf-8"))
    assert summary["questions"] == 1 and summary["counts"]["hallucinated_numbers_caught"]["total"] > 0
    rows = (out / "check-bench-variants.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rows) == sum(c["total"] for k, c in summary["counts"].items() if k in (
        "hallucinated_numbers_caught", "swapped_names_caught", "out_of_range_citations_caught",
        "correct_sentences_rejected"))


def test_cli_missing_question_file_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["check-bench", str(tmp_path / "nope.jsonl")])
    assert result.exit_code != 0
    assert "does not exist" in result.output and "Traceback" not in result.output
