"""Chunks, Chroma metadata, incremental ingest, identity changes and a killed ingest."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest

import briefqa
from briefqa import index
from briefqa.chunks import token_counter
from briefqa.errors import IndexNotBuilt
from briefqa.settings import Settings
from conftest import BRIEFING, ROOT, copy_corpus, make_settings

TINY = {
    "busan.md": "# Busan\nBusan hosts a marine cluster with shipyards and logistics firms.\n\n"
    "## Research\nThe Busan marine cluster works with Pukyong National University on ship design.\n",
    "daegu.txt": "Daegu is known for its textile cluster. The Daegu textile complex was modernised in 1999.\n",
    "osong.md": "# Osong\nOsong is a biotechnology cluster near Cheongju with a medical innovation foundation.\n",
}


def tiny_corpus(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in TINY.items():
        (dest / name).write_text(text, encoding="utf-8")
    return dest


def ids_by_document(state: index.IndexState) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in state.passages:
        out.setdefault(p.document, set()).add(p.id)
    return out


def chroma_ids(settings: Settings) -> tuple[set[str], set[str]]:
    _, pcol, scol = index._collections(settings)
    return set(pcol.get(include=[])["ids"]), set(scol.get(include=[])["ids"])


# The briefing's index (built once per session) -------------------------------------------------


def test_passage_spans_map_back_to_the_original_text(built_settings: Settings) -> None:
    raw = BRIEFING.read_text(encoding="utf-8")
    state = index.read_state(built_settings)
    assert state is not None
    body = [p for p in state.passages if p.document == BRIEFING.name]
    assert len(body) > 50
    for p in body:
        seg = raw[p.start : p.end]
        assert seg[:1] == p.text[:1] and seg[-1:] == p.text[-1:], (p.text[:40], seg[:40])
        # Every character of the passage appears in the span, in order (the span may hold
        # footnote text and markers the passage left out, and line breaks where it has spaces).
        rest = iter(re.sub(r"\s", "", seg))
        assert all(ch in rest for ch in re.sub(r"\s", "", p.text)), p.text[:60]


def test_chunks_are_token_bounded_and_never_cross_a_section_boundary(built_settings: Settings) -> None:
    raw = BRIEFING.read_text(encoding="utf-8")
    heading_lines = [m.start() for m in re.finditer(r"^ ?[1-5]\.(?:[1-5]\.?)?(?: .*)?$", raw, re.M)]
    assert len(heading_lines) == 15
    state = index.read_state(built_settings)
    assert state is not None
    count = token_counter()
    by_passage: dict[str, int] = {}
    for s in state.sentences:
        by_passage[s.passage_id] = by_passage.get(s.passage_id, 0) + 1
    for p in state.passages:
        if p.kind != "body":
            continue
        assert not any(p.start < h < p.end for h in heading_lines), (p.section, p.text[:60])
        if by_passage[p.id] > 1:  # a single over-long sentence is kept whole
            assert count(p.text) <= built_settings.chunk_tokens
    sections = {p.section for p in state.passages if p.kind == "body"}
    assert {"1", "2", "2.1", "3.1", "3.2", "3.3", "4", "5.1", "5.3"} <= sections


def test_chroma_metadata_names_document_section_footnotes_span_and_page(built_settings: Settings) -> None:
    state = index.read_state(built_settings)
    assert state is not None
    trade = next(p for p in state.passages if "third largest export destination" in p.text)
    _, pcol, _ = index._collections(built_settings)
    got = pcol.get(ids=[trade.id], include=["metadatas", "documents"])
    meta = got["metadatas"][0]
    assert meta["document"] == BRIEFING.name
    assert meta["title"] == "Cluster landscape in the Republic of Korea: preparatory briefing"
    assert meta["section"] == "1"
    assert meta["section_title"].startswith("Korean Economy: focus on sectoral trends")
    assert {3, 4} <= {int(n) for n in meta["footnotes"].split(",")}
    assert (meta["start"], meta["end"]) == (trade.start, trade.end)
    assert "page" not in meta  # the text file has no pages; PDF passages carry one (test_documents)
    assert trade.text in got["documents"][0]


def test_footnote_quotations_are_indexed_as_passages_of_their_footnote(built_settings: Settings) -> None:
    state = index.read_state(built_settings)
    assert state is not None
    quoted = [p for p in state.passages if p.kind == "footnote" and p.footnotes == [26]]
    assert quoted and quoted[0].text.startswith("“In recent years, the government")
    src = {s.number: s for s in state.sources}
    assert src[26].has_content


# Incremental ingest on a tiny corpus --------------------------------------------------------------


def test_incremental_ingest_embeds_only_what_changed(tmp_path: Path) -> None:
    corpus = tiny_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path, corpus)
    first = briefqa.ingest(settings)
    assert not first.unchanged and first.documents == 3 and first.embedded > 0
    state1 = index.read_state(settings)
    assert state1 is not None
    before = ids_by_document(state1)

    again = briefqa.ingest(settings)
    assert again.unchanged and again.embedded == 0

    # One document changes: only its own passages and sentences are embedded.
    (corpus / "daegu.txt").write_text(
        "Daegu is known for its textile cluster. Since 2015 it also hosts a medical device cluster.\n",
        encoding="utf-8",
    )
    changed = briefqa.ingest(settings)
    state2 = index.read_state(settings)
    assert state2 is not None
    after = ids_by_document(state2)
    assert after["busan.md"] == before["busan.md"] and after["osong.md"] == before["osong.md"]
    assert after["daegu.txt"].isdisjoint(before["daegu.txt"])
    new_sentences = [s for s in state2.sentences if s.passage_id in after["daegu.txt"]]
    assert changed.embedded == len(after["daegu.txt"]) + len(new_sentences)
    assert changed.removed == len(before["daegu.txt"]) + sum(
        1 for s in state1.sentences if s.passage_id in before["daegu.txt"]
    )

    # A removed document's passages leave the state and Chroma.
    (corpus / "osong.md").unlink()
    removed = briefqa.ingest(settings)
    assert removed.embedded == 0 and removed.documents == 2
    state3 = index.read_state(settings)
    assert state3 is not None
    assert "osong.md" not in ids_by_document(state3)
    passage_ids, sentence_ids = chroma_ids(settings)
    assert passage_ids == {p.id for p in state3.passages}
    assert sentence_ids == {s.id for s in state3.sentences}
    ans = briefqa.assistant(settings).ask("Which city hosts a biotechnology cluster?")
    assert all(p.document != "osong.md" for p in ans.passages)


def test_changing_chunk_size_rebuilds_into_a_new_identity(tmp_path: Path) -> None:
    corpus = tiny_corpus(tmp_path / "corpus")
    old = make_settings(tmp_path, corpus)
    first = briefqa.ingest(old)
    new = make_settings(tmp_path, corpus, chunk_tokens=64)
    assert new.index_identity() != old.index_identity()

    rebuilt = briefqa.ingest(new)
    assert rebuilt.identity == new.index_identity() != first.identity
    assert not rebuilt.unchanged and rebuilt.embedded > 0
    assert [p.name for p in (tmp_path / "index").glob("state-*.json")] == [f"state-{rebuilt.identity}.json"]
    client = index._client(new)
    names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    assert names == {f"briefqa-{rebuilt.identity}-passages", f"briefqa-{rebuilt.identity}-sentences"}
    assert briefqa.assistant(new).ask("Which university works with the Busan marine cluster?").passages
    with pytest.raises(IndexNotBuilt, match="other settings.*briefqa ingest"):
        index.StoredIndex(old)


# A real `briefqa ingest` killed while embedding ---------------------------------------------------


def _added_document() -> str:
    """A document whose 100 sentences take several batches to embed."""
    places = ["Pohang", "Changwon", "Ulsan", "Gunsan", "Wonju"]
    topics = ["steel", "machinery", "cars", "batteries", "sensors", "photonics", "robots", "drones", "ships", "food"]
    paras = []
    for i, place in enumerate(places):
        for j, topic in enumerate(topics):
            paras.append(
                f"In {2000 + i + j} the {place} complex opened a {topic} workshop number {i * 10 + j}. "
                f"Its {topic} firms employed {100 + 7 * i + j} people in {place}."
            )
    return "# Regional workshops\n" + "\n\n".join(paras) + "\n"


def test_killed_ingest_leaves_the_previous_index_queryable_and_a_rerun_completes(
    built_settings: Settings, tmp_path: Path
) -> None:
    corpus = copy_corpus(tmp_path / "corpus")
    shutil.copytree(built_settings.index_dir, tmp_path / "index")
    settings = make_settings(tmp_path, corpus)
    old_state_file = index.state_path(settings)
    old_bytes = old_state_file.read_bytes()
    (corpus / "workshops.md").write_text(_added_document(), encoding="utf-8")

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BRIEFQA_")},
        "BRIEFQA_CORPUS_DIR": str(corpus),
        "BRIEFQA_INDEX_DIR": str(tmp_path / "index"),
        "BRIEFQA_DATA_DIR": str(tmp_path / "data"),
    }
    cli = [str(ROOT / ".venv" / "bin" / "briefqa"), "ingest"]
    proc = subprocess.Popen(cli, env=env, cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    seen: list[str] = []
    watchdog = threading.Timer(240, proc.kill)  # a hung ingest fails the test instead of blocking it
    watchdog.start()
    try:
        assert proc.stderr is not None
        # Passages are embedded first, then sentences: killing at the sentence stage leaves new
        # passage vectors in Chroma that no state file names yet.
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("Embedding") and "sentences" in line:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen

    # The previous index is untouched and fully queryable; the orphan vectors are invisible.
    assert old_state_file.read_bytes() == old_bytes
    passage_ids, _ = chroma_ids(settings)
    old_ids = {p.id for p in index.read_state(settings).passages}  # type: ignore[union-attr]
    orphans = passage_ids - old_ids
    assert orphans, "the killed ingest had written no vectors yet"
    ans = briefqa.assistant(settings).ask("In which city is the FOODPOLIS food cluster?")
    assert not ans.abstained
    assert "Iksan" in ans.answer
    assert all(p.id in old_ids for p in ans.passages)

    # A re-run completes and reuses the passage vectors the killed run had written.
    rerun = subprocess.run(cli, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    state = index.read_state(settings)
    assert state is not None
    added = {p.id for p in state.passages if p.document == "workshops.md"}
    assert added and added <= orphans
    embedded = int(re.search(r"(\d+) embedded", rerun.stdout).group(1))  # type: ignore[union-attr]
    assert 0 < embedded <= sum(1 for s in state.sentences if s.passage_id in added)
    assert json.loads(index.state_path(settings).read_text())["identity"] == settings.index_identity()
