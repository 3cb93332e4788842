"""The assistant: a loaded index, the retriever and the answerer, asked many times."""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefqa import coverage
from briefqa.answer import Extract, Weights, asking_part, extract, rerank
from briefqa.answer_types import use_place_cache
from briefqa.embeddings import Embedder
from briefqa.errors import ConfigError, InputTooLarge, InvalidInput
from briefqa.index import StoredIndex
from briefqa.retrieval import HybridRetriever, expand_query, recase, spell_out, write_out
from briefqa.settings import Settings
from briefqa.twohop import SourceLinker
from briefqa.types import Answer, Citation, FootnoteRef, Passage, RankedPassage, Source, Timings

if TYPE_CHECKING:
    from briefqa.llm import LLM

log = logging.getLogger(__name__)

ABSTAIN_TEXT = "The briefing does not cover this question."
# Markup pasted into a question is shown back as text but is noise for retrieval.
_TAG = re.compile(r"<[^<>]{0,200}>")


def validate_question(question: str, settings: Settings) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InvalidInput("The question is empty; ask something about the briefing.")
    q = " ".join(question.split())
    if len(q) > settings.max_question_chars:
        raise InputTooLarge(
            f"The question is {len(q)} characters long; the limit is {settings.max_question_chars} "
            "(BRIEFQA_MAX_QUESTION_CHARS)."
        )
    return q


class Assistant:
    def __init__(self, settings: Settings, weights: Weights | None = None) -> None:
        self.settings = settings
        self.index = StoredIndex(settings)
        use_place_cache(settings.index_dir / "places.json")
        self.embedder = Embedder(settings.model_path)
        self.retriever = HybridRetriever(self.index, settings)
        self.weights = weights or Weights()
        self.sources: dict[tuple[str, int], Source] = {(s.document, s.number): s for s in self.index.state.sources}
        self.links = SourceLinker(self.index)  # issue 7: footnote -> indexed source passages
        self.coverage = self._coverage_model()
        self._lock = threading.Lock()

    def _coverage_model(self) -> coverage.CoverageModel | None:
        """The learned coverage check (coverage.py), or None: turned off, or fitted for other documents."""
        choice = self.settings.coverage_model.strip()
        if choice.lower() == "off":
            return None
        path = Path(choice) if choice else coverage.PACKAGED
        if not path.is_file():
            if not choice:
                return None
            raise ConfigError(f"The coverage model {path} does not exist (BRIEFQA_COVERAGE_MODEL).")
        try:
            model = coverage.load(path)
        except ValueError as e:
            raise ConfigError(str(e)) from e
        if not model.applies_to(self.index.state.files, self.settings.model_name):
            log.info("The coverage model %s was fitted for other documents; it is not used on this index.", path)
            return None
        return model

    @property
    def identity(self) -> str:
        return self.index.state.identity

    def footnote_refs(self, document: str, numbers: list[int], passage_id: str = "") -> list[FootnoteRef]:
        """The footnotes of a passage; with ``passage_id``, each with its best source passage (two hops)."""
        out = []
        for n in numbers:
            src = self.sources.get((document, n))
            if src is None:  # a source document's passages name the briefing footnotes that cite it
                found = [s for (_, m), s in self.sources.items() if m == n]
                src = found[0] if len(found) == 1 else None
            if src is not None:
                out.append(FootnoteRef(number=n, text=src.text, urls=src.urls, consulted=src.consulted))
            else:
                out.append(FootnoteRef(number=n, text="", urls=[]))
        if passage_id:
            self.links.attach(passage_id, out)
        return out

    def citation(self, n: int, p: Passage) -> Citation:
        """Citation ``n`` of passage ``p``, with its footnotes and their indexed source passages (two hops)."""
        return Citation(
            n=n,
            text=p.text,
            document=p.document,
            title=p.title,
            section=p.section,
            section_title=p.full_title,
            page=p.page,
            url=p.url,
            footnotes=self.footnote_refs(p.document, p.footnotes, passage_id=p.id),
            passage_id=p.id,
        )

    def assess(self, question: str, top_k: int) -> tuple[list[Any], Extract, Any, float]:
        """Retrieve, rerank and extract for a validated question: the hits, the extract (with its confidence and
        features), the question vector, and when retrieval ended. ``ask`` and ``briefqa fit-coverage`` share it."""
        plain = write_out(" ".join(_TAG.sub(" ", question).split()) or question)
        plain = spell_out(recase(plain, self.retriever.cased), self.retriever.initials)
        query = expand_query(plain, self.retriever.aliases)
        q_vec = self.embedder.embed_query(query)
        hits = self.retriever.search(
            query, q_vec, max(top_k, self.settings.answer_passages, self.settings.rerank_depth)
        )
        # The sentence table and the question's forms, shared by reranking and answering.
        table: dict[str, Any] = {
            "by_passage": self.index.by_passage,
            "sentences": self.index.sentences,
            "sentence_vecs": self.index.sentence_vecs,
            "idf": self.retriever.idf,
            "w": self.weights,
            "original": plain,
            "aliases": self.retriever.aliases,
        }
        hits = rerank(query, q_vec, hits, depth=self.settings.rerank_depth, **table)
        # The asker's own context ("Asking so I know whose names to drop at meetings.") is not what they ask: the
        # best sentence's closeness to the question is also measured without it.
        asked = asking_part(plain)
        ask_vec = self.embedder.embed_query(asked) if asked != plain else None
        t1 = time.perf_counter()
        ex = extract(
            query,
            q_vec,
            hits,
            n_passages=self.settings.answer_passages,
            max_sentences=self.settings.answer_sentences,
            ask_vec=ask_vec,
            **table,
        )
        return hits, ex, q_vec, t1

    def hand_declines(self, ex: Extract) -> bool:
        """Whether the hand-set abstention model declines: no sentence, or confidence under the threshold."""
        return not ex.chosen or ex.confidence < self.settings.abstain_threshold

    def ask(self, question: str, k: int | None = None, searched: str | None = None, llm: LLM | None = None) -> Answer:
        """Answer one question; ``searched`` is the standalone form to retrieve with, if different.

        With ``llm`` the answer is generated and checked (generate.py), falling back to this extractive one.
        """
        t0 = time.perf_counter()
        q = validate_question(question, self.settings)
        top_k = k or self.settings.top_k
        hits, ex, q_vec, t1 = self.assess(searched or q, top_k)
        abstained = self.hand_declines(ex)
        covered = None
        if self.coverage is not None:  # the learned check only adds abstentions (coverage.py)
            covered = self.coverage.probability(ex.confidence, ex.features, q_vec)
            abstained = abstained or covered < self.coverage.threshold
        citations: list[Citation] = []
        parts: list[str] = []
        if not abstained:
            numbers: dict[str, int] = {}
            for c in ex.chosen:
                pid = c.sentence.passage_id
                if pid not in numbers:
                    numbers[pid] = len(numbers) + 1
                    citations.append(self.citation(numbers[pid], self.index.passages[pid]))
                citations[numbers[pid] - 1].sentences.append(c.sentence.text)
                parts.append(f"{c.sentence.text} [{numbers[pid]}]")
        passages = [
            RankedPassage(
                rank=r + 1,
                text=self.index.passages[h.id].text,
                score=round(h.score, 6),
                document=self.index.passages[h.id].document,
                section=self.index.passages[h.id].section,
                section_title=self.index.passages[h.id].full_title,
                id=h.id,
            )
            for r, h in enumerate(hits[:top_k])
        ]
        t2 = time.perf_counter()
        ans = Answer(
            question=q,
            answer=" ".join(parts) if parts else ABSTAIN_TEXT,
            abstained=abstained,
            citations=citations,
            passages=passages,
            timings_ms=Timings(
                retrieve=round((t1 - t0) * 1000, 2), answer=round((t2 - t1) * 1000, 2), total=round((t2 - t0) * 1000, 2)
            ),
            searched=searched or q,
            index=self.identity,
            confidence=round(ex.confidence, 4),
            coverage=None if covered is None else round(covered, 4),
        )
        if llm is None:
            return ans
        from briefqa.generate import generate_answer

        return generate_answer(self, ans, llm)
