"""Question sets, verdicts and metrics on hand-written answers whose scores are known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefqa.errors import BelowFloor, InvalidInput
from briefqa.evaluation import (
    Question,
    below_floors,
    check_floors,
    load_questions,
    parse_floors,
    ratios,
    run_eval,
    verdicts,
)
from briefqa.report import html_report, summary_markdown
from briefqa.types import Answer, Citation, RankedPassage, Timings

GDP = Question(
    id="a", question="What was Korea's GDP in 2016?", answers=[["1,414b", "1,414"]],
    evidence=["With a GDP of USD 1,414b in 2016"], kind="fact",
)  # fmt: skip
PARTNERS = Question(
    id="b", question="Which countries take more exports than the EU?", answers=[["China"], ["Vietnam"]],
    evidence=["China, the US and Vietnam"], kind="list",
)  # fmt: skip
NONE = Question(id="c", question="Who won the 2018 World Cup?", kind="unanswerable")
EVIDENCE = "With a GDP of USD 1,414b in 2016, Korea is the world’s 15th richest country."
OTHER = "Innopolis Foundation runs five special R&D zones."


def _answer(text: str, passages: list[str], cited: list[str], abstained: bool = False, ms: float = 10.0) -> Answer:
    return Answer(
        question="q",
        answer=text,
        abstained=abstained,
        citations=[
            Citation(n=i + 1, text=t, document="d", title="t", section="1", section_title="s", page=None, url=None,
                     footnotes=[], sentences=[t])  # fmt: skip
            for i, t in enumerate(cited)
        ],
        passages=[RankedPassage(rank=i + 1, text=t, score=0.5, document="d", section="1") for i, t in enumerate(passages)],
        timings_ms=Timings(retrieve=ms / 2, answer=ms / 2, total=ms),
    )


def test_an_answer_must_match_one_alternative_of_every_group_ignoring_case_quotes_and_spaces():
    v = verdicts(PARTNERS, _answer("CHINA,  the US and  vietnam [1]", [OTHER], [OTHER]))
    assert v["correct"] is True
    v = verdicts(PARTNERS, _answer("China and the US [1]", [OTHER], [OTHER]))
    assert v["correct"] is False
    # Curly quotes in the corpus match straight quotes in the set, and the other way round.
    q = Question(id="x", question="?", answers=[["world's 15th"]], evidence=["the world's 15th richest"], kind="fact")
    v = verdicts(q, _answer(EVIDENCE, [EVIDENCE], [EVIDENCE]))
    assert v["correct"] and v["hit@1"] and v["citation_support"]


def test_metrics_on_a_hand_scored_set():
    answers = {
        # evidence at rank 1, right answer, one of two citations holds evidence, the other neither evidence nor answer
        "a": _answer("1,414b [1] Innopolis [2]", [EVIDENCE, OTHER], [EVIDENCE, OTHER], ms=10),
        # evidence at rank 3, abstained: a false abstention
        "b": _answer("none", [OTHER, OTHER, "China, the US and Vietnam take more"], [], abstained=True, ms=20),
        # unanswerable, abstained: right
        "c": _answer("none", [OTHER], [], abstained=True, ms=30),
    }
    res = run_eval(lambda q: answers[{GDP.question: "a", PARTNERS.question: "b", NONE.question: "c"}[q]],
                   [GDP, PARTNERS, NONE])  # fmt: skip
    m = res["metrics"]
    assert (m["questions"], m["answerable"], m["unanswerable"]) == (3, 2, 1)
    assert m["hit@1"] == 0.5 and m["hit@3"] == 1.0 and m["hit@10"] == 1.0
    assert m["mrr"] == round((1 + 1 / 3) / 2, 4)
    assert m["answer_accuracy"] == 0.5
    assert m["citation_support"] == 1.0  # only the answered question counts
    assert m["citation_precision"] == 0.5
    assert m["abstention"] == 1.0 and m["false_abstention"] == 0.5
    assert m["latency_p50_ms"] == 20.0 and m["latency_p95_ms"] == 30.0
    assert set(res["by_kind"]) == {"fact", "list", "unanswerable"}
    assert res["by_kind"]["list"]["false_abstention"] == 1.0
    assert [f["id"] for f in res["failures"]] == ["b"]
    assert res["failures"][0]["reasons"] == ["false abstention"]
    assert [r["id"] for r in res["results"]] == ["a", "b", "c"] and res["results"][0]["verdicts"]["hit@1"]


def test_an_answered_unanswerable_question_fails_and_counts_against_abstention():
    res = run_eval(lambda q: _answer("Germany [1]", [OTHER], [OTHER]), [NONE])
    assert res["metrics"]["abstention"] == 0.0
    assert res["failures"][0]["reasons"] == ["answered an unanswerable question"]


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps(GDP.model_dump())


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"id": "z", "question": ', "invalid JSON"),
        (json.dumps({"id": "z", "answers": [], "evidence": [], "kind": "fact"}), "question: Field required"),
        (json.dumps({**GDP.model_dump(), "kind": "opinion"}), "kind must be one of"),
        (GOOD, "duplicate id 'a' (first on line 1)"),
        (json.dumps({**GDP.model_dump(), "id": "n", "evidence": []}), "needs answers and evidence"),
    ],
)
def test_a_bad_question_file_names_the_line(tmp_path, bad, message):
    path = _write(tmp_path, [GOOD, "", bad])
    with pytest.raises(InvalidInput) as err:
        load_questions(path)
    assert f"{path}:3:" in str(err.value) and message in str(err.value)


def test_floors_parse_several_per_value_and_reject_unknown_metrics():
    assert parse_floors(["hit@1=0.9", "answer_accuracy=0.85,list.mrr=0.5 false_abstention=0.2"]) == {
        "hit@1": 0.9, "answer_accuracy": 0.85, "list.mrr": 0.5, "false_abstention": 0.2,
    }  # fmt: skip
    for bad in ("accuracy=0.9", "hit@1", "hit@1=high", "opinion.mrr=0.5"):
        with pytest.raises(InvalidInput):
            parse_floors([bad])


def test_floors_fail_below_and_ceilings_fail_above():
    report = {"metrics": {"hit@1": 0.8, "false_abstention": 0.3}, "by_kind": {"list": {"mrr": 0.4}}}
    assert below_floors(report, {"hit@1": 0.8, "false_abstention": 0.3, "list.mrr": 0.4}) == []
    failed = below_floors(report, {"hit@1": 0.81, "false_abstention": 0.25, "list.mrr": 0.5, "fact.mrr": 0.1})
    assert failed == [
        "hit@1 0.8 is below its floor 0.81",
        "false_abstention 0.3 is above its ceiling 0.25",
        "list.mrr 0.4 is below its floor 0.5",
        "fact.mrr was not measured (no question of that kind)",
    ]
    with pytest.raises(BelowFloor) as err:
        check_floors(report, {"hit@1": 0.9})
    assert err.value.exit_code == 11


def test_ratios_divide_by_the_baseline_and_skip_zero():
    assert ratios({"hit@1": 0.8, "mrr": 0.5, "questions": 3}, {"hit@1": 0.4, "mrr": 0.0, "questions": 3}) == {
        "hit@1": 2.0, "mrr": None,
    }  # fmt: skip


def test_reports_escape_corpus_and_question_text():
    evil = Question(id="<i>", question="<script>alert(1)</script>", answers=[["zebra"]], evidence=["<b>bold quote</b>"],
                    kind="fact")  # fmt: skip
    res = run_eval(lambda q: _answer("<img src=x onerror=alert(1)> [1]", [OTHER], ["<iframe>"]), [evil])
    ev = {"questions": "set.jsonl", "top_k": 10, "index": "i", "briefqa": res, "baseline": None, "ratios": None}
    page = html_report(ev)
    assert "<script>" not in page and "<img" not in page and "<iframe>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;iframe&gt;" in page
    assert page.count("<svg") == 3
    assert "<script>alert(1)</script>" in summary_markdown(ev)  # the failure is listed in the summary too
