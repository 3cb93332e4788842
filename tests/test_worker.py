"""The question encoder without sentence-transformers, and the assistant in a child process (app.py's set-up)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from briefqa.embeddings import Embedder, QueryEncoder
from briefqa.errors import IndexNotBuilt, InvalidInput
from briefqa.worker import AssistantProcess
from conftest import children, make_settings

ROOT = Path(__file__).resolve().parents[1]


def _questions(n: int) -> list[str]:
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()][:n]


def test_question_encoder_gives_the_sentence_transformers_vectors(built_settings):
    emb = Embedder(built_settings.model_path)
    assert emb.query_encoder is not None, "the packaged all-MiniLM-L6-v2 folder should use the light encoder"
    questions = [*_questions(40), "KICOX", "x " * 400]  # a one-token name and a question past 256 tokens
    light = np.stack([emb.embed_query(q) for q in questions])
    st = emb.model._model.encode(questions, normalize_embeddings=True, convert_to_numpy=True)
    assert light.shape == st.shape == (len(questions), 384)
    assert float(np.abs(light - st).max()) < 1e-5
    batch = emb.query_encoder.encode(questions[:8])  # padded batch: the mask keeps padding out of the mean
    assert float(np.abs(batch - st[:8]).max()) < 1e-5


def test_a_model_folder_of_another_layout_uses_sentence_transformers(built_settings, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(built_settings.model_path, folder)
    pooling = folder / "1_Pooling" / "config.json"
    cfg = json.loads(pooling.read_text(encoding="utf-8"))
    pooling.write_text(json.dumps({**cfg, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    assert QueryEncoder.load(str(folder)) is None
    emb = Embedder(folder)
    vec = emb.embed_query("What is the ICCP?")
    st = emb.model._model.encode(["What is the ICCP?"], normalize_embeddings=True, convert_to_numpy=True)[0]
    assert float(np.abs(vec - st).max()) < 1e-6  # CLS pooling: the answer of sentence-transformers itself


@pytest.fixture(scope="module")
def engine(built_settings):
    proc = AssistantProcess(built_settings)
    proc.wait_ready(timeout=120)
    yield proc
    proc.close()


def _children() -> list[int]:
    """This process's answering children (not the multiprocessing resource tracker)."""
    return [
        pid
        for pid in children(os.getpid())
        if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text("utf-8", "replace")
    ]


def test_the_child_answers_as_the_library_does(engine, assistant):
    for q in ["What is the ICCP?", "How many Mini Clusters were there in 2016?", "What is the capital of France?"]:
        got, want = engine.ask(q, k=5), assistant.ask(q, k=5)
        assert (got.answer, got.abstained) == (want.answer, want.abstained)
        assert [c.passage_id for c in got.citations] == [c.passage_id for c in want.citations]
        assert [p.id for p in got.passages] == [p.id for p in want.passages]
    follow = engine.ask("Which ministry supervises it?", searched="Which ministry supervises the ICCP?")
    assert follow.searched == "Which ministry supervises the ICCP?"


def test_errors_in_the_child_arrive_as_the_same_errors(engine):
    with pytest.raises(InvalidInput, match="empty"):
        engine.ask("   ")


def test_a_killed_child_is_replaced_and_the_question_answered(engine):
    before = _children()
    assert before, "the answering process should be a child of this one"
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    ans = engine.ask("What is the ICCP?")
    assert not ans.abstained and ans.citations
    after = _children()
    assert after and not set(after) & set(before)


def test_loading_without_an_index_says_how_to_build_it(tmp_path):
    proc = AssistantProcess(make_settings(tmp_path))
    try:
        with pytest.raises(IndexNotBuilt, match="briefqa ingest"):
            proc.wait_ready(timeout=120)
        with pytest.raises(IndexNotBuilt, match="briefqa ingest"):
            proc.ask("What is the ICCP?")
    finally:
        proc.close()
