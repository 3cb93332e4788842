"""The Chroma index and the state file that says which of its vectors are live.

Crash safety: vectors are only ever *added* before the state file is replaced
(atomically, by rename); vectors that the new state no longer names are deleted
after. A process killed at any point leaves a state file whose vectors all
exist, so the previous index stays fully queryable.

The collection's name carries the index identity (a hash of the model,
chunking and parser version): changing any of them builds a new collection
instead of mixing vectors.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from briefqa.chunks import chunk_document
from briefqa.documents import MANIFEST, corpus_files, file_sha256, load_corpus
from briefqa.embeddings import Embedder
from briefqa.errors import IndexNotBuilt, IndexUnavailable
from briefqa.settings import Settings
from briefqa.types import Passage, Source

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
BATCH = 32


class SentenceRecord(BaseModel):
    id: str
    passage_id: str
    text: str
    start: int
    end: int
    footnotes: list[int]


class IndexState(BaseModel):
    identity: str
    model: str
    built_at: float
    files: dict[str, str]  # corpus file -> sha256 (manifest included)
    documents: list[dict[str, Any]]
    passages: list[Passage]
    sentences: list[SentenceRecord]
    sources: list[Source]


@dataclass
class IngestReport:
    identity: str
    documents: int
    passages: int
    embedded: int
    removed: int
    unchanged: bool
    seconds: float


def state_path(settings: Settings) -> Path:
    return settings.index_dir / f"state-{settings.index_identity()}.json"


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    url = getattr(settings, "chroma_url", "")
    if url:
        from urllib.parse import urlparse

        u = urlparse(url)
        try:
            return chromadb.HttpClient(
                host=u.hostname or "127.0.0.1", port=u.port or 8000, ssl=u.scheme == "https", settings=chroma_settings
            )
        except ValueError as exc:  # chromadb's "Could not connect to a Chroma server"
            raise IndexUnavailable(
                f"Cannot reach the Chroma server at {url} (BRIEFQA_CHROMA_URL); start it with "
                "`chroma run --path DIR --host HOST --port PORT` or unset BRIEFQA_CHROMA_URL."
            ) from exc
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=chroma_settings)


def _collections(settings: Settings) -> tuple[Any, Any, Any]:
    client = _client(settings)
    ident = settings.index_identity()
    meta = {"hnsw:space": "cosine"}
    passages = client.get_or_create_collection(f"briefqa-{ident}-passages", metadata=meta)
    sentences = client.get_or_create_collection(f"briefqa-{ident}-sentences", metadata=meta)
    return client, passages, sentences


def corpus_fingerprint(settings: Settings) -> dict[str, str]:
    files = {p.relative_to(settings.corpus_dir).as_posix(): file_sha256(p) for p in corpus_files(settings.corpus_dir)}
    # The root manifest and the sources manifests (issue 7) change titles and footnote links.
    for manifest in settings.corpus_dir.rglob(MANIFEST):
        files[manifest.relative_to(settings.corpus_dir).as_posix()] = file_sha256(manifest)
    return files


def read_state(settings: Settings) -> IndexState | None:
    path = state_path(settings)
    if not path.exists():
        return None
    return IndexState.model_validate_json(path.read_text(encoding="utf-8"))


def is_fresh(settings: Settings) -> bool:
    state = read_state(settings)
    return state is not None and state.files == corpus_fingerprint(settings)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _batches(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _add_missing(
    collection: Any,
    items: list[tuple[str, str, dict[str, Any]]],
    embedder: Embedder,
    label: str,
    progress: Progress | None,
) -> int:
    """Embed and add the (id, text, metadata) items the collection lacks."""
    existing = set(collection.get(include=[])["ids"]) if items else set()
    todo = [it for it in items if it[0] not in existing]
    done = 0
    if progress:
        progress(label, 0, len(todo))
    for batch in _batches(todo, BATCH):
        vecs = embedder.embed_texts([t for _, t, _ in batch])
        collection.upsert(
            ids=[i for i, _, _ in batch],
            embeddings=vecs.tolist(),
            documents=[t for _, t, _ in batch],
            metadatas=[m for _, _, m in batch],
        )
        done += len(batch)
        if progress:
            progress(label, done, len(todo))
    return len(todo)


def embed_text(p: Passage) -> str:
    """What the dense index sees: the heading gives short passages their context."""
    return f"{p.heading}\n{p.text}" if p.heading else p.text


def passage_metadata(p: Passage) -> dict[str, Any]:
    """What Chroma stores beside a passage's vector (scalars only: lists become comma-joined strings)."""
    meta: dict[str, Any] = {
        "document": p.document,
        "title": p.title,
        "section": p.section,
        "section_title": p.full_title,
        "footnotes": ",".join(str(n) for n in p.footnotes),
        "start": p.start,
        "end": p.end,
        "kind": p.kind,
    }
    if p.page is not None:  # Chroma metadata cannot hold None
        meta["page"] = p.page
    return meta


def ingest(settings: Settings, progress: Progress | None = None, force: bool = False) -> IngestReport:
    t0 = time.perf_counter()
    fingerprint = corpus_fingerprint(settings)
    state = read_state(settings)
    ident = settings.index_identity()
    if state is not None and state.files == fingerprint and not force and _vectors_complete(settings, state):
        return IngestReport(ident, len(state.documents), len(state.passages), 0, 0, True, time.perf_counter() - t0)

    docs = load_corpus(settings.corpus_dir)
    passages: list[Passage] = []
    sentences: list[SentenceRecord] = []
    sources: list[Source] = []
    for doc in docs:
        for passage, sents in chunk_document(doc, settings.chunk_tokens, settings.chunk_overlap):
            passages.append(passage)
            sentences.extend(SentenceRecord(**s.__dict__) for s in sents)
        sources.extend(doc.sources)
    # Identical passages (repeated text) are stored once.
    seen: set[str] = set()
    passages = [p for p in passages if not (p.id in seen or seen.add(p.id))]  # type: ignore[func-returns-value]

    embedder = Embedder(settings.model_path)
    _, pcol, scol = _collections(settings)
    added = _add_missing(
        pcol,
        [(p.id, embed_text(p), passage_metadata(p)) for p in passages],
        embedder,
        "passages",
        progress,
    )
    sent_items = {s.id: (s.id, s.text, {"passage": s.passage_id}) for s in sentences}
    added += _add_missing(scol, list(sent_items.values()), embedder, "sentences", progress)

    new_state = IndexState(
        identity=ident,
        model=settings.model_name,
        built_at=time.time(),
        files=fingerprint,
        documents=[
            {"file": d.file, "title": d.title, "author": d.author, "date": d.date, "kind": d.kind, "url": d.url}
            for d in docs
        ],
        passages=passages,
        sentences=sentences,
        sources=sources,
    )
    _write_atomic(state_path(settings), new_state.model_dump_json())

    # Only now is it safe to forget what the new state no longer names.
    removed = _prune(pcol, {p.id for p in passages}) + _prune(scol, set(sent_items))
    _drop_other_identities(settings)
    log.info("ingest: %d passages, %d embedded, %d removed", len(passages), added, removed)
    return IngestReport(ident, len(docs), len(passages), added, removed, False, time.perf_counter() - t0)


def _vectors_complete(settings: Settings, state: IndexState) -> bool:
    """Whether the store holds the vectors the state file names.

    The embedded store lives next to the state file and is written before it, so it always does. A Chroma
    server lives apart: it may have been reset, or be a new one, while the state file stayed; the next
    ingest then adds what is missing instead of answering "unchanged".
    """
    if not settings.chroma_url:
        return True
    _, pcol, scol = _collections(settings)
    return bool(pcol.count() == len(state.passages) and scol.count() == len({s.id for s in state.sentences}))


def _prune(collection: Any, live: set[str]) -> int:
    stale = [i for i in collection.get(include=[])["ids"] if i not in live]
    for batch in _batches(stale, 500):
        collection.delete(ids=batch)
    return len(stale)


def _drop_other_identities(settings: Settings) -> None:
    ident = settings.index_identity()
    client = _client(settings)
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        if name.startswith("briefqa-") and not name.startswith(f"briefqa-{ident}-"):
            client.delete_collection(name)
    for path in settings.index_dir.glob("state-*.json"):
        if path.name != state_path(settings).name:
            path.unlink(missing_ok=True)


class StoredIndex:
    """A loaded index: live passages and sentence vectors in memory, dense search in Chroma."""

    def __init__(self, settings: Settings) -> None:
        state = read_state(settings)
        if state is None:
            others = list(settings.index_dir.glob("state-*.json")) if settings.index_dir.exists() else []
            why = (
                "it was built with other settings (model or chunking)" if others else f"{settings.index_dir} has none"
            )
            raise IndexNotBuilt(f"No index to answer from: {why}. Build it with `briefqa ingest` (or `make run`).")
        self.state = state
        self.settings = settings
        _, self.pcol, scol = _collections(settings)
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.store = ChromaVectorStore(chroma_collection=self.pcol)
        self.passages = {p.id: p for p in state.passages}
        self.order = [p.id for p in state.passages]
        ids = [s.id for s in state.sentences]
        got = scol.get(ids=ids, include=["embeddings"]) if ids else {"ids": [], "embeddings": []}
        vec = {i: e for i, e in zip(got["ids"], got["embeddings"], strict=False)}
        missing = [i for i in ids if i not in vec]
        if missing:
            where = "vectors are missing"
            if settings.chroma_url:
                where = f"the Chroma server {settings.chroma_url} lacks vectors the state file names"
            raise IndexNotBuilt(f"The index is incomplete ({where}); rebuild it with `briefqa ingest`.")
        self.sentences = state.sentences
        self.sentence_vecs = np.asarray([vec[i] for i in ids], dtype=np.float32)
        self.by_passage: dict[str, list[int]] = {}
        for k, s in enumerate(state.sentences):
            self.by_passage.setdefault(s.passage_id, []).append(k)

    def dense(self, query_vec: np.ndarray, n: int) -> list[tuple[str, float]]:
        from llama_index.core.vector_stores.types import VectorStoreQuery

        n = min(n + 10, len(self.order))
        try:
            res = self.store.query(VectorStoreQuery(query_embedding=query_vec.tolist(), similarity_top_k=n))
        except Exception as exc:
            if not self.settings.chroma_url:
                raise
            # A Chroma server that went away is a 503 for the client, not an internal error.
            log.warning("Chroma server query failed: %s", exc)
            raise IndexUnavailable(
                f"The Chroma server at {self.settings.chroma_url} did not answer; try again shortly."
            ) from exc
        hits = [(i, float(s)) for i, s in zip(res.ids or [], res.similarities or [], strict=False) if i in self.passages]
        return hits
