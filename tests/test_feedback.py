"""Feedback stored in a real SQLite file, and exported as draft evaluation questions."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from briefqa.cli import main
from briefqa.errors import ConfigError, InputTooLarge, InvalidInput
from briefqa.feedback import Feedback, FeedbackStore, db_path, draft_questions
from conftest import make_settings


def _fb(answer_id: str, rating: str = "down", **kw) -> Feedback:
    base = {"question": "Which ministry supervises it?", "searched": "Which ministry supervises the ICCP?",
            "answer": "The briefing does not cover this question.", "abstained": True}
    return Feedback(answer_id=answer_id, rating=rating, **{**base, **kw})


def test_rating_is_stored_durably_under_the_data_dir(tmp_path):
    settings = make_settings(tmp_path)
    FeedbackStore(settings).record(_fb("a1", comment="wrong ministry"))
    again = FeedbackStore(settings).get("a1")  # a new connection reads it back from disk
    assert db_path(settings).parent == settings.data_dir
    assert again is not None and again.rating == "down" and again.comment == "wrong ministry" and again.abstained
    with sqlite3.connect(db_path(settings)) as conn:
        assert conn.execute("SELECT count(*) FROM feedback").fetchone()[0] == 1


def test_rating_an_answer_again_updates_it_and_keeps_the_comment(tmp_path):
    store = FeedbackStore(make_settings(tmp_path))
    store.record(_fb("a1", "down", comment="too vague"))
    updated = store.record(_fb("a1", "up"))
    assert updated.rating == "up" and updated.comment == "too vague"
    assert len(store.all()) == 1


def test_add_for_the_http_api_returns_an_id(tmp_path):
    store = FeedbackStore(make_settings(tmp_path))
    first = store.add(question="q1", rating="up", user="alice")
    second = store.add(question="q2", rating="down", comment="no")
    assert second > first
    assert [f.user for f in store.all()] == ["alice", ""]


def test_bad_feedback_is_refused_with_a_clear_error(tmp_path):
    store = FeedbackStore(make_settings(tmp_path))
    with pytest.raises(InvalidInput, match="'up' or 'down'"):
        store.add(question="q", rating="meh")
    with pytest.raises(InputTooLarge, match="limit"):
        store.record(_fb("a2", comment="x" * 5000))
    assert store.all() == []


def test_unwritable_data_dir_names_the_setting(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="BRIEFQA_DATA_DIR"):
        FeedbackStore(make_settings(tmp_path).model_copy(update={"data_dir": blocker / "data"}))


def test_drafts_are_thumbs_down_answers_in_the_eval_format(tmp_path):
    store = FeedbackStore(make_settings(tmp_path))
    store.record(_fb("a1", "down", comment="missing MOTIE"))
    store.record(_fb("a2", "up", question="What is the ICCP?", searched="What is the ICCP?"))
    drafts = draft_questions(store.all())
    assert len(drafts) == 1
    d = drafts[0]
    assert d["question"] == "Which ministry supervises the ICCP?"
    assert (d["answers"], d["evidence"], d["kind"]) == ([], [], "fact")
    assert d["id"].startswith("draft") and d["draft"]["comment"] == "missing MOTIE"


def test_cli_feedback_export_writes_jsonl(tmp_path, monkeypatch):
    settings = make_settings(tmp_path)
    store = FeedbackStore(settings)
    store.record(_fb("a1", "down"))
    store.record(_fb("a2", "down", question="And in 2016?", searched="How many mini clusters were there in 2016?"))
    store.record(_fb("a3", "up"))
    monkeypatch.setenv("BRIEFQA_DATA_DIR", str(settings.data_dir))
    out = tmp_path / "drafts.jsonl"
    result = CliRunner().invoke(main, ["feedback", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["question"] for r in rows] == ["Which ministry supervises the ICCP?",
                                             "How many mini clusters were there in 2016?"]
    assert "2 draft questions" in result.output
    to_stdout = CliRunner().invoke(main, ["feedback", "export"])
    assert to_stdout.exit_code == 0 and to_stdout.output.count('"kind": "fact"') == 2
