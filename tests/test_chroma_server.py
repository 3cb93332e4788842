"""Chroma as a server (BRIEFQA_CHROMA_URL): a real `chroma run` process, ingest into it, answer through two workers.

A small corpus keeps the embedding to seconds; the code path is the same as for the briefing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

import briefqa
from briefqa.loadtest import ServerProcess, free_port
from conftest import make_settings

CHROMA = Path(sys.executable).parent / "chroma"
NOTE = """# Daedeok Innopolis

## Research district

Daedeok Innopolis is a research and development district in Daejeon, South Korea.
It was founded in 1973 to bring government research institutes together in one place.
More than twenty government-funded research institutes are located in the district today.

## Companies

Over 1,600 technology companies have settled in Daedeok Innopolis since the 2000s.
Many of them are spin-offs of the research institutes and of the Korea Advanced Institute of Science and Technology.

## Governance

The Innopolis Foundation manages the district and supports the commercialisation of research results.
The foundation is supervised by the Ministry of Science and ICT.
"""
QUESTIONS = (
    "Where is Daedeok Innopolis?",
    "How many technology companies have settled in Daedeok Innopolis?",
    "Which ministry supervises the Innopolis Foundation?",
)


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    if not CHROMA.exists():
        pytest.skip(f"no Chroma server command at {CHROMA} (it comes with the chromadb package)")
    tmp = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    with open(tmp / "chroma.log", "wb") as out:
        proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(tmp / "data"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/v2/heartbeat", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"chroma run did not start: {(tmp / 'chroma.log').read_text(errors='replace')[-2000:]}")
    yield url, proc
    proc.terminate()
    proc.wait(20)


@pytest.fixture(scope="module")
def settings(chroma: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("chroma-client")
    corpus = tmp / "corpus"
    corpus.mkdir()
    (corpus / "daedeok.md").write_text(NOTE, encoding="utf-8")
    return make_settings(tmp, corpus=corpus, chroma_url=chroma[0])


def test_ingest_writes_vectors_to_the_server_and_only_the_state_file_locally(settings: Any) -> None:
    import chromadb

    report = briefqa.ingest(settings)
    assert not report.unchanged and report.embedded > report.passages > 0
    assert [p.name for p in settings.index_dir.iterdir()] == [f"state-{settings.index_identity()}.json"]
    url = httpx.URL(settings.chroma_url)
    names = {c.name for c in chromadb.HttpClient(host=url.host, port=url.port).list_collections()}
    assert f"briefqa-{report.identity}-passages" in names and f"briefqa-{report.identity}-sentences" in names
    assert briefqa.ingest(settings).unchanged


def test_a_reset_server_is_refilled_by_the_next_ingest(settings: Any) -> None:
    import chromadb

    briefqa.ingest(settings)
    url = httpx.URL(settings.chroma_url)
    client = chromadb.HttpClient(host=url.host, port=url.port)
    client.delete_collection(f"briefqa-{settings.index_identity()}-passages")  # the server lost its data
    report = briefqa.ingest(settings)
    assert not report.unchanged and report.embedded == report.passages
    assert "[1]" in briefqa.ask(QUESTIONS[0], settings).answer


def test_two_workers_share_the_chroma_server_and_the_state_file(settings: Any, tmp_path: Path) -> None:
    briefqa.ingest(settings)
    expected = {q: briefqa.ask(q, settings) for q in QUESTIONS}
    env = {
        "BRIEFQA_CHROMA_URL": settings.chroma_url,
        "BRIEFQA_INDEX_DIR": str(settings.index_dir),  # every worker reads the state file from here
        "BRIEFQA_CORPUS_DIR": str(settings.corpus_dir),
        "BRIEFQA_DATA_DIR": str(tmp_path / "data"),
        "BRIEFQA_WORKERS": "2",
        "BRIEFQA_UI_PATH": "",
        "BRIEFQA_API_OPEN": "true",
        "BRIEFQA_RATE_LIMIT_ADDRESS": "0",
    }
    with ServerProcess(env, log_path=tmp_path / "server.log") as server:
        server.start("/readyz", timeout=240)
        # Fresh connections land on either worker; each answers /readyz only with the state file read
        # and the Chroma server queried.
        ready: dict[int, str] = {}
        deadline = time.monotonic() + 120
        while len(ready) < 2 and time.monotonic() < deadline:
            resp = httpx.get(server.url + "/readyz", timeout=60)
            if resp.status_code == 200:
                ready[resp.json()["pid"]] = resp.json()["index"]
        assert len(ready) == 2, (tmp_path / "server.log").read_text()
        assert set(ready.values()) == {settings.index_identity()}

        def ask(q: str) -> dict[str, Any]:
            resp = httpx.post(server.url + "/api/v1/ask", json={"question": q}, timeout=60)
            assert resp.status_code == 200, resp.text
            return dict(resp.json())

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(ask, [q for q in QUESTIONS for _ in range(4)]))
        for got in answers:
            want = expected[got["question"]]
            assert got["answer"] == want.answer and "[1]" in got["answer"]
            assert [c["text"] for c in got["citations"]] == [c.text for c in want.citations]


def test_a_stopped_chroma_server_is_a_503_naming_the_setting(settings: Any, chroma: Any, tmp_path: Path) -> None:
    from briefqa.errors import IndexUnavailable
    from briefqa.index import StoredIndex

    briefqa.ingest(settings)
    index = StoredIndex(settings)  # loaded while the server runs
    url, proc = chroma
    proc.terminate()
    proc.wait(20)
    with pytest.raises(IndexUnavailable, match="Chroma server") as err:
        index.dense(index.sentence_vecs[0], 3)
    assert err.value.http_status == 503
    with pytest.raises(IndexUnavailable, match="BRIEFQA_CHROMA_URL"):
        briefqa.ingest(settings, force=True)
