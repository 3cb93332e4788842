"""Extractive answers: verbatim sentences of the retrieved passages, each cited.

Each candidate sentence (from the top passages) is scored by its meaning
(cosine to the question), by the share of the question's rarer words it
contains, and by its passage's rank. The answer is the best sentence plus any
close runner-up; the confidence decides whether to abstain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from briefqa.index import SentenceRecord
from briefqa.retrieval import Hit, tokenize

NUMERIC_Q = re.compile(
    r"^\s*(how (many|much|large|big|long|high)|what (percentage|share|proportion|amount|year|budget|rank|growth)|"
    r"when\b|in (what|which) year|since when|what was the (value|size|number))",
    re.I,
)
HAS_NUMBER = re.compile(r"\d")


@dataclass
class Weights:
    lexical: float = 0.45
    prior: float = 0.15
    numeric: float = 0.10
    runner_up: float = 0.90  # a second sentence joins when its score is this close to the best
    conf_sem: float = 0.55
    conf_lex: float = 0.45
    rerank_prior: float = 0.15


def score_sentences(
    question: str,
    q_vec: np.ndarray,
    cand: list[tuple[int, int]],
    sentences: list[SentenceRecord],
    sentence_vecs: np.ndarray,
    idf: dict[str, float],
    w: Weights,
) -> list[tuple[float, float, float, int, int]]:
    """(score, cosine, lexical share, sentence index, passage rank) for each candidate."""
    q_terms = set(tokenize([question])[0])
    max_idf = max(idf.values()) if idf else 1.0
    q_weight = {t: idf.get(t, max_idf) for t in q_terms}
    total = sum(q_weight.values()) or 1.0
    idx = np.array([k for k, _ in cand])
    sem = sentence_vecs[idx] @ q_vec
    wants_number = bool(NUMERIC_Q.search(question))
    sent_tokens = tokenize([sentences[k].text for k, _ in cand])
    scored: list[tuple[float, float, float, int, int]] = []
    for j, (k, rank) in enumerate(cand):
        lex = sum(q_weight[t] for t in q_terms.intersection(sent_tokens[j])) / total
        score = float(sem[j]) + w.lexical * lex + w.prior / (1 + rank)
        if wants_number and HAS_NUMBER.search(sentences[k].text):
            score += w.numeric
        scored.append((score, float(sem[j]), lex, k, rank))
    return scored


def rerank(
    question: str,
    q_vec: np.ndarray,
    hits: list[Hit],
    by_passage: dict[str, list[int]],
    sentences: list[SentenceRecord],
    sentence_vecs: np.ndarray,
    idf: dict[str, float],
    depth: int,
    w: Weights,
) -> list[Hit]:
    """Reorder the top ``depth`` hits by their best sentence, so the answer's passage ranks first."""
    head, tail = hits[:depth], hits[depth:]
    cand = [(k, rank) for rank, h in enumerate(head) for k in by_passage.get(h.id, [])]
    if not cand:
        return hits
    best: dict[int, float] = {}
    for score, _, _, _, rank in score_sentences(question, q_vec, cand, sentences, sentence_vecs, idf, w):
        best[rank] = max(best.get(rank, -9.0), score)
    order = sorted(range(len(head)), key=lambda r: -(best.get(r, -9.0) + w.rerank_prior / (1 + r)))
    return [head[r] for r in order] + tail


@dataclass
class Chosen:
    sentence: SentenceRecord
    score: float
    passage_rank: int


@dataclass
class Extract:
    chosen: list[Chosen]
    confidence: float


def extract(
    question: str,
    q_vec: np.ndarray,
    hits: list[Hit],
    by_passage: dict[str, list[int]],
    sentences: list[SentenceRecord],
    sentence_vecs: np.ndarray,
    idf: dict[str, float],
    n_passages: int,
    max_sentences: int,
    w: Weights | None = None,
) -> Extract:
    w = w or Weights()
    cand: list[tuple[int, int]] = []  # (sentence index, passage rank)
    for rank, hit in enumerate(hits[:n_passages]):
        cand.extend((k, rank) for k in by_passage.get(hit.id, []))
    if not cand:
        return Extract([], 0.0)
    scored = score_sentences(question, q_vec, cand, sentences, sentence_vecs, idf, w)
    wants_number = bool(NUMERIC_Q.search(question))
    scored.sort(key=lambda t: -t[0])
    best_score, best_sem, best_lex, _, _ = scored[0]
    chosen: list[Chosen] = []
    seen_text: set[str] = set()
    for score, _, _, k, rank in scored:
        if len(chosen) >= max_sentences or score < best_score * w.runner_up:
            break
        text = sentences[k].text
        if text in seen_text or len(text) < 15:
            continue
        seen_text.add(text)
        chosen.append(Chosen(sentences[k], score, rank))
    confidence = w.conf_sem * best_sem + w.conf_lex * best_lex
    if wants_number and not any(HAS_NUMBER.search(c.sentence.text) for c in chosen):
        confidence *= 0.8
    return Extract(chosen, float(confidence))
