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
import re
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from briefqa.errors import BelowFloor, InvalidInput
from briefqa.types import Answer

if TYPE_CHECKING:
    from briefqa.settings import Settings

log = logging.getLogger(__name__)

KINDS = ("fact", "list", "unanswerable")
HIT_KS = (1, 3, 5, 10)
# Metrics a floor can be set on. For these lower is better, so their "floor" is a ceiling.
LOWER_IS_BETTER = frozenset({"false_abstention", "latency_p50_ms", "latency_p95_ms", "answer_words"})
QUALITY_METRICS = (
    *(f"hit@{k}" for k in HIT_KS),
    "mrr",
    "answer_accuracy",
    "citation_support",
    "citation_precision",
    "abstention",
    "false_abstention",
)
GATED_METRICS = (*QUALITY_METRICS, "latency_p50_ms", "latency_p95_ms", "answer_words")
# Progress of a long run: (phase label, done, total).
Progress = Callable[[str, int, int], None]
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


class Question(BaseModel):
    # A misspelt field ("answer", "evidences") must fail loudly, not leave the question without answers.
    model_config = ConfigDict(extra="forbid")

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
    v: dict[str, Any] = {
        "kind": q.kind,
        "abstained": ans.abstained,
        "latency_ms": ans.timings_ms.total,
        "answer_words": 0 if ans.abstained else len(ans.answer.split()),
    }
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


def percentile(xs: list[float], p: float) -> float | None:
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
    m["latency_p50_ms"] = percentile(lat, 50)
    m["latency_p95_ms"] = percentile(lat, 95)
    # How much a user has to read: a long passage pasted as the answer "contains" more alternatives.
    m["answer_words"] = _mean(float(r["answer_words"]) for r in answered)
    return m


def _reasons(v: dict[str, Any]) -> list[str]:
    """Why a question failed, in the words of the metrics."""
    if v["kind"] == "unanswerable":
        return [] if v["correct"] else ["answered an unanswerable question"]
    out = []
    if v["abstained"]:
        out.append("false abstention")
    elif not v["correct"]:
        out.append("wrong answer")
    if not v["hit@10"]:
        out.append("evidence not retrieved")
    if v.get("citation_support") is False:
        out.append("no cited passage holds the evidence")
    return out


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
        # The ask JSON first, so the set's own id, question and expected answer win over it.
        results.append({**ans.model_dump(), "id": q.id, "question": q.question, "expected": q.answers, "verdicts": v})
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
            "reasons": _reasons(r["verdicts"]),
            "citations": [
                {"n": c["n"], "section": c["section"], "section_title": c["section_title"], "text": c["text"]}
                for c in r["citations"]
            ],
        }
        for r in results
        if not r["verdicts"]["correct"]
    ]
    return {"metrics": metrics(recs), "by_kind": by_kind, "failures": failures, "results": results}


def parse_floors(specs: Iterable[str]) -> dict[str, float]:
    """``METRIC=VALUE`` pairs (several per spec, separated by commas or spaces) into floors.

    A metric is one of GATED_METRICS, optionally for one kind: ``list.answer_accuracy``.
    """
    floors: dict[str, float] = {}
    names = ", ".join(GATED_METRICS)
    for spec in specs:
        for pair in (p for p in re.split(r"[,\s]+", spec) if p):
            name, sep, value = pair.partition("=")
            if not sep:
                raise InvalidInput(f"--fail-under takes METRIC=VALUE, not {pair!r} (metrics: {names}).")
            kind, _, metric = name.rpartition(".")
            if metric not in GATED_METRICS or (kind and kind not in KINDS):
                raise InvalidInput(f"Unknown metric {name!r}; use one of {names} (optionally KIND.METRIC).")
            try:
                floors[name] = float(value)
            except ValueError as exc:
                raise InvalidInput(f"The floor of {name} must be a number, not {value!r}.") from exc
    return floors


def metric_value(report: dict[str, Any], name: str) -> float | None:
    """A metric of an evaluation (``run_eval``'s result), ``KIND.METRIC`` for one kind."""
    kind, _, metric = name.rpartition(".")
    block = report["by_kind"].get(kind, {}) if kind else report["metrics"]
    value = block.get(metric)
    return None if value is None else float(value)


def below_floors(report: dict[str, Any], floors: dict[str, float]) -> list[str]:
    """One line for every metric worse than its floor (above it, for LOWER_IS_BETTER metrics)."""
    out = []
    for name, floor in floors.items():
        value = metric_value(report, name)
        lower = name.rpartition(".")[2] in LOWER_IS_BETTER
        if value is None:
            out.append(f"{name} was not measured (no question of that kind)")
        elif lower and value > floor:
            out.append(f"{name} {value:g} is above its ceiling {floor:g}")
        elif not lower and value < floor:
            out.append(f"{name} {value:g} is below its floor {floor:g}")
    return out


def check_floors(report: dict[str, Any], floors: dict[str, float]) -> None:
    failed = below_floors(report, floors)
    if failed:
        raise BelowFloor("; ".join(failed) + ".")


def ratios(ours: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    """briefqa / baseline for every metric both measured (latency: below 1 means briefqa is faster)."""
    out: dict[str, float | None] = {}
    for name, value in ours.items():
        other = base.get(name)
        if name in ("questions", "answerable", "unanswerable"):
            continue
        out[name] = round(value / other, 3) if value is not None and other else None
    return out


def evaluate(
    settings: Settings,
    path: Path,
    top_k: int | None = None,
    baseline: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run a question set through ``ask`` (and, with ``baseline``, the plain llama-index pipeline).

    Returns ``{"questions", "top_k", "index", "briefqa": run_eval(...), "baseline": run_eval(...) | None,
    "ratios"}``.
    """
    import briefqa
    from briefqa.llm import get_llm

    questions = load_questions(path)
    k = top_k or settings.top_k
    assistant = briefqa.assistant(settings)
    llm = get_llm(settings)

    def step(label: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: progress(label, done, total)) if progress else None

    ours = run_eval(lambda q: assistant.ask(q, k=k, llm=llm), questions, step("Asking briefqa"))
    out: dict[str, Any] = {
        "questions": str(path),
        "top_k": k,
        "index": assistant.identity,
        "briefqa": ours,
        "baseline": None,
        "ratios": None,
    }
    if baseline:
        from briefqa.baseline import Baseline

        if progress:
            progress("Building the baseline", 0, 1)
        base = Baseline.build(settings, top_k=k)
        if progress:
            progress("Building the baseline", 1, 1)
        out["baseline"] = run_eval(base.ask, questions, step("Asking the baseline"))
        out["baseline_build_s"] = round(base.build_seconds, 2)
        out["ratios"] = ratios(ours["metrics"], out["baseline"]["metrics"])
    log.info("evaluated %d questions from %s", len(questions), path)
    return out


def latency_summary(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "mean": round(statistics.fmean(values), 2) if values else None,
    }
