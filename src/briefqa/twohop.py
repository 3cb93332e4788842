"""Two hops: from a briefing claim, through its footnote, to the passage of the source that backs it.

Source passages are indexed with the footnotes they serve (``Passage.kind ==
"source"``). For every footnote of a cited briefing passage whose source is
indexed, the source passage with the sentence closest to the claim (the
sentence carrying the footnote marker) is attached to the citation, and the
figures of the two sentences are compared: a year or a figure with the same
unit that differs is flagged as a mismatch.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from briefqa.types import FootnoteRef, Mismatch, SourcePassage

if TYPE_CHECKING:
    from briefqa.index import StoredIndex

# A figure: digits (with thousands separators or decimals), optionally a unit.
_FIGURE = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w])\s*"
    r"(%|percent\b|per cent\b|trillion\b|billion\b|million\b|thousand\b|bn\b|mn\b)?",
    re.I,
)
_UNITS = {"percent": "%", "per cent": "%", "bn": "billion", "mn": "million"}


def figures(text: str) -> dict[str, set[str]]:
    """Years and unit-bearing figures of a sentence, by kind: {'year': {'2016'}, '%': {'3.1'}}."""
    out: dict[str, set[str]] = {}
    for m in _FIGURE.finditer(text):
        raw, unit = m.group(1), (m.group(2) or "").lower()
        value = raw.replace(",", "")
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        if unit:
            kind = _UNITS.get(unit, unit)
        elif re.fullmatch(r"(19|20)\d\d", value):
            kind = "year"
        else:
            continue  # a bare number (a count, a rank) is too ambiguous to compare
        out.setdefault(kind, set()).add(value)
    return out


def mismatches(claim: str, source: str) -> list[Mismatch]:
    """Kinds of figure both sentences give where each has a value the other lacks (the differing values)."""
    a, b = figures(claim), figures(source)
    out = []
    for kind in sorted(a.keys() & b.keys()):
        only_a, only_b = a[kind] - b[kind], b[kind] - a[kind]
        if only_a and only_b:
            out.append(Mismatch(kind=kind, briefing=sorted(only_a), source=sorted(only_b)))
    return out


class SourceLinker:
    """Finds, for a footnote, the best matching passage of its indexed source."""

    def __init__(self, index: StoredIndex, per_footnote: int = 1) -> None:
        self.index = index
        self.per_footnote = per_footnote
        self.by_footnote: dict[int, list[str]] = {}
        for p in index.state.passages:
            if p.kind == "source":
                for n in p.footnotes:
                    self.by_footnote.setdefault(n, []).append(p.id)
        vecs = index.sentence_vecs
        norms = np.linalg.norm(vecs, axis=1, keepdims=True) if len(vecs) else np.ones((0, 1), dtype=np.float32)
        self.vecs = vecs / np.maximum(norms, 1e-12)

    def _claim(self, passage_id: str, number: int) -> list[int]:
        """Sentences of the cited passage that make the claim footnote ``number`` supports."""
        ks = self.index.by_passage.get(passage_id, [])
        marked = [k for k in ks if number in self.index.sentences[k].footnotes]
        return marked or ks

    def best(self, number: int, claim: list[int]) -> list[SourcePassage]:
        if not claim:
            return []
        sents = self.index.sentences
        claim_vec = self.vecs[claim].mean(axis=0)
        claim_vec /= max(float(np.linalg.norm(claim_vec)), 1e-12)
        claim_text = " ".join(sents[k].text for k in claim)
        scored: list[tuple[float, str, int]] = []
        for pid in self.by_footnote.get(number, []):
            ks = self.index.by_passage.get(pid, [])
            if not ks:
                continue
            sims = self.vecs[ks] @ claim_vec
            j = int(np.argmax(sims))
            scored.append((float(sims[j]), pid, ks[j]))
        scored.sort(key=lambda t: -t[0])
        out = []
        for score, pid, k in scored[: self.per_footnote]:
            p = self.index.passages[pid]
            out.append(
                SourcePassage(
                    text=p.text,
                    document=p.document,
                    title=p.title,
                    url=p.url,
                    page=p.page,
                    score=round(score, 4),
                    sentence=sents[k].text,
                    claim=claim_text,
                    mismatch=mismatches(claim_text, sents[k].text),
                    passage_id=pid,
                )
            )
        return out

    def attach(self, passage_id: str, refs: list[FootnoteRef]) -> None:
        """Give each footnote of a cited briefing passage its best source passage."""
        p = self.index.passages.get(passage_id)
        if not self.by_footnote or p is None or p.kind == "source":
            return
        for ref in refs:
            if ref.number in self.by_footnote:
                ref.passages = self.best(ref.number, self._claim(passage_id, ref.number))
