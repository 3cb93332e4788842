"""Token-aware chunks (Passages) that never cross a section boundary.

Sentences come from NLTK's punkt model as shipped inside llama-index; token
counts from tiktoken's cl100k_base as shipped inside llama-index, so nothing
is downloaded.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from briefqa.briefing import Block
from briefqa.documents import Document
from briefqa.types import Passage


@dataclass
class Sentence:
    id: str
    passage_id: str
    text: str
    start: int  # offset within the passage text
    end: int
    footnotes: list[int]


ABBREVIATIONS = {"e.g", "i.e", "cf", "approx", "incl", "fig", "ca", "resp", "viz"}


@lru_cache(maxsize=1)
def _punkt() -> object:
    import llama_index.core
    import nltk

    cache = os.path.join(os.path.dirname(llama_index.core.__file__), "_static", "nltk_cache")
    if cache not in nltk.data.path:
        nltk.data.path.insert(0, cache)
    from nltk.tokenize import PunktTokenizer

    tok = PunktTokenizer("english")
    # The shipped model splits after "e.g." and "i.e.", cutting examples off the sentence they belong to.
    tok._params.abbrev_types.update(ABBREVIATIONS)
    return tok


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans; figure captions and list lines (newline-separated) stay apart."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        for a, b in _punkt().span_tokenize(line):  # type: ignore[attr-defined]
            spans.append((pos + a, pos + b))
        pos += len(line) + 1
    return spans


@lru_cache(maxsize=1)
def token_counter() -> Callable[[str], int]:
    from llama_index.core.utils import get_tokenizer

    enc = get_tokenizer()
    return lambda s: len(enc(s))


def _hash(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:20]


def chunk_block(
    doc: Document, block: Block, page: int | None, max_tokens: int, overlap: int, kind: str = "body"
) -> list[tuple[Passage, list[Sentence]]]:
    count = token_counter()
    spans = sentence_spans(block.text)
    sizes = [count(block.text[a:b]) for a, b in spans]
    out: list[tuple[Passage, list[Sentence]]] = []
    i = 0
    while i < len(spans):
        j = i + 1
        # Count the joined span itself: the spaces between sentences are tokens too.
        while j < len(spans) and count(block.text[spans[i][0] : spans[j][1]]) <= max_tokens:
            j += 1
        a, b = spans[i][0], spans[j - 1][1]
        text = block.text[a:b]
        raw_start, raw_end = block.raw_span(a, b)
        pid = _hash(doc.file, block.section, block.subsection, raw_start, text)
        passage = Passage(
            id=pid,
            text=text,
            document=doc.file,
            title=doc.title,
            section=block.section,
            section_title=block.section_title,
            subsection=block.subsection,
            footnotes=block.footnotes_between(a, b),
            start=raw_start,
            end=raw_end,
            page=page,
            kind=kind,
            url=doc.url,
        )
        sents = [
            Sentence(
                id=_hash(pid, sa, sb),
                passage_id=pid,
                text=block.text[sa:sb],
                start=sa - a,
                end=sb - a,
                footnotes=block.footnotes_between(sa, sb),
            )
            for sa, sb in spans[i:j]
        ]
        out.append((passage, sents))
        if j >= len(spans):
            break
        # Step back over trailing sentences that fit in the overlap budget.
        k, back = j, 0
        while k - 1 > i and back + sizes[k - 1] <= overlap:
            back += sizes[k - 1]
            k -= 1
        i = k
    return out


def chunk_document(doc: Document, max_tokens: int, overlap: int) -> list[tuple[Passage, list[Sentence]]]:
    out: list[tuple[Passage, list[Sentence]]] = []
    for block, page in zip(doc.blocks, doc.pages or [None] * len(doc.blocks), strict=False):
        out.extend(chunk_block(doc, block, page, max_tokens, overlap))
    for q in doc.quotations:
        out.extend(chunk_block(doc, q, None, max_tokens, overlap, kind="footnote"))
    if doc.quotations:
        by_title = {q.section_title: q for q in doc.quotations}
        for passage, _ in out:
            if passage.kind == "footnote" and passage.section_title in by_title:
                number = int(passage.section_title.split()[-1])
                passage.footnotes = [number]
    if doc.kind == "source":
        # A source's passages point back to the footnotes that cite it (two hops).
        for passage, _ in out:
            passage.kind = "source"
            passage.footnotes = list(doc.cited_by)
    return out
