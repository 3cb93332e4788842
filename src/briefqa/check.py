"""Checking a generated answer against the passages it cites.

Each sentence of an LLM's answer must cite passages that exist, its numbers
and names must appear in a cited passage, and its meaning must be close to one
of them (embedding cosine over the passage and its sentences). Sentences that
fail are reported with the reasons; generate.py decides what to show.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np

from briefqa.embeddings import Embedder
from briefqa.types import Passage

CITE = re.compile(r"\[\s*(?:passages?\s*)?(\d+(?:\s*(?:,|;|and|-|–)\s*(?:passages?\s*)?\d+)*)\s*\]", re.I)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
NO_ANSWER = re.compile(
    r"\b(briefing|passages?|documents?|sources?)\b[^.]{0,40}\b(does|do) not (cover|contain|say|mention|address|hold)"
    r"|\bnot covered\b|\bno information\b",
    re.I,
)
# Capitalised words that start a sentence without naming anything.
OPENERS = set(
    "according however moreover furthermore additionally also overall in the this these those there it "
    "its as at by for from on to with while since both each some many most several other another such "
    "their they we our one a an and but or so thus therefore hence finally first second third then today "
    "currently notably specifically similarly i that which what who when where why how yet still after before "
    "during under over between among despite although though because if unless whereas until more less".split()
)
MARKUP = re.compile(r"[*_`#>]+")


@dataclass
class Evidence:
    """A passage as numbered in the prompt, with what the checker compares against."""

    n: int
    passage: Passage
    sentence_vecs: np.ndarray  # the passage's sentences, normalised
    passage_vec: np.ndarray | None = None
    sources: str = ""  # footnote texts shown with the passage in the prompt

    def numbers(self) -> set[str]:
        found = {_canon(m) for m in NUMBER.findall(self.passage.text)}
        found |= {_canon(m) for m in NUMBER.findall(self.passage.section)}
        found |= {str(n) for n in self.passage.footnotes}
        return found

    def words(self) -> set[str]:
        text = " ".join([self.passage.text, self.passage.heading, self.passage.title, self.sources])
        return {w.lower() for w in WORD.findall(text.replace("-", " "))}


@dataclass
class CheckedSentence:
    text: str  # markers removed
    cited: list[int]  # valid prompt numbers, in order
    status: str  # supported | unsupported | uncited | no-answer
    similarity: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "supported"


def _canon(number: str) -> str:
    # 1,414 / 1.414 / 1414 compare equal: separators differ between sources and writers.
    return re.sub(r"\D", "", number).lstrip("0") or "0"


def _cited_numbers(marker: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", marker):
        nums = [int(x) for x in re.findall(r"\d+", part)]
        if len(nums) == 2 and re.search(r"[-–]", part) and 0 < nums[1] - nums[0] < 20:
            out.extend(range(nums[0], nums[1] + 1))
        else:
            out.extend(nums)
    return out


def split_sentences(text: str) -> list[str]:
    """Answer sentences with their markers; a marker that opens a sentence belongs to the one before."""
    from briefqa.chunks import sentence_spans

    raw = [text[a:b].strip() for a, b in sentence_spans(text)]
    out: list[str] = []
    for s in raw:
        if not s:
            continue
        lead = re.match(r"^(\s*\[[^\]]*\d[^\]]*\]\s*[.,;]?)+", s)
        if lead and out and CITE.search(lead.group(0)):
            out[-1] = f"{out[-1]} {lead.group(0).strip()}"
            s = s[lead.end() :].strip()
        if s:
            out.append(s)
    return out


def strip_markers(sentence: str) -> str:
    s = CITE.sub("", sentence)
    s = MARKUP.sub("", s)
    s = re.sub(r"\s+([.,;:!?])", r"\1", s)
    return " ".join(s.split())


def names(sentence: str) -> list[str]:
    """Capitalised words and acronyms: the names a sentence relies on."""
    out = []
    for i, m in enumerate(WORD.finditer(sentence.replace("-", " "))):
        w = re.sub(r"['’]s?$", "", m.group(0))
        if not w or not w[0].isupper():
            continue
        if i == 0 and w.lower() in OPENERS:
            continue
        if w in ("I",):
            continue
        out.append(w)
    return out


def _name_found(name: str, words: set[str]) -> bool:
    low = name.lower()
    if low in words or f"{low}s" in words:
        return True
    if len(low) >= 4 and low.endswith("s") and low[:-1] in words:  # SMEs / SME, but US is not "u"
        return True
    # Korean / Korea, European / Europe, Chinese / China: forms of one name share all but a short ending.
    # A fixed three-letter stem was too loose: it let US pass on "used", MOTIE on "motor", Stage on "state".
    if len(low) < 4:
        return False
    for w in words:
        cp = len(os.path.commonprefix([low, w]))
        if cp >= 4 and cp >= min(len(low), len(w)) - 1 and cp >= max(len(low), len(w)) - 3:
            return True
    return False


def check_sentences(
    sentences: list[str], evidence: list[Evidence], embedder: Embedder, threshold: float
) -> list[CheckedSentence]:
    by_n = {e.n: e for e in evidence}
    results: list[CheckedSentence] = []
    for raw in sentences:
        cited: list[int] = []
        repairs: list[str] = []
        problems: list[str] = []
        for m in CITE.finditer(raw):
            for n in _cited_numbers(m.group(1)):
                if n in by_n:
                    if n not in cited:
                        cited.append(n)
                else:
                    repairs.append(f"citation [{n}] points at no passage; removed")
        text = strip_markers(raw)
        if not re.search(r"\w", text):
            continue
        if not cited:
            status = "no-answer" if NO_ANSWER.search(text) else "uncited"
            if status == "uncited":
                problems.append("no citation")
            results.append(CheckedSentence(text, [], status, 0.0, repairs + problems))
            continue
        ev = [by_n[n] for n in cited]
        allowed = set().union(*(e.numbers() for e in ev))
        for num in NUMBER.findall(text):
            if _canon(num) not in allowed:
                problems.append(f"number {num} is in no cited passage")
        words = set().union(*(e.words() for e in ev))
        for name in names(text):
            if not _name_found(name, words):
                problems.append(f"name {name} is in no cited passage")
        status = "unsupported" if problems else "supported"
        results.append(CheckedSentence(text, cited, status, 0.0, repairs + problems))
    _score_meaning([r for r in results if r.cited], by_n, embedder, threshold)
    return results


def _score_meaning(
    results: list[CheckedSentence], by_n: dict[int, Evidence], embedder: Embedder, threshold: float
) -> None:
    if not results:
        return
    vecs = embedder.embed_texts([r.text for r in results])
    for r, v in zip(results, vecs, strict=True):
        best = 0.0
        for n in r.cited:
            e = by_n[n]
            if len(e.sentence_vecs):
                best = max(best, float(np.max(e.sentence_vecs @ v)))
            if e.passage_vec is not None:
                best = max(best, float(e.passage_vec @ v))
        r.similarity = round(best, 4)
        if best < threshold:
            r.problems.append(f"meaning is far from the cited passages (cosine {best:.2f} < {threshold:.2f})")
            r.status = "unsupported"
