"""Evaluation reports: per-question results, metrics.json, a Markdown summary and one HTML page.

The HTML page is self-contained: plots are inline SVG drawn here, there is no
script and no external resource, and every string from the corpus, the
question set or an answer is HTML-escaped.
"""

from __future__ import annotations

import json
import logging
import math
from html import escape
from pathlib import Path
from typing import Any

from briefqa.errors import BriefqaError
from briefqa.evaluation import HIT_KS, QUALITY_METRICS

log = logging.getLogger(__name__)

SYSTEMS = ("briefqa", "baseline")
COLOURS = {"briefqa": "#1f6feb", "baseline": "#d9822b"}
SHOWN = (*QUALITY_METRICS, "latency_p50_ms", "latency_p95_ms", "answer_words")


def write_eval_report(out: Path, ev: dict[str, Any]) -> dict[str, Path]:
    """Write results.jsonl, metrics.json, summary.md and report.html (and baseline_results.jsonl)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = {
            "results": out / "results.jsonl",
            "metrics": out / "metrics.json",
            "summary": out / "summary.md",
            "html": out / "report.html",
        }
        _write_jsonl(files["results"], ev["briefqa"]["results"])
        if ev.get("baseline"):
            files["baseline_results"] = out / "baseline_results.jsonl"
            _write_jsonl(files["baseline_results"], ev["baseline"]["results"])
        files["metrics"].write_text(json.dumps(metrics_document(ev), ensure_ascii=False, indent=2), encoding="utf-8")
        files["summary"].write_text(summary_markdown(ev), encoding="utf-8")
        files["html"].write_text(html_report(ev), encoding="utf-8")
    except OSError as exc:
        raise BriefqaError(f"Cannot write the evaluation report into {out}: {exc.strerror}.") from exc
    log.info("evaluation report written to %s", out)
    return files


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def metrics_document(ev: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "questions": ev["questions"],
        "top_k": ev["top_k"],
        "index": ev["index"],
        "briefqa": {"metrics": ev["briefqa"]["metrics"], "by_kind": ev["briefqa"]["by_kind"]},
        "failures": ev["briefqa"]["failures"],
    }
    if ev.get("baseline"):
        doc["baseline"] = {
            "metrics": ev["baseline"]["metrics"],
            "by_kind": ev["baseline"]["by_kind"],
            "build_s": ev.get("baseline_build_s"),
            "failed_ids": [f["id"] for f in ev["baseline"]["failures"]],
        }
        doc["ratios"] = ev["ratios"]
    return doc


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def _metric_rows(ev: dict[str, Any]) -> list[list[str]]:
    ours = ev["briefqa"]["metrics"]
    base = ev["baseline"]["metrics"] if ev.get("baseline") else None
    rows = []
    for name in SHOWN:
        row = [name, _fmt(ours.get(name))]
        if base is not None:
            row += [_fmt(base.get(name)), _fmt((ev["ratios"] or {}).get(name))]
        rows.append(row)
    return rows


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    def cell(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _short(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def summary_markdown(ev: dict[str, Any]) -> str:
    ours = ev["briefqa"]
    head = ["metric", "briefqa"]
    if ev.get("baseline"):
        head += ["baseline", "ratio"]
    m = ours["metrics"]
    parts = [
        "# Evaluation summary",
        "",
        f"Question set `{ev['questions']}`: {m['questions']} questions ({m['answerable']} answerable, "
        f"{m['unanswerable']} unanswerable); top_k {ev['top_k']}; index `{ev['index']}`.",
        "",
        _md_table(head, _metric_rows(ev)),
        "",
    ]
    if ev.get("baseline"):
        parts += [
            "Ratios are briefqa / baseline (for latency and answer_words, below 1 means briefqa is faster or shorter). "
            "The baseline's answer is the text of its top retrieved node and it never abstains.",
            "",
        ]
    parts += ["## By kind", ""]
    kind_rows = []
    for kind, km in ours["by_kind"].items():
        for name in SHOWN:
            if km.get(name) is not None:
                row = [kind, name, _fmt(km[name])]
                if ev.get("baseline"):
                    row.append(_fmt(ev["baseline"]["by_kind"].get(kind, {}).get(name)))
                kind_rows.append(row)
    parts += [_md_table(["kind", "metric", "briefqa", *(["baseline"] if ev.get("baseline") else [])], kind_rows), ""]
    parts += [f"## Failed questions ({len(ours['failures'])})", ""]
    if ours["failures"]:
        parts.append(
            _md_table(
                ["id", "kind", "why", "question", "expected", "answer"],
                [
                    [
                        f["id"],
                        f["kind"],
                        ", ".join(f["reasons"]),
                        _short(f["question"], 100),
                        _expected(f["expected"]),
                        "(abstained)" if f["abstained"] else _short(f["answer"]),
                    ]
                    for f in ours["failures"]
                ],
            )
        )
    else:
        parts.append("None.")
    return "\n".join(parts) + "\n"


def _expected(groups: list[list[str]]) -> str:
    return " AND ".join(" / ".join(g) for g in groups) if groups else "(abstain)"


# SVG plots ---------------------------------------------------------------------------------------


def _svg_open(w: int, h: int, title: str) -> str:
    return (
        f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<rect width="{w}" height="{h}" fill="#fff"/>'
    )


def _legend(names: list[str], x: float, y: float) -> str:
    out = []
    for i, name in enumerate(names):
        yy = y + i * 16
        out.append(f'<rect x="{x}" y="{yy - 9}" width="10" height="10" fill="{COLOURS.get(name, "#555")}"/>')
        out.append(f'<text x="{x + 14}" y="{yy}" font-size="11">{escape(name)}</text>')
    return "".join(out)


def hit_curve_svg(series: dict[str, dict[str, Any]], w: int = 420, h: int = 260) -> str:
    """hit@k against k, one line per system."""
    left, right, top, bottom = 44, 100, 16, 36
    pw, ph = w - left - right, h - top - bottom
    ks = list(HIT_KS)

    def x(i: int) -> float:
        return left + pw * i / (len(ks) - 1)

    def y(v: float) -> float:
        return top + ph * (1 - v)

    parts = [_svg_open(w, h, "Retrieval hit@k")]
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" font-size="10" text-anchor="end">{t:.2f}</text>')
    for i, k in enumerate(ks):
        parts.append(f'<text x="{x(i):.1f}" y="{h - bottom + 16}" font-size="10" text-anchor="middle">k={k}</text>')
    for name, m in series.items():
        pts = [(x(i), y(m[f"hit@{k}"])) for i, k in enumerate(ks) if m.get(f"hit@{k}") is not None]
        if not pts:
            continue
        colour = COLOURS.get(name, "#555")
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in pts]
    parts.append(_legend(list(series), left + pw + 14, top + 12))
    parts.append(f'<text x="{left + pw / 2}" y="{h - 4}" font-size="11" text-anchor="middle">passages returned</text>')
    parts.append("</svg>")
    return "".join(parts)


def latency_svg(series: dict[str, list[float]], w: int = 420, h: int = 260) -> str:
    """Histogram of per-question latency on log-spaced bins, one bar colour per system."""
    left, right, top, bottom = 44, 100, 16, 36
    pw, ph = w - left - right, h - top - bottom
    values = [v for vs in series.values() for v in vs if v > 0]
    parts = [_svg_open(w, h, "Latency per question (ms)")]
    if not values:
        return "".join(parts) + "</svg>"
    lo, hi = math.log10(min(values)), math.log10(max(values))
    if hi - lo < 0.1:
        lo, hi = lo - 0.05, hi + 0.05
    nbins = 16
    width = (hi - lo) / nbins
    counts: dict[str, list[int]] = {}
    for name, vs in series.items():
        c = [0] * nbins
        for v in vs:
            if v > 0:
                c[min(nbins - 1, int((math.log10(v) - lo) / width))] += 1
        counts[name] = c
    peak = max(max(c) for c in counts.values()) or 1
    bw = pw / nbins / max(1, len(series))
    for s, (name, c) in enumerate(counts.items()):
        colour = COLOURS.get(name, "#555")
        for b, n in enumerate(c):
            if n:
                bh = ph * n / peak
                bx = left + pw * b / nbins + s * bw
                parts.append(
                    f'<rect x="{bx:.1f}" y="{top + ph - bh:.1f}" width="{bw:.1f}" height="{bh:.1f}" fill="{colour}">'
                    f"<title>{escape(name)}: {n}</title></rect>"
                )
    parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#888"/>')
    for b in range(0, nbins + 1, 4):
        v = 10 ** (lo + b * width)
        parts.append(
            f'<text x="{left + pw * b / nbins:.1f}" y="{h - bottom + 16}" font-size="10" '
            f'text-anchor="middle">{v:.0f}</text>'
        )
    parts.append(f'<text x="{left - 6}" y="{top + 8}" font-size="10" text-anchor="end">{peak}</text>')
    parts.append(_legend(list(series), left + pw + 14, top + 12))
    parts.append(f'<text x="{left + pw / 2}" y="{h - 4}" font-size="11" text-anchor="middle">ms (log scale)</text>')
    parts.append("</svg>")
    return "".join(parts)


def kind_bars_svg(by_kind: dict[str, dict[str, dict[str, Any]]], w: int = 420, h: int = 260) -> str:
    """Answer accuracy (abstention for unanswerable questions) per kind and system."""
    left, right, top, bottom = 44, 100, 16, 36
    pw, ph = w - left - right, h - top - bottom
    kinds = sorted({k for bk in by_kind.values() for k in bk})
    parts = [_svg_open(w, h, "Correct answers by kind")]
    if not kinds:
        return "".join(parts) + "</svg>"
    slot = pw / len(kinds)
    bw = slot * 0.8 / max(1, len(by_kind))
    for i, kind in enumerate(kinds):
        for s, (name, bk) in enumerate(by_kind.items()):
            km = bk.get(kind, {})
            v = km.get("abstention") if kind == "unanswerable" else km.get("answer_accuracy")
            if v is None:
                continue
            bx = left + slot * i + slot * 0.1 + s * bw
            parts.append(
                f'<rect x="{bx:.1f}" y="{top + ph * (1 - v):.1f}" width="{bw:.1f}" height="{ph * v:.1f}" '
                f'fill="{COLOURS.get(name, "#555")}"><title>{escape(name)} {escape(kind)}: {v:.3f}</title></rect>'
            )
        parts.append(
            f'<text x="{left + slot * (i + 0.5):.1f}" y="{h - bottom + 16}" font-size="10" '
            f'text-anchor="middle">{escape(kind)}</text>'
        )
    for t in (0.0, 0.5, 1.0):
        yy = top + ph * (1 - t)
        parts.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" font-size="10" text-anchor="end">{t:.1f}</text>')
    parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#888"/>')
    parts.append(_legend(list(by_kind), left + pw + 14, top + 12))
    parts.append("</svg>")
    return "".join(parts)


# HTML --------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f4f4f4}.plots{display:flex;flex-wrap:wrap;gap:1rem}.plots figure{margin:0}
details{border:1px solid #ddd;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}.why{color:#b42318}.passage{background:#f7f7f7;padding:.4rem;white-space:pre-wrap;font-size:.9em}
"""


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _failure_html(f: dict[str, Any]) -> str:
    given = "(abstained)" if f["abstained"] else f["answer"]
    cites = "".join(
        f'<p><b>[{c["n"]}] §{escape(c["section"])} {escape(c.get("section_title", ""))}</b></p>'
        f'<div class="passage">{escape(c["text"])}</div>'
        for c in f["citations"]
    )
    rank = f["evidence_rank"]
    return (
        f"<details><summary><b>{escape(f['id'])}</b> ({escape(f['kind'])}) {escape(f['question'])} "
        f'<span class="why">{escape(", ".join(f["reasons"]))}</span></summary>'
        f"<p><b>Expected:</b> {escape(_expected(f['expected']))}</p>"
        f"<p><b>Given:</b> {escape(given)}</p>"
        f"<p><b>Evidence rank:</b> {escape(str(rank) if rank else 'not in the passages returned')}</p>"
        f"{cites or '<p>No citations.</p>'}</details>"
    )


def html_report(ev: dict[str, Any]) -> str:
    ours = ev["briefqa"]
    systems = {"briefqa": ours}
    if ev.get("baseline"):
        systems["baseline"] = ev["baseline"]
    m = ours["metrics"]
    head = ["metric", "briefqa"] + (["baseline", "ratio"] if ev.get("baseline") else [])
    plots = [
        ("Retrieval: evidence in the first k passages", hit_curve_svg({n: s["metrics"] for n, s in systems.items()})),
        (
            "Latency per question",
            latency_svg({n: [r["verdicts"]["latency_ms"] for r in s["results"]] for n, s in systems.items()}),
        ),
        (
            "Correct answers by kind (unanswerable: abstained)",
            kind_bars_svg({n: s["by_kind"] for n, s in systems.items()}),
        ),
    ]
    kind_rows = [
        [kind, *(_fmt(km.get(n)) for n in ("answer_accuracy", "hit@1", "hit@5", "mrr", "abstention", "latency_p50_ms"))]
        for kind, km in ours["by_kind"].items()
    ]
    body = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>briefqa evaluation</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>briefqa evaluation</h1>",
        f"<p>Question set <code>{escape(str(ev['questions']))}</code>: {m['questions']} questions "
        f"({m['answerable']} answerable, {m['unanswerable']} unanswerable); top_k {ev['top_k']}; "
        f"index <code>{escape(str(ev['index']))}</code>.</p>",
        "<h2>Metrics</h2>",
        _html_table(head, _metric_rows(ev)),
    ]
    if ev.get("baseline"):
        body.append(
            "<p>Ratios are briefqa / baseline. The baseline is the plain llama-index pipeline "
            "(default splitter, dense retrieval, same model); its answer is its top node's text and it never "
            "abstains.</p>"
        )
    body += [
        '<h2>Plots</h2><div class="plots">',
        *(f"<figure><figcaption>{escape(c)}</figcaption>{p}</figure>" for c, p in plots),
        "</div>",
        "<h2>By kind (briefqa)</h2>",
        _html_table(["kind", "answer_accuracy", "hit@1", "hit@5", "mrr", "abstention", "latency_p50_ms"], kind_rows),
        f"<h2>Failed questions ({len(ours['failures'])})</h2>",
        *(_failure_html(f) for f in ours["failures"]),
        "</body></html>",
    ]
    return "\n".join(body)
