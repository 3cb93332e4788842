"""The plain llama-index pipeline a user would write first, to measure briefqa against.

``SimpleDirectoryReader`` over the corpus folder (plain text, no parsing or
cleaning), ``VectorStoreIndex`` with llama-index's default ``SentenceSplitter``,
the same packaged embedding model through ``HuggingFaceEmbedding``, dense
retrieval only, top 10. There is no LLM offline, so its "answer" is the text of
its top retrieved node, cited as passage 1; it never abstains. It yields
briefqa ``Answer`` objects, so the same verdicts and metrics apply to both.

Nothing here reaches the network: the embedding model is passed explicitly (no
OpenAI default), no LLM or query engine is built, and the splitter's tiktoken
encoding comes from the cache bundled with llama-index (``get_tokenizer``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from briefqa.embeddings import load_embedder
from briefqa.errors import CorpusError, IndexNotBuilt
from briefqa.settings import Settings, configure_offline
from briefqa.types import Answer, Citation, RankedPassage, Timings

log = logging.getLogger(__name__)

# briefqa's corpus formats; HTML is read as plain text, as SimpleDirectoryReader does.
EXTENSIONS = [".txt", ".md", ".pdf", ".html", ".htm"]


def _pdf_reader() -> Any:
    """Page-per-document pypdf text, as llama-index-readers-file's PDFReader (not installed here) gives."""
    from llama_index.core import Document
    from llama_index.core.readers.base import BaseReader

    class PdfPages(BaseReader):
        def load_data(self, file: Path, extra_info: dict[str, Any] | None = None, **_: Any) -> list[Document]:
            from pypdf import PdfReader

            pages = PdfReader(str(file)).pages
            return [
                Document(text=page.extract_text() or "", metadata={**(extra_info or {}), "page_label": str(i + 1)})
                for i, page in enumerate(pages)
            ]

    return PdfPages()


class Baseline:
    """A built or loaded plain llama-index vector index with a top-k dense retriever."""

    def __init__(self, index: Any, top_k: int = 10, build_seconds: float = 0.0) -> None:
        self.index = index
        self.top_k = top_k
        self.build_seconds = build_seconds
        self.retriever = index.as_retriever(similarity_top_k=top_k)

    @classmethod
    def build(cls, settings: Settings, top_k: int = 10, persist_dir: Path | None = None) -> Baseline:
        """Read, split and embed the corpus (every time: this pipeline cannot tell what changed)."""
        configure_offline()
        from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex

        # It warns about llama-index-readers-file on every file; the one reader we need is given below.
        logging.getLogger("llama_index.core.readers.file.base").setLevel(logging.ERROR)
        t0 = time.perf_counter()
        embed = load_embedder(str(settings.model_path))
        try:
            docs = SimpleDirectoryReader(
                input_dir=str(settings.corpus_dir),
                recursive=True,
                required_exts=EXTENSIONS,
                file_extractor={".pdf": _pdf_reader()},
            ).load_data()
        except ValueError as exc:  # no folder, or no file it can read
            raise CorpusError(f"The baseline cannot read {settings.corpus_dir}: {exc}") from exc
        index = VectorStoreIndex.from_documents(
            docs, embed_model=embed, storage_context=StorageContext.from_defaults()
        )
        if persist_dir is not None:
            index.storage_context.persist(persist_dir=str(persist_dir))
        seconds = time.perf_counter() - t0
        log.info("baseline: %d documents, %d nodes in %.1f s", len(docs), len(index.docstore.docs), seconds)
        return cls(index, top_k, seconds)

    @classmethod
    def load(cls, settings: Settings, persist_dir: Path, top_k: int = 10) -> Baseline:
        """The index as the llama-index starter tutorial reloads it from disk."""
        configure_offline()
        from llama_index.core import StorageContext, load_index_from_storage

        if not (persist_dir / "docstore.json").exists():
            raise IndexNotBuilt(f"No baseline index in {persist_dir}; build it first.")
        embed = load_embedder(str(settings.model_path))
        storage = StorageContext.from_defaults(persist_dir=str(persist_dir))
        return cls(load_index_from_storage(storage, embed_model=embed), top_k)

    @property
    def nodes(self) -> int:
        return len(self.index.docstore.docs)

    def ask(self, question: str) -> Answer:
        t0 = time.perf_counter()
        hits = self.retriever.retrieve(question)
        t1 = time.perf_counter()
        passages = []
        for rank, h in enumerate(hits, start=1):
            meta = h.node.metadata
            passages.append(
                RankedPassage(
                    rank=rank,
                    text=h.node.get_content(),
                    score=round(float(h.score or 0.0), 6),
                    document=str(meta.get("file_name", "")),
                    section="",
                    id=h.node.node_id,
                )
            )
        citations = []
        if passages:
            top = passages[0]
            citations.append(
                Citation(
                    n=1,
                    text=top.text,
                    document=top.document,
                    title=top.document,
                    section="",
                    section_title="",
                    page=None,
                    url=None,
                    footnotes=[],
                    sentences=[top.text],
                    passage_id=top.id,
                )
            )
        t2 = time.perf_counter()
        return Answer(
            question=question,
            answer=f"{passages[0].text} [1]" if passages else "",
            abstained=False,
            citations=citations,
            passages=passages,
            timings_ms=Timings(
                retrieve=round((t1 - t0) * 1000, 2), answer=round((t2 - t1) * 1000, 2), total=round((t2 - t0) * 1000, 2)
            ),
            searched=question,
            mode="baseline",
            index="llama-index-baseline",
        )
