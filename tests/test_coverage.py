"""The learned coverage check (coverage.py): the packaged model, fitting one, and where it is not used."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import briefqa
from briefqa import coverage
from briefqa.cli import main
from briefqa.engine import Assistant
from briefqa.settings import Settings
from conftest import BRIEFING, ROOT, make_settings


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {
        "BRIEFQA_CORPUS_DIR": str(settings.corpus_dir),
        "BRIEFQA_INDEX_DIR": str(settings.index_dir),
        "BRIEFQA_DATA_DIR": str(settings.data_dir),
    }
    env.update({f"BRIEFQA_{k.upper()}": v for k, v in extra.items()})
    return env


def test_the_packaged_model_was_fitted_for_the_briefing_on_the_project_question_sets(assistant) -> None:
    model = coverage.load(coverage.PACKAGED)
    assert model.corpus == {BRIEFING.name: hashlib.sha256(BRIEFING.read_bytes()).hexdigest()}
    assert model.trained_on and all((ROOT / "eval" / name).is_file() for name in model.trained_on)
    assert model.coef.shape == (1 + len(coverage.FEATURES) + 1 + 384,)
    assert model.memory.shape == (len(model.labels), 384) and 0 < model.labels.mean() < 1
    assert assistant.coverage is not None  # an index of the briefing uses it


def test_the_packaged_model_keeps_one_labelled_vector_per_training_question() -> None:
    model = coverage.load(coverage.PACKAGED)
    kinds = [
        json.loads(line)["kind"]
        for name in model.trained_on
        for line in (ROOT / "eval" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert model.labels.tolist() == [float(k != "unanswerable") for k in kinds]
    assert np.allclose(np.linalg.norm(model.memory.astype(np.float32), axis=1), 1.0, atol=1e-2)


def test_the_neighbours_share_leaves_the_same_question_out_and_far_ones_count_as_the_base_rate() -> None:
    a, b, c = np.eye(3, dtype=np.float32)
    near_a = (a + 0.1 * b) / np.linalg.norm(a + 0.1 * b)
    memory = np.vstack([a, near_a, b, c]).astype("<f2")
    labels = np.array([1.0, 0.0, 1.0, 1.0])  # base rate 0.75
    # a's nearest other question is near_a (unanswerable); a itself is not counted.
    assert coverage.neighbour_share(a[None, :], memory, labels, 1).tolist() == [0.0]
    # b and c are orthogonal to a: no neighbours of it, each counts as the base rate.
    assert coverage.neighbour_share(a[None, :], memory, labels, 2).tolist() == [0.375]
    # A new question near a counts a itself.
    q = (a + 0.05 * c) / np.linalg.norm(a + 0.05 * c)
    assert coverage.neighbour_share(q[None, :], memory, labels, 2).tolist() == [0.5]
    assert coverage.neighbour_share(q[None, :], memory, labels, 0).tolist() == [0.0]


def test_it_declines_unanswerable_questions_the_hand_set_model_answers(built_settings: Settings) -> None:
    """On a set it was fitted on ("What percentage of Korea's exports goes to the EU?", "How many jobs did the Green
    New Deal create?"): the hand-set model alone answers some of them from sentences sharing their words."""
    a = briefqa.assistant(built_settings)
    hand = briefqa.assistant(built_settings.model_copy(update={"coverage_model": "off"}))
    assert a.coverage is not None and "blind12.jsonl" in a.coverage.trained_on
    newly = []
    for line in (ROOT / "eval" / "blind12.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if q["kind"] != "unanswerable":
            continue
        on, off = a.ask(q["question"]), hand.ask(q["question"])
        assert off.coverage is None and on.coverage is not None
        assert on.abstained or not off.abstained  # it only adds abstentions
        if on.abstained and not off.abstained:
            assert not on.citations and on.coverage < a.coverage.threshold
            newly.append(q["id"])
    assert len(newly) >= 3, newly


def test_it_leaves_answerable_questions_answered(assistant) -> None:
    ans = assistant.ask("How many Mini Clusters were in operation by 2017?")
    assert not ans.abstained and ans.coverage is not None and ans.coverage > assistant.coverage.threshold


def test_an_index_of_other_documents_does_not_use_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "busan.md").write_text(
        "# Busan\nBusan hosts a marine cluster with shipyards and logistics firms.\n\n"
        "## Research\nThe Busan marine cluster works with Pukyong National University on ship design.\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path, corpus)
    briefqa.ingest(settings)
    a = Assistant(settings)
    assert a.coverage is None
    ans = a.ask("Which university does the Busan marine cluster work with on ship design?")
    assert not ans.abstained and ans.coverage is None and "Pukyong National University" in ans.answer


def _small_set(path: Path, per_kind: int = 12) -> Path:
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    una = [ln for ln in lines if json.loads(ln)["kind"] == "unanswerable"][:per_kind]
    ans = [ln for ln in lines if json.loads(ln)["kind"] != "unanswerable"][:per_kind]
    path.write_text("\n".join(ans + una) + "\n", encoding="utf-8")
    return path


def test_fit_coverage_writes_a_model_that_answers_for_its_own_threshold(built_settings, tmp_path: Path) -> None:
    questions = _small_set(tmp_path / "small.jsonl")
    out = tmp_path / "model" / "coverage.json"
    res = CliRunner().invoke(
        main, ["fit-coverage", str(questions), "--out", str(out), "--quantile", "0.1"], env=_env(built_settings)
    )
    assert res.exit_code == 0, res.output
    assert "24 questions" in res.output and str(out) in res.output
    model = coverage.load(out)
    assert model.trained_on == ["small.jsonl"] and model.quantile == 0.1 and model.c == 3.0
    assert model.corpus == {BRIEFING.name: hashlib.sha256(BRIEFING.read_bytes()).hexdigest()}
    # Used when named; the probabilities are the model's and at most 10% of the answered answerable ones fall below.
    a = briefqa.assistant(built_settings.model_copy(update={"coverage_model": str(out)}))
    assert a.coverage is not None and np.allclose(a.coverage.coef, model.coef)
    probs = []
    for ln in questions.read_text(encoding="utf-8").splitlines():
        q = json.loads(ln)
        ans = a.ask(q["question"])
        if q["kind"] != "unanswerable" and ans.confidence >= built_settings.abstain_threshold:
            probs.append(ans.coverage)
    assert probs and sum(p < model.threshold - 1e-4 for p in probs) <= 0.1 * len(probs)  # coverage is rounded


def test_fit_coverage_refuses_a_set_without_unanswerable_questions_and_keeps_the_old_file(
    built_settings, tmp_path: Path
) -> None:
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    only = tmp_path / "answerable.jsonl"
    only.write_text("\n".join(ln for ln in lines[:40] if json.loads(ln)["kind"] != "unanswerable") + "\n")
    out = tmp_path / "coverage.json"
    out.write_text("previous", encoding="utf-8")
    res = CliRunner().invoke(main, ["fit-coverage", str(only), "--out", str(out)], env=_env(built_settings))
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and "both answerable and unanswerable" in res.output
    assert out.read_text(encoding="utf-8") == "previous"
    missing = CliRunner().invoke(main, ["fit-coverage", str(tmp_path / "nope.jsonl")], env=_env(built_settings))
    assert missing.exit_code == 2 and "does not exist" in missing.output


@pytest.mark.parametrize("case", ["missing", "corrupt", "too few coefficients", "labels missing"])
def test_a_bad_model_setting_is_a_one_line_error(built_settings, tmp_path: Path, case: str) -> None:
    path = tmp_path / "coverage.json"
    if case == "corrupt":
        path.write_text('{"bias": 1.0, "coef": [', encoding="utf-8")
    elif case == "too few coefficients":
        model = json.loads(coverage.PACKAGED.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**model, "coef": model["coef"][:3]}), encoding="utf-8")
    elif case == "labels missing":
        model = json.loads(coverage.PACKAGED.read_text(encoding="utf-8"))
        neighbours = {**model["neighbours"], "labels": model["neighbours"]["labels"][:-1]}
        path.write_text(json.dumps({**model, "neighbours": neighbours}), encoding="utf-8")
    res = CliRunner().invoke(main, ["ask", "What is BlueOn?"], env=_env(built_settings, coverage_model=str(path)))
    assert res.exit_code == 5, res.output
    assert res.output.strip().count("\n") == 0 and "coverage model" in res.output
