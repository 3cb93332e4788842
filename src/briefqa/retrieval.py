"""Hybrid retrieval: dense (Chroma) and BM25 (bm25s), fused by weighted reciprocal rank.

Acronyms the corpus defines ("Korea Industrial Complex Corp. (KICOX)") are
expanded in the query both ways, so either form finds the passage.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer

from briefqa.index import StoredIndex
from briefqa.settings import Settings

ACRONYM_RE = re.compile(r"\(([A-Z][A-Za-z]{1,9})\)")
MINOR = {"of", "and", "for", "the", "&", "on", "in", "to"}
_stemmer = Stemmer.Stemmer("english")
# bm25s sets its own logger to DEBUG when imported, which would print "Building index from tokens" on stderr.
logging.getLogger("bm25s").setLevel(logging.WARNING)


# "e.g." stands for the word a question uses ("which policies are given as examples?"); the tokenizer
# would drop its one-letter parts.
EXAMPLE_ABBREV = re.compile(r"(?<!\w)e\.\s?g\.", re.I)


# Short forms readers use for words the briefing writes out ("how many regional HQs ...", "H2020 joint calls").
SHORT_FORMS = {
    "hq": "headquarters",
    "hqs": "headquarters",
    "govt": "government",
    "gov't": "government",
    "h2020": "Horizon 2020",
    "wp": "Work Programme",
    "r&i": "research and innovation",
    "dg grow": "DG Growth",
    "ec": "European Commission",
    "bn": "billion",
    "assoc": "association",
    "approx": "approximately",
    "mln": "million",
    "ev": "electric vehicle",
    "evs": "electric vehicles",
    "eur": "euro",
    "ms": "member state",
    "mss": "member states",
    **{m[:3].lower(): m for m in ("January", "February", "April", "August", "October", "November", "December")},
    "sept": "September",
}
# (Not inside a web address or a longer token: "ec.europa.eu", "wp-content".)
SHORT_FORM = re.compile(rf"(?<![\w'’&./-])(?:{'|'.join(re.escape(a) for a in SHORT_FORMS)})(?![\w'’&/-]|\.\w)", re.I)


# The plural of an acronym ("MoUs", "SMEs", "FTAs") is the acronym: the stemmer, seeing "mous", would not know.
ACRONYM_PLURAL = re.compile(r"\b([A-Z][A-Za-z&]*[A-Z])s\b")


# British and American spellings of -ise/-ize and -yse/-yze verbs are one word ("specialised" / "specialized"): the
# briefing mixes them, and so do its readers. -ise words that are not -ize words in American English stay.
ISE_KEEP = frozenset(
    "rise arise wise otherwise likewise precise concise promise compromise premise exercise advise devise revise "
    "supervise televise improvise expertise enterprise franchise merchandise comprise surprise demise disguise "
    "despise excise incise paradise treatise noise poise raise praise cruise bruise seize chemise reprise "
    "apprise circumcise".split()
)
ISE = re.compile(r"\b([a-z]{3,})(is|ys)(e|ed|es|ing|ation|ations|er|ers)\b", re.I)


def _american(m: re.Match[str]) -> str:
    if (m.group(1) + m.group(2) + "e").lower() in ISE_KEEP:
        return m.group(0)
    return m.group(1) + ("iz" if m.group(2).lower() == "is" else "yz") + m.group(3)


def write_out(text: str) -> str:
    """``text`` with each short form of SHORT_FORMS written out."""
    return SHORT_FORM.sub(lambda m: SHORT_FORMS[m.group().lower()], text)


def spelling(text: str) -> str:
    """``text`` with British spellings made American, so both forms stem alike."""
    return ISE.sub(_american, text)


def tokenize(texts: list[str]) -> list[list[str]]:
    texts = [spelling(ACRONYM_PLURAL.sub(r"\1", EXAMPLE_ABBREV.sub("for example", t))) for t in texts]
    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer, return_ids=False, show_progress=False)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=4096)
def term_set(text: str) -> frozenset[str]:
    """The stemmed terms of a short text (a name, an acronym's long form), kept: tokenizing costs ~0.2 ms a call."""
    return frozenset(tokenize([text])[0])


def with_bigrams(tokens: list[str]) -> list[str]:
    """Tokens plus each pair of neighbouring ones ("parts and materials" -> "part materi"), so a phrase
    of the question outscores passages that hold its words apart."""
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


# A name of capitalised words, with lower-case joining words ("Ministry of Knowledge Economy").
NAME_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:of|and|for|the|&|on|in|to)\s+)*[A-Z][\w'’-]*)+")
# An acronym a question may use for such a name: three to six capitals, perhaps plural ("NICs").
ACRONYM_WORD = re.compile(r"\b([A-Z]{3,6})s?\b")


def find_initials(texts: list[str]) -> dict[str, str]:
    """The acronyms the texts' names would have, and the name, when the texts never write them: "MKE" for the
    "Ministry of Knowledge Economy", "NIC" for the "National Innovation Cluster". Each name gives its initials with
    and without its joining words ("ROK", "RK"); an acronym two names give stands for both ("NIC": "National
    Industrial Complex / National Innovation Cluster")."""
    counts: dict[str, dict[str, int]] = {}
    for text in texts:
        for run in NAME_RUN.finditer(text):
            words = run.group().split()
            for i, first in enumerate(words):
                if first.lower() in MINOR:
                    continue
                for j in range(i + 1, min(i + 6, len(words))):
                    if words[j].lower() in MINOR:
                        continue
                    part = words[i : j + 1]
                    name = " ".join(part)
                    for acro in {
                        "".join(w[0] for w in part).upper(),
                        "".join(w[0] for w in part if w.lower() not in MINOR).upper(),
                    }:
                        if 3 <= len(acro) <= 6 and acro.isalpha():
                            by_name = counts.setdefault(acro, {})
                            by_name[name] = by_name.get(name, 0) + 1
    used = {m.group(1) for t in texts for m in ACRONYM_WORD.finditer(t)}
    out = {}
    for acro, names in counts.items():
        if acro not in used:
            ranked = sorted(names, key=lambda n: (-names[n], len(n)))[:2]
            out[acro] = " / ".join(sorted(ranked))
    return out


def recase(question: str, cased: dict[str, str]) -> str:
    """``question`` with each acronym typed in lower case ("how much did the iccp cost") in capitals."""
    return re.sub(r"\b[a-z]{2,}\b", lambda m: cased.get(m.group(), m.group()), question)


def spell_out(question: str, initials: dict[str, str]) -> str:
    """``question`` with each acronym the briefing never writes, but whose name it does, replaced by that name."""
    return ACRONYM_WORD.sub(lambda m: initials.get(m.group(1), m.group(0)), question)


def find_acronyms(texts: list[str]) -> dict[str, str]:
    """ACRONYM -> long form, from "Long Form (ACRO)" definitions in the corpus."""
    found: dict[str, str] = {}
    for text in texts:
        for m in ACRONYM_RE.finditer(text):
            acro = m.group(1)
            caps = [c for c in acro if c.isupper()]
            if len(caps) < 2:
                continue
            words = text[: m.start()].split()[-(len(acro) + 5) :]
            for k in range(min(len(caps) - 1, len(words)), len(words) + 1):
                w = words[-k]
                if w[:1].lower() == acro[0].lower() and w[:1].isupper():
                    long = " ".join(words[-k:]).strip(" ,;:–-")
                    if acro not in found and len(long) > len(acro):
                        found[acro] = long
                    break
    return found


# Abbreviations of policy and statistics writing that a text may use without defining them ("the second highest
# GERD in the world", "contracted MoU with China"); a question may use either form.
GLOSSARY = {
    "GERD": ("gross domestic expenditure on R&D", "gross domestic R&D", "gross R&D", "R&D spending", "R&D expenditure"),
    "MoU": ("memorandum of understanding", "memoranda of understanding"),
    "FDI": ("foreign direct investment",),
    "FTA": ("free trade agreement",),
    "SME": ("small and medium-sized enterprises", "small and medium enterprises", "small and medium-sized enterprise"),
    "IoT": ("internet of things",),
}


def find_aliases(texts: list[str], defined: dict[str, str]) -> list[tuple[str, str]]:
    """(acronym, long form) pairs: those the texts define, then the glossary's for the acronyms the texts use."""
    pairs = list(defined.items())
    for acro, longs in GLOSSARY.items():
        if acro not in defined and any(re.search(rf"\b{re.escape(acro)}s?\b", t) for t in texts):
            pairs.extend((acro, long) for long in longs)
    return pairs


def expand_query(question: str, aliases: list[tuple[str, str]]) -> str:
    """The question plus the other form of each acronym it uses, long or short.

    A glossary acronym gets no long form added: the corpus uses the acronym, so the question already has its word,
    and a long form the corpus never writes only pulls the query's meaning away.
    """
    extra: list[str] = []
    low = question.lower()
    for acro, long in aliases:
        if re.search(rf"\b{re.escape(acro)}\b", question):
            if long not in GLOSSARY.get(acro, ()):
                extra.append(long)
        elif long.lower() in low and acro not in extra:
            extra.append(acro)
    return f"{question} ({'; '.join(extra)})" if extra else question


@dataclass
class Hit:
    id: str
    score: float  # fused score
    dense: float  # cosine similarity, 0 when not among dense candidates
    bm25: float


class HybridRetriever:
    def __init__(self, index: StoredIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.ids = index.order
        texts = [f"{index.passages[i].heading}\n{index.passages[i].text}" for i in self.ids]
        tokens = [with_bigrams(t) for t in tokenize(texts)]
        self.bm25 = bm25s.BM25()
        self.bm25.index(tokens, show_progress=False)
        self.acronyms = find_acronyms([index.passages[i].text for i in self.ids])
        self.aliases = find_aliases([index.passages[i].text for i in self.ids], self.acronyms)
        self.initials = find_initials([index.passages[i].text for i in self.ids])
        # The acronyms a question typed in lower case means ("iccp", "kicox"): not those that are words too ("most").
        lower = {w for i in self.ids for w in re.findall(r"\b[a-z]+\b", index.passages[i].text)}
        self.cased = {a.lower(): a for a, _ in self.aliases if a.lower() not in lower}
        # Inverse document frequency of each stemmed term (and word pair), for answer scoring.
        n = len(texts)
        df: dict[str, int] = {}
        for toks in tokens:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        self.idf = {t: float(np.log(1 + (n - d + 0.5) / (d + 0.5))) for t, d in df.items()}

    def search(self, query: str, query_vec: np.ndarray, k: int) -> list[Hit]:
        s = self.settings
        n = min(s.candidates, len(self.ids))
        dense = self.index.dense(query_vec, n)
        q_tokens = with_bigrams(tokenize([query])[0])
        bm: list[tuple[str, float]] = []
        if q_tokens:
            docs, scores = self.bm25.retrieve([q_tokens], k=n, show_progress=False, n_threads=1)
            bm = [(self.ids[int(d)], float(sc)) for d, sc in zip(docs[0], scores[0], strict=False) if sc > 0]
        fused: dict[str, float] = {}
        for rank, (pid, _) in enumerate(dense):
            fused[pid] = fused.get(pid, 0.0) + s.dense_weight / (s.rrf_k + rank + 1)
        for rank, (pid, _) in enumerate(bm):
            fused[pid] = fused.get(pid, 0.0) + s.bm25_weight / (s.rrf_k + rank + 1)
        # Best single sentence of each passage: short factual questions match one sentence.
        sims = self.index.sentence_vecs @ query_vec
        best: dict[str, float] = {}
        for k, sim in enumerate(sims.tolist()):
            pid = self.index.sentences[k].passage_id
            if sim > best.get(pid, -1.0):
                best[pid] = sim
        sent_rank = sorted(best.items(), key=lambda kv: -kv[1])[:n]
        for rank, (pid, _) in enumerate(sent_rank):
            fused[pid] = fused.get(pid, 0.0) + s.sentence_weight / (s.rrf_k + rank + 1)
        dmap, bmap = dict(dense), dict(bm)
        ranked = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        return [Hit(pid, sc, dmap.get(pid, 0.0), bmap.get(pid, 0.0)) for pid, sc in ranked]
