"""Shared fixtures: the real packaged model, real Chroma in temporary folders.

The briefing is ingested once per test session into a temporary index; tests
that change the corpus make their own copy.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
BRIEFING = CORPUS / "korea-cluster-preparatory-briefing-2018.txt"


@pytest.fixture(autouse=True)
def _no_user_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read a developer's BRIEFQA_ variables."""
    for key in list(os.environ):
        if key.startswith("BRIEFQA_"):
            monkeypatch.delenv(key)


def make_settings(tmp: Path, corpus: Path | None = None, **kw: object):
    from briefqa.settings import Settings

    return Settings(
        corpus_dir=corpus or CORPUS, index_dir=tmp / "index", data_dir=tmp / "data", _env_file=None, **kw
    )


def copy_corpus(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for p in CORPUS.iterdir():
        if p.is_file():
            shutil.copy2(p, dest / p.name)
    return dest


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory):
    """Settings whose index holds the briefing, built once per session."""
    import briefqa

    tmp = tmp_path_factory.mktemp("built")
    settings = make_settings(tmp)
    briefqa.ingest(settings)
    return settings


@pytest.fixture(scope="session")
def assistant(built_settings):
    import briefqa

    return briefqa.assistant(built_settings)
