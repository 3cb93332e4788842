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

    return Settings(corpus_dir=corpus or CORPUS, index_dir=tmp / "index", data_dir=tmp / "data", _env_file=None, **kw)


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


def children(parent: int) -> list[int]:
    """Running (not zombie) processes whose parent is ``parent``, from /proc."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
