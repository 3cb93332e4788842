"""Evaluation question sets: loading, verdicts and trust metrics.

A question set is JSONL, one object a line:
``{"id", "question", "answers": [[alt, ...], ...], "evidence": [quote, ...], "kind"}``.
An answer is correct when it contains one alternative of every group; a passage
holds the answer when it contains one evidence quote (case-insensitive, quotes
and whitespace normalised).
"""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from briefqa.errors import InvalidInput
from briefqa.types import Answer

log = logging.getLogger(__name__)

KINDS = ("fact", "list", "unanswerable")
HIT_KS = (1, 3, 5, 10)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


class Question(BaseModel):
    id: str
    question: str
    answers: list[list[str]] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    kind: str


def normalise(text: str) -> str:
    return " ".join(text.translate(_QUOTES).lower().split())


def load_questions(path: Path) -> list[Question]:
    """Read and check a question set; errors name the file and line."""
    if not path.exists():
        raise InvalidInput(f"Question file {path} does not exist.")
    out: list[Question] = []
    seen: dict[str, int] = {}
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = Question.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{no}: invalid JSON ({exc.msg}).") from exc
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or "line"
            raise InvalidInput(f"{path}:{no}: {field}: {err['msg']}.") from exc
        if q.kind not in KINDS:
            raise InvalidInput(f"{path}:{no}: kind must be one of {', '.join(KINDS)}, not {q.kind!r}.")
        if not q.question.strip():
            raise InvalidInput(f"{path}:{no}: the question is empty.")
        if q.kind != "unanswerable" and not (q.answers and q.evidence):
            raise InvalidInput(f"{path}:{no}: an answerable question needs answers and evidence.")
        if q.id in seen:
            raise InvalidInput(f"{path}:{no}: duplicate id {q.id!r} (first on line {seen[q.id]}).")
        seen[q.id] = no
        out.append(q)
    if not out:
        raise InvalidInput(f"{path} holds no questions.")
    return out


def holds_evidence(text: str, q: Question) -> bool:
    t = normalise(text)
    return any(normalise(e) in t for e in q.evidence)


def answer_correct(answer: str, q: Question) -> bool:
    t = normalise(answer)
    return all(any(normalise(alt) in t for alt in group) for group in q.answers)


def holds_answer_alt(text: str, q: Question) -> bool:
    t = normalise(text)
    return any(normalise(alt) in t for group in q.answers for alt in group)


def verdicts(q: Question, ans: Answer) -> dict[str, Any]:
    v: dict[str, Any] = {"kind": q.kind, "abstained": ans.abstained, "latency_ms": ans.timings_ms.total}
    if q.kind == "unanswerable":
        v["correct"] = ans.abstained
        return v
    rank = next((p.rank for p in ans.passages if holds_evidence(p.text, q)), None)
    v["evidence_rank"] = rank
    for k in HIT_KS:
        v[f"hit@{k}"] = rank is not None and rank <= k
    v["rr"] = 1.0 / rank if rank else 0.0
    v["correct"] = (not ans.abstained) and answer_correct(ans.answer, q)
    if not ans.abstained:
        supported = [holds_evidence(c.text, q) for c in ans.citations]
        v["citation_support"] = any(supported)
        precise = [holds_evidence(c.text, q) or holds_answer_alt(" ".join(c.sentences), q) for c in ans.citations]
        v["citation_precision"] = sum(precise) / len(precise) if precise else 0.0
    return v


def _mean(xs: Iterable[float]) -> float | None:
    xs = list(xs)
    return round(sum(xs) / len(xs), 4) if xs else None


def _pct(xs: list[float], p: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return round(xs[k], 2)


def metrics(records: list[dict[str, Any]]) -> dict[str, Any]:
    ans = [r for r in records if r["kind"] != "unanswerable"]
    una = [r for r in records if r["kind"] == "unanswerable"]
    answered = [r for r in ans if not r["abstained"]]
    lat = [r["latency_ms"] for r in records]
    m: dict[str, Any] = {"questions": len(records), "answerable": len(ans), "unanswerable": len(una)}
    for k in HIT_KS:
        m[f"hit@{k}"] = _mean(float(r[f"hit@{k}"]) for r in ans)
    m["mrr"] = _mean(r["rr"] for r in ans)
    m["answer_accuracy"] = _mean(float(r["correct"]) for r in ans)
    m["citation_support"] = _mean(float(r["citation_support"]) for r in answered)
    m["citation_precision"] = _mean(r["citation_precision"] for r in answered)
    m["abstention"] = _mean(float(r["abstained"]) for r in una)
    m["false_abstention"] = _mean(float(r["abstained"]) for r in ans)
    m["latency_p50_ms"] = _pct(lat, 50)
    m["latency_p95_ms"] = _pct(lat, 95)
    return m


def run_eval(
    ask: Callable[[str], Answer],
    questions: list[Question],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Ask every question through ``ask`` and return results, metrics and failures."""
    results: list[dict[str, Any]] = []
    for i, q in enumerate(questions, start=1):
        ans = ask(q.question)
        v = verdicts(q, ans)
        results.append({"id": q.id, "question": q.question, "expected": q.answers, "verdicts": v, **ans.model_dump()})
        if progress:
            progress(i, len(questions))
    recs = [r["verdicts"] for r in results]
    by_kind = {k: metrics([r for r in recs if r["kind"] == k]) for k in KINDS if any(r["kind"] == k for r in recs)}
    failures = [
        {
            "id": r["id"],
            "kind": r["verdicts"]["kind"],
            "question": r["question"],
            "expected": r["expected"],
            "answer": r["answer"],
            "abstained": r["abstained"],
            "evidence_rank": r["verdicts"].get("evidence_rank"),
            "citations": [{"n": c["n"], "section": c["section"], "text": c["text"]} for c in r["citations"]],
        }
        for r in results
        if not r["verdicts"]["correct"]
    ]
    return {"metrics": metrics(recs), "by_kind": by_kind, "failures": failures, "results": results}


def latency_summary(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": _pct(values, 50),
        "p95": _pct(values, 95),
        "mean": round(statistics.fmean(values), 2) if values else None,
    }
