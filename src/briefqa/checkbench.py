"""Measuring the citation checker (issue 6) on scripted answers.

For every answerable question of a question set, the passages an LLM would be
given are built exactly as generate.py builds them; from the extractive
answer's sentences we script what an LLM could write:

* ``verbatim``: the sentence as the briefing states it, with its correct [n];
* ``paraphrase``: the same fact lightly reworded (connector dropped, opening
  clause moved to the end, attribution added, parenthesis dropped);
* ``number``: one number, year or percentage changed to a value that appears
  in no cited passage (a hallucinated figure);
* ``name``: one name swapped for another name of the briefing that appears in
  no cited passage;
* ``citation``: a citation [n] beyond the passages given (alone or beside a
  valid one).

Every variant goes through the real checker (``split_sentences`` then
``check_sentences``, the call ``generate.finalise`` makes) with the real
embedding model; a sample also goes end to end through the real llama-index
OpenAI-compatible client against ``ReplayLLMServer``, a FAKE LLM that replies
with the scripted variant, to show the verdicts are the same on that path.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from briefqa.check import CheckedSentence, Evidence, check_sentences, split_sentences, strip_markers
from briefqa.evaluation import Question, normalise

if TYPE_CHECKING:
    from briefqa.engine import Assistant
    from briefqa.llm import LLM
    from briefqa.types import Answer, SentenceCheck

log = logging.getLogger(__name__)

CORRECT_KINDS = ("verbatim", "paraphrase")
BAD_KINDS = ("number", "name", "citation")
DEFAULT_LLM_SAMPLE = 20

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
_CONNECTOR = re.compile(
    r"^(However|Moreover|Furthermore|In addition|Additionally|Also|Indeed|Therefore|Thus|Hence|Consequently|"
    r"Nevertheless|Finally|Overall|In fact|As a result|On the other hand|In particular|Notably|Similarly|"
    r"Likewise|Meanwhile|Besides|In this context|To this end|For this reason|In this regard|Lastly|Then),\s+"
)
_LEAD_CLAUSE = re.compile(
    r"^(In|With|Since|By|For|Between|After|Before|During|Through|Under|Following|Over|From|At|Until|Within)"
    r"\s+((?:[^,;:()]|,(?=\d)){3,70}),\s+(.{20,})$"
)
_PARENS = re.compile(r"\s*\([^()]{1,120}\)")
# Capitalised words that may open a sentence without being a name, lowercased when moved inside one.
_COMMON = set(
    "the this these those it its in with since by for between after before during through under following over "
    "from at until within a an as there such each some many most several other another both all".split()
)


@dataclass
class Variant:
    """One scripted answer sentence, with what a correct checker must say about it."""

    qid: str
    question: str
    kind: str  # verbatim | paraphrase | number | name | citation
    text: str  # as an LLM would write it, markers included
    source: str  # the briefing sentence it was made from
    detail: str = ""  # what was changed
    changed: str = ""  # the inserted number or name (number / name variants)
    bad: list[int] = field(default_factory=list)  # out-of-range citation numbers (citation variants)
    valid: list[int] = field(default_factory=list)  # in-range citation numbers it carries


@dataclass
class Verdict:
    variant: Variant
    statuses: list[str]
    problems: list[str]
    ok: bool  # the checker did the right thing: kept a correct sentence, or caught a bad one
    kept_valid: bool | None = None  # citation variants with a valid citation too: still supported after repair?


@dataclass
class QuestionCases:
    question: Question
    searched: str
    evidence: list[Evidence]
    variants: list[Variant]


@dataclass
class CheckBenchReport:
    questions: int
    skipped: list[str]
    counts: dict[str, dict[str, float | int]]
    misses: list[dict[str, Any]]
    llm_path: dict[str, Any]
    threshold: float
    seconds: float
    verdicts: list[Verdict] = field(repr=False, default_factory=list)

    def summary(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "verdicts"}
        return d


# Building the variants ---------------------------------------------------------------------------


def _canon(number: str) -> str:
    return re.sub(r"\D", "", number).lstrip("0") or "0"


def _numbers_in(e: Evidence) -> set[str]:
    p = e.passage
    text = " ".join([p.text, p.heading, p.section, e.sources, " ".join(map(str, p.footnotes))])
    return {_canon(m) for m in _DIGITS.findall(text)}


def _words_in(e: Evidence) -> set[str]:
    p = e.passage
    text = " ".join([p.text, p.heading, p.title, e.sources]).replace("-", " ")
    return {w.lower() for w in _WORD.findall(text)}


def _mark(sentence: str, marker: str) -> str:
    body = sentence.rstrip().rstrip(".:;")
    return f"{body} {marker}."


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _lower_first(s: str) -> str:
    first = s.split(" ", 1)[0]
    return s[:1].lower() + s[1:] if first.lower() in _COMMON else s


def paraphrases(sentence: str) -> list[tuple[str, str]]:
    """Meaning-preserving rewordings of a briefing sentence, each with a label of what was done."""
    s = " ".join(sentence.split())
    out: list[tuple[str, str]] = []
    m = _CONNECTOR.match(s)
    if m:
        out.append(("connector dropped", _cap(s[m.end() :])))
        s = _cap(s[m.end() :])
    m = _LEAD_CLAUSE.match(s)
    # Moving the clause behind a sentence that ends inside (a closing quotation) would make two sentences.
    if m and not re.search(r"[.!?][”\"')]*(\s|$)", m.group(3).rstrip().removesuffix(".")):
        lead, head, rest = m.group(1), m.group(2), m.group(3).rstrip(".")
        out.append(("opening clause moved to the end", f"{_cap(rest)} {lead.lower()} {head}."))
    dropped = _PARENS.sub("", s)
    if dropped != s and len(dropped.split()) >= 6:
        out.append(("parenthesis dropped", dropped))
    out.append(("attribution added", f"According to the briefing, {_lower_first(s)}"))
    return out


def _ordinal(n: str) -> str:
    v = int(n)
    if 10 <= v % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(v % 10, "th")


def _changed_number(token: str, forbidden: set[str]) -> str | None:
    """A plausible wrong value for ``token`` (same shape) whose digits appear in no cited passage."""
    if re.fullmatch(r"(19|20)\d\d", token):
        for step in (3, -3, 5, -5, 7, 11, -11, 13):
            cand = str(int(token) + step)
            if _canon(cand) not in forbidden:
                return cand
        return None
    i = next((j for j, ch in enumerate(token) if ch.isdigit() and ch != "0"), None)
    if i is None:
        return None
    for step in range(1, 10):
        d = (int(token[i]) + step) % 10
        if d == 0:
            continue
        cand = token[:i] + str(d) + token[i + 1 :]
        if _canon(cand) not in forbidden:
            return cand
    return None


def number_variants(sentence: str, forbidden: set[str], limit: int = 2) -> list[tuple[str, str, str]]:
    """(changed sentence, what changed, new value): one number replaced at a time, the first and last ones."""
    found = list(_DIGITS.finditer(sentence))
    picks = [found[0], found[-1]] if len(found) > 1 else found
    out: list[tuple[str, str, str]] = []
    for m in picks[:limit]:
        new = _changed_number(m.group(0), forbidden)
        if new is None:
            continue
        after = sentence[m.end() :]
        if re.match(r"(st|nd|rd|th)\b", after):  # 21st -> 31st, 12th -> 22nd: the suffix follows the number
            after = _ordinal(_canon(new)) + after[2:]
        text = sentence[: m.start()] + new + after
        out.append((text, f"{m.group(0)} -> {new}", new))
    return out


def _names(sentence: str) -> list[str]:
    out = []
    for i, m in enumerate(_WORD.finditer(sentence.replace("-", " "))):
        w = re.sub(r"['’]s?$", "", m.group(0))
        if i == 0 or len(w) < 2 or not w[0].isupper() or w.lower() in _COMMON:
            continue
        out.append(w)
    return out


def name_pool(assistant: Assistant) -> list[str]:
    """Proper names of the corpus (capitalised inside sentences at least twice, never written in lower case).

    What a confused LLM could swap in; common words from headings ("Stage", "Table") are left out.
    """
    counts: Counter[str] = Counter()
    lower: set[str] = set()
    for p in assistant.index.passages.values():
        lower |= {w for w in _WORD.findall(p.text) if w.islower()}
        for sent in re.split(r"(?<=[.!?])\s+", p.text):
            counts.update(w for w in _names(sent) if len(w) >= 4 or w.isupper())
    return sorted(w for w, c in counts.items() if c >= 2 and w.lower() not in lower and w.lower() not in _COMMON)


def name_variant(sentence: str, words: set[str], pool: list[str], seed: str) -> tuple[str, str, str] | None:
    """The sentence with one of its names (found in the cited passage) swapped for another entity's."""
    stems = {w[:4] for w in words}
    for name in _names(sentence):
        if name.lower() not in words:
            continue
        kind = [w for w in pool if w.isupper() == name.isupper()]
        if not kind:
            continue
        start = zlib.crc32(f"{seed}|{name}".encode()) % len(kind)
        for k in range(len(kind)):
            cand = kind[(start + k) % len(kind)]
            # A different entity: not in the cited passages, not a form of a word there (Korea/Korean).
            if cand.lower() in words or cand.lower()[:4] in stems or cand.lower() in sentence.lower():
                continue
            # Letters-only boundaries: "USD25.6" holds the name USD.
            text = re.sub(rf"(?<![A-Za-z]){re.escape(name)}(?![a-z])", cand, sentence, count=1)
            if text == sentence:
                break
            return text, f"{name} -> {cand}", cand
    return None


def citation_forms(n: int, total: int, i: int) -> tuple[str, list[int], list[int]]:
    """A marker with a citation beyond the ``total`` passages, in one of several shapes LLMs write."""
    forms: list[tuple[str, list[int], list[int]]] = [
        (f"[{total + 1}]", [total + 1], []),
        (f"[{n}][{total + 2}]", [total + 2], [n]),
        (f"[{n}, {total + 3}]", [total + 3], [n]),
        (f"[passage {total + 1}]", [total + 1], []),
        (f"[{total + 10}]", [total + 10], []),
    ]
    return forms[i % len(forms)]


def true_sentences(assistant: Assistant, q: Question, base: Answer, evidence: list[Evidence]) -> list[tuple[int, str]]:
    """(prompt number, sentence) pairs that are true to a passage given to the LLM.

    The extractive answer's sentences, and the sentences of the prompt's passages
    that hold one of the question's evidence quotes (so abstained questions count too).
    """
    n_of = {e.passage.id: e.n for e in evidence}
    out: list[tuple[int, str]] = []
    seen: set[str] = set()

    def add(n: int, text: str) -> None:
        text = " ".join(text.split())
        if len(text.split()) >= 4 and text not in seen:
            seen.add(text)
            out.append((n, text))

    if not base.abstained:
        for c in base.citations:
            if c.passage_id in n_of:  # else the passage did not fit the LLM's budget
                for sent in c.sentences:
                    add(n_of[c.passage_id], sent)
    quotes = [normalise(x) for x in q.evidence]
    for e in evidence:
        for row in assistant.index.by_passage.get(e.passage.id, []):
            sent = assistant.index.sentences[row].text
            norm = normalise(sent)
            if any(x in norm or x[:30] in norm for x in quotes if len(x) >= 10):
                add(e.n, sent)
    return out


def build_cases(assistant: Assistant, q: Question, pool: list[str]) -> QuestionCases:
    """The prompt's evidence for ``q`` (numbered as generate.py numbers it) and the scripted variants."""
    from briefqa.generate import build_prompt

    s = assistant.settings
    base = assistant.ask(q.question)
    passages = [
        assistant.index.passages[p.id] for p in base.passages[: s.llm_passages] if p.id in assistant.index.passages
    ]
    searched = base.searched or base.question
    _, evidence, _ = build_prompt(assistant, searched, passages)
    total = len(evidence)
    variants: list[Variant] = []

    def add(kind: str, text: str, source: str, **kw: Any) -> None:
        variants.append(Variant(q.id, q.question, kind, text, source, **kw))

    for n, sent in true_sentences(assistant, q, base, evidence):
        e = evidence[n - 1]
        forbidden, words = _numbers_in(e), _words_in(e)
        add("verbatim", _mark(sent, f"[{n}]"), sent, valid=[n])
        for label, text in paraphrases(sent):
            add("paraphrase", _mark(text, f"[{n}]"), sent, detail=label, valid=[n])
        for text, what, new in number_variants(sent, forbidden):
            add("number", _mark(text, f"[{n}]"), sent, detail=what, changed=new, valid=[n])
        swapped = name_variant(sent, words, pool, q.id)
        if swapped:
            add("name", _mark(swapped[0], f"[{n}]"), sent, detail=swapped[1], changed=swapped[2], valid=[n])
        marker, bad, valid = citation_forms(n, total, len(variants))
        add("citation", _mark(sent, marker), sent, detail=f"marker {marker} with {total} passages", bad=bad,
            valid=valid)
    return QuestionCases(q, searched, evidence, variants)


# Judging the checker's verdicts ------------------------------------------------------------------


def _piece(v: Variant, texts: list[str]) -> int | None:
    """Which checked sentence holds the change (a sentence splitter may cut a variant in two)."""
    if v.changed:
        for i, t in enumerate(texts):
            if re.search(rf"(?<![\w.,]){re.escape(v.changed)}(?![\w])", t) or v.changed in t:
                return i
    return None


def judge(v: Variant, statuses: list[str], problems: list[list[str]], cited: list[list[int]], texts: list[str]) -> Verdict:
    flat = [p for ps in problems for p in ps]
    if v.kind in CORRECT_KINDS:
        return Verdict(v, statuses, flat, ok=bool(statuses) and all(s == "supported" for s in statuses))
    if v.kind in ("number", "name"):
        i = _piece(v, texts)
        caught = statuses[i] != "supported" if i is not None else any(s != "supported" for s in statuses)
        return Verdict(v, statuses, flat, ok=caught)
    # citation: every out-of-range number removed and named; alone, the sentence must not pass as cited.
    kept_nums = {n for ns in cited for n in ns}
    removed = all(b not in kept_nums and any(f"[{b}]" in p for p in flat) for b in v.bad)
    if v.valid:
        kept = all(s == "supported" for s in statuses)
        return Verdict(v, statuses, flat, ok=removed, kept_valid=kept)
    return Verdict(v, statuses, flat, ok=removed and all(s != "supported" for s in statuses))


def check_direct(assistant: Assistant, cases: QuestionCases) -> list[Verdict]:
    """Each variant through ``split_sentences`` + ``check_sentences``, as generate.finalise calls them.

    One call for all variants of a question (one embedding batch); sentences are
    checked one by one, so batching does not change a verdict.
    """
    s = assistant.settings
    pieces = [[p for p in split_sentences(v.text) if re.search(r"\w", strip_markers(p))] for v in cases.variants]
    res: list[CheckedSentence] = check_sentences(
        [p for ps in pieces for p in ps], cases.evidence, assistant.embedder, s.check_similarity
    )
    if len(res) != sum(map(len, pieces)):
        raise RuntimeError("check_sentences dropped a sentence; cannot match verdicts to variants")
    out, k = [], 0
    for v, ps in zip(cases.variants, pieces, strict=True):
        rs, k = res[k : k + len(ps)], k + len(ps)
        out.append(judge(v, [r.status for r in rs], [r.problems for r in rs], [r.cited for r in rs],
                         [r.text for r in rs]))
    return out


def _from_checks(v: Variant, ans: Answer, evidence: list[Evidence]) -> Verdict:
    n_of = {e.passage.id: e.n for e in evidence}
    checks: list[SentenceCheck] = ans.checks
    cited = [[n_of.get(pid, -1) for pid in c.passage_ids] for c in checks]
    return judge(v, [c.status for c in checks], [c.problems for c in checks], cited, [c.text for c in checks])


def check_through_llm(assistant: Assistant, cases: QuestionCases, server: ReplayLLMServer, llm: LLM) -> list[Verdict]:
    """Each variant as the reply of the (fake) LLM, through ``Assistant.ask`` or ``stream_answer`` in turn."""
    from briefqa.generate import stream_answer

    out = []
    for i, v in enumerate(cases.variants):
        server.replies.append(v.text)
        if i % 2 == 0:
            ans = assistant.ask(cases.question.question, llm=llm)
        else:
            last = [ev.answer for ev in stream_answer(assistant, cases.question.question, llm) if ev.answer]
            ans = last[-1]
        out.append(_from_checks(v, ans, cases.evidence))
    return out


# The run -----------------------------------------------------------------------------------------


def _rate(verdicts: Iterable[Verdict], kinds: tuple[str, ...], good: bool) -> dict[str, float | int]:
    vs = [v for v in verdicts if v.variant.kind in kinds]
    n = sum(v.ok == good for v in vs)
    return {"count": n, "total": len(vs), "rate": round(n / len(vs), 4) if vs else 0.0}


def tally(verdicts: list[Verdict]) -> dict[str, dict[str, float | int]]:
    counts = {
        "hallucinated_numbers_caught": _rate(verdicts, ("number",), True),
        "swapped_names_caught": _rate(verdicts, ("name",), True),
        "out_of_range_citations_caught": _rate(verdicts, ("citation",), True),
        "correct_sentences_rejected": _rate(verdicts, CORRECT_KINDS, False),
        "verbatim_rejected": _rate(verdicts, ("verbatim",), False),
        "paraphrases_rejected": _rate(verdicts, ("paraphrase",), False),
    }
    mixed = [v for v in verdicts if v.kept_valid is not None]
    counts["repaired_citations_kept"] = {
        "count": sum(bool(v.kept_valid) for v in mixed),
        "total": len(mixed),
        "rate": round(sum(bool(v.kept_valid) for v in mixed) / len(mixed), 4) if mixed else 0.0,
    }
    return counts


def _miss(v: Verdict) -> dict[str, Any]:
    return {
        "id": v.variant.qid,
        "kind": v.variant.kind,
        "detail": v.variant.detail,
        "text": v.variant.text,
        "statuses": v.statuses,
        "problems": v.problems,
    }


def run_check_bench(
    assistant: Assistant,
    questions: list[Question],
    llm_sample: int = DEFAULT_LLM_SAMPLE,
) -> CheckBenchReport:
    """Script variants for every answerable question, check them, and check a sample through the LLM client."""
    t0 = time.perf_counter()
    pool = name_pool(assistant)
    all_cases: list[QuestionCases] = []
    skipped: list[str] = []
    for q in questions:
        if q.kind == "unanswerable":
            continue
        cases = build_cases(assistant, q, pool)
        if not cases.variants:
            skipped.append(q.id)
            continue
        all_cases.append(cases)
    direct = {c.question.id: check_direct(assistant, c) for c in all_cases}
    verdicts = [v for c in all_cases for v in direct[c.question.id]]
    log.info("checked %d variants of %d questions directly", len(verdicts), len(all_cases))
    llm_path: dict[str, Any] = {"questions": 0, "variants": 0, "agree": 0, "disagreements": []}
    if llm_sample > 0 and all_cases:
        sample = all_cases[:: max(1, len(all_cases) // llm_sample)][:llm_sample]
        e2e: list[Verdict] = []
        with ReplayLLMServer() as server:
            llm = server.llm(assistant)
            for c in sample:
                for i, v in enumerate(check_through_llm(assistant, c, server, llm)):
                    e2e.append(v)
                    d = direct[c.question.id][i]
                    if d.ok == v.ok and d.statuses == v.statuses:
                        llm_path["agree"] += 1
                    else:
                        llm_path["disagreements"].append(
                            {"direct": _miss(d), "through_llm": _miss(v)}
                        )
        llm_path.update(questions=len(sample), variants=len(e2e), counts=tally(e2e), requests=server.served)
    counts = tally(verdicts)
    misses = [_miss(v) for v in verdicts if not v.ok]
    return CheckBenchReport(
        questions=len(all_cases),
        skipped=skipped,
        counts=counts,
        misses=misses,
        llm_path=llm_path,
        threshold=assistant.settings.check_similarity,
        seconds=round(time.perf_counter() - t0, 1),
        verdicts=verdicts,
    )


def write_report(report: CheckBenchReport, out_dir: Any) -> list[Any]:
    """check-bench.json (figures and misses) and check-bench-variants.jsonl (every verdict) in ``out_dir``."""
    from pathlib import Path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = out / "check-bench.json"
    summary.write_text(json.dumps(report.summary(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    rows = out / "check-bench-variants.jsonl"
    with rows.open("w", encoding="utf-8") as f:
        for v in report.verdicts:
            row = {**asdict(v.variant), "statuses": v.statuses, "problems": v.problems, "ok": v.ok}
            if v.kept_valid is not None:
                row["kept_valid"] = v.kept_valid
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return [summary, rows]


# The FAKE LLM ------------------------------------------------------------------------------------


class ReplayLLMServer:
    """A FAKE OpenAI-compatible server on 127.0.0.1 that replies with the queued scripted text.

    It stands in for an LLM so that scripted answers travel the real client path
    (llama-index OpenAILike over HTTP, plain and server-sent-event replies).
    """

    MODEL = "replay"

    def __init__(self) -> None:
        self.replies: list[str] = []
        self.served = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep benchmark output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with server._lock:
                    text = server.replies.pop(0) if server.replies else ""
                    server.served += 1
                if body.get("stream"):
                    self._stream(text)
                else:
                    self._send(200, "application/json", json.dumps(_completion(text)).encode())

            def _send(self, status: int, kind: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                words = text.split(" ")
                for i, w in enumerate(words):
                    piece = w + (" " if i < len(words) - 1 else "")
                    self.wfile.write(b"data: " + json.dumps(_chunk({"content": piece}, None)).encode() + b"\n\n")
                self.wfile.write(b"data: " + json.dumps(_chunk({}, "stop")).encode() + b"\n\ndata: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def llm(self, assistant: Assistant) -> LLM:
        from briefqa.llm import make_llm

        s = assistant.settings.model_copy(
            update={"llm": "openai-compatible", "llm_base_url": self.url, "llm_model": self.MODEL, "llm_timeout": 30.0}
        )
        llm = make_llm(s)
        assert llm is not None
        return llm

    def __enter__(self) -> ReplayLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "replay",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": ReplayLLMServer.MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(delta: dict[str, str], finish: str | None) -> dict[str, Any]:
    return {
        "id": "replay",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": ReplayLLMServer.MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
