"""The briefqa command line: a thin layer over the library.

Library errors become a one-line message and a non-zero exit here, in
``BriefqaGroup.invoke`` and nowhere else.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

import briefqa
from briefqa.errors import BriefqaError
from briefqa.settings import Settings, configure_offline

# A footnote whose text the PDF extraction lost (the registry keeps its number and position).
LOST = "(text lost in extraction)"


class BriefqaGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BriefqaError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


def _settings(ctx: click.Context) -> Settings:
    return ctx.ensure_object(dict).setdefault("settings", _build_settings())


def _build_settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "BRIEFQA_" + str(first["loc"][0]).upper() if first.get("loc") else "a BRIEFQA_ setting"
        raise BriefqaError(f"{name}: {first['msg']}") from exc


@click.group(cls=BriefqaGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Cited answers about the Korean cluster landscape, from the 2018 briefing."""
    configure_offline()
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    ctx.ensure_object(dict)


@main.command()
@click.option("--force", is_flag=True, help="Re-read every document even when nothing changed.")
@click.option("--check", is_flag=True, help="Only say whether the index is fresh (exit 0) or stale (exit 1).")
@click.pass_context
def ingest(ctx: click.Context, force: bool, check: bool) -> None:
    """Build or update the index from the corpus folder (incremental)."""
    settings = _settings(ctx)
    if check:
        from briefqa.index import is_fresh

        fresh = is_fresh(settings)
        click.echo("index is fresh" if fresh else "index is missing or stale")
        ctx.exit(0 if fresh else 1)
    bars: dict[str, Any] = {}

    def progress(label: str, done: int, total: int) -> None:
        if total == 0:
            return
        if label not in bars:
            bars[label] = click.progressbar(length=total, label=f"Embedding {total} {label}", file=sys.stderr)
            bars[label].__enter__()
        bar = bars[label]
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    report = briefqa.ingest(settings, progress=progress, force=force)
    if report.unchanged:
        click.echo(f"Index {report.identity} is up to date ({report.passages} passages); nothing to do.")
    else:
        click.echo(
            f"Index {report.identity}: {report.documents} documents, {report.passages} passages, "
            f"{report.embedded} embedded, {report.removed} removed in {report.seconds:.1f} s."
        )


def _print_answer(ans: briefqa.Answer, text: bool = True) -> None:
    if ans.notice:  # issue 6: why a generated answer fell back to the extractive one
        click.echo(f"Note: {ans.notice}", err=True)
    if text:
        click.echo(ans.answer)
    if ans.citations:
        click.echo("")
    for c in ans.citations:
        where = f"§{c.section} " if c.section else ""
        click.echo(f"[{c.n}] {c.title}, {where}{c.section_title}" + (f", p. {c.page}" if c.page else ""))
        for f in c.footnotes:
            url = f" {f.urls[0]}" if f.urls else ""
            note = f"{f.text[:100]}{'…' if len(f.text) > 100 else ''}" if f.text else LOST
            click.echo(f"    footnote {f.number}: {note}{url}")
            for sp in f.passages:  # issue 7: the source's own passage (two hops)
                click.echo(f"      source says: {sp.sentence[:160]} ({sp.title}{', ' + sp.url if sp.url else ''})")
                for m in sp.mismatch:
                    click.echo(
                        f"      ! {m.kind} differs: briefing {', '.join(m.briefing)}; source {', '.join(m.source)}"
                    )
    if ans.abstained and ans.passages:
        click.echo("\nYou may be looking for:")
        for p in ans.passages[:3]:
            click.echo(f"  - §{p.section} {p.text[:120]}…")


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (with '-': one object per line).")
@click.option("-k", "top_k", type=click.IntRange(1, 50), default=None, help="Passages to return (default 10).")
@click.option(
    "--llm",
    "llm_name",
    type=click.Choice(["none", "openai", "openai-compatible", "ollama"]),
    default=None,
    help="LLM that writes the answer, overriding BRIEFQA_LLM ('none': extractive).",
)
@click.option("--stream", is_flag=True, help="Show the LLM's draft as it is written, then the checked answer.")
@click.pass_context
def ask(
    ctx: click.Context, question: str, as_json: bool, top_k: int | None, llm_name: str | None, stream: bool
) -> None:
    """Answer QUESTION from the briefing; '-' reads one question per line from stdin."""
    settings = _settings(ctx)
    from briefqa.llm import get_llm

    llm = get_llm(settings, llm_name)
    if stream and not as_json and question != "-":
        _stream_answer(question, settings, top_k, llm_name)
        return
    if question == "-":
        assistant = briefqa.assistant(settings)
        status = 0
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                ans = assistant.ask(line.rstrip("\n"), k=top_k, llm=llm)
                out = ans.model_dump() if as_json else None
            except BriefqaError as exc:
                status = exc.exit_code
                out = {"question": line.strip(), "error": exc.message}
                click.echo(f"Error: {exc.message}", err=True)
                if as_json:
                    click.echo(json.dumps(out, ensure_ascii=False))
                continue
            if as_json:
                click.echo(json.dumps(out, ensure_ascii=False))
            else:
                _print_answer(ans)
                click.echo("")
            sys.stdout.flush()
        ctx.exit(status)
    ans = briefqa.ask(question, settings, k=top_k, llm=llm_name)
    if as_json:
        click.echo(json.dumps(ans.model_dump(), ensure_ascii=False, indent=2))
    else:
        _print_answer(ans)


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the registry as JSON.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List the source registry: one record per footnote of the briefing."""
    if ctx.invoked_subcommand is not None:
        return
    from briefqa.sources import registry

    recs = registry(_settings(ctx))
    if as_json:
        click.echo(json.dumps([r.model_dump() for r in recs], ensure_ascii=False, indent=2))
        return
    for r in recs:
        extra = f" (= footnote {r.ibid_of})" if r.ibid_of else ""
        text = r.text if len(r.text) < 110 else r.text[:107] + "…"
        click.echo(f"{r.number:>4}  {text or LOST}{extra}")
        for u in r.urls:
            click.echo(f"      {u}" + (f"  (consulted {r.consulted})" if r.consulted else ""))


@main.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """An interactive question loop in the terminal."""
    settings = _settings(ctx)
    assistant = briefqa.assistant(settings)
    click.echo("Ask about the Korean cluster landscape (briefing of August 2018). Empty line or Ctrl-D quits.")
    while True:
        try:
            q = input("\n? ")
        except EOFError:
            break
        if not q.strip():
            break
        try:
            _print_answer(assistant.ask(q))
        except BriefqaError as exc:
            click.echo(f"Error: {exc.message}", err=True)


# HTTP server and access control (issue 5: intranet embedding) ----------------------------------


@main.command()
@click.option("--host", default=None, help="Bind address (BRIEFQA_HOST).")
@click.option("--port", type=int, default=None, help="Port (BRIEFQA_PORT).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker processes (BRIEFQA_WORKERS).")
@click.option("--root-path", default=None, help="Sub-path behind a reverse proxy (BRIEFQA_ROOT_PATH).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None, root_path: str | None) -> None:
    """Run the HTTP server: chat UI, REST API under /api/v1, docs at /docs, the widget."""
    import os

    import uvicorn

    from briefqa.server import api_is_open

    given = {"host": host, "port": port, "workers": workers, "root_path": root_path}
    # Each worker process builds its Settings from the environment, so options travel there.
    for name, value in given.items():
        if value is not None:
            os.environ[f"BRIEFQA_{name.upper()}"] = str(value)
    ctx.ensure_object(dict).pop("settings", None)
    settings = _settings(ctx)
    if settings.workers > 1 and not settings.chroma_url:
        click.echo("Warning: several workers share the embedded Chroma store; set BRIEFQA_CHROMA_URL.", err=True)
    if api_is_open(settings) and settings.host not in ("127.0.0.1", "::1", "localhost"):
        click.echo(f"Warning: the API is open without keys to anyone reaching {settings.host}.", err=True)
    uvicorn.run(
        "briefqa.server:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        proxy_headers=True,
        timeout_graceful_shutdown=int(settings.request_timeout) + 5,
        log_level="info" if logging.getLogger().level <= logging.INFO else "warning",
    )


@main.command()
@click.option("--requests", "requests_", type=click.IntRange(1, 100_000), default=1000, help="Questions to send.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, help="Clients sending at the same time.")
@click.option("--workers", type=click.IntRange(1, 16), default=1, help="Server worker processes.")
@click.option(
    "--feedback", "feedback_posts", type=click.IntRange(0, 100_000), default=400,
    help="Ratings posted across a SIGTERM restart (0 skips that part).",
)  # fmt: skip
@click.pass_context
def loadtest(ctx: click.Context, requests_: int, concurrency: int, workers: int, feedback_posts: int) -> None:
    """Load-test `briefqa serve` on 127.0.0.1 and compare it with calling the library (bounded)."""
    from briefqa.loadtest import measure, passed, summary

    m = measure(_settings(ctx), requests_, concurrency, workers=workers, feedback_posts=feedback_posts)
    for line in summary(m):
        click.echo(line)
    ctx.exit(0 if passed(m) else 1)


@main.group()
def keys() -> None:
    """API keys: create (shown once), list, revoke."""


@keys.command("create")
@click.argument("name")
@click.pass_context
def keys_create(ctx: click.Context, name: str) -> None:
    """Create a key named NAME and print it once; only its hash is stored."""
    from briefqa.keys import KeyStore, keys_path

    settings = _settings(ctx)
    rec, key = KeyStore(keys_path(settings)).create(name)
    click.echo(key)
    click.echo(f"Key {rec.name!r} (id {rec.id}) created; store it now, it cannot be shown again.", err=True)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON (hashes left out).")
@click.pass_context
def keys_list(ctx: click.Context, as_json: bool) -> None:
    """List keys: id, name, created, revoked."""
    import datetime as dt

    from briefqa.keys import KeyStore, keys_path

    recs = KeyStore(keys_path(_settings(ctx))).records()
    if as_json:
        click.echo(json.dumps([r.model_dump(exclude={"hash"}) for r in recs], indent=2))
        return
    for r in recs:
        when = dt.datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M")
        state = "active" if r.active else "revoked"
        click.echo(f"{r.id}  {r.name:<24} {when}  {state}")


@keys.command("revoke")
@click.argument("name_or_id")
@click.pass_context
def keys_revoke(ctx: click.Context, name_or_id: str) -> None:
    """Revoke the active key with this name or id; requests with it get 403."""
    from briefqa.keys import KeyStore, keys_path

    rec = KeyStore(keys_path(_settings(ctx))).revoke(name_or_id)
    click.echo(f"Key {rec.name!r} (id {rec.id}) revoked.")


@main.group()
def users() -> None:
    """UI logins, kept as scrypt hashes in BRIEFQA_UI_USERS_FILE."""


@users.command("add")
@click.argument("name")
@click.password_option(help="The password (asked for when not given).")
@click.pass_context
def users_add(ctx: click.Context, name: str, password: str) -> None:
    """Add or replace the UI user NAME."""
    from briefqa.access import add_user
    from briefqa.errors import ConfigError

    settings = _settings(ctx)
    if not settings.ui_users_file:
        raise ConfigError("Set BRIEFQA_UI_USERS_FILE to the password file to write, e.g. data/ui_users.")
    add_user(settings.ui_users_file, name, password)
    click.echo(f"User {name!r} saved in {settings.ui_users_file}.")


# Fetching the cited sources (issue 7: sources, two hops).
def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@sources.command("fetch")
@click.argument("numbers", nargs=-1, type=click.IntRange(1))
@click.option("--refresh", is_flag=True, help="Download again what is already fetched.")
@click.pass_context
def sources_fetch(ctx: click.Context, numbers: tuple[int, ...], refresh: bool) -> None:
    """Download the sources of footnotes NUMBERS (default: all) into the corpus' sources folder."""
    import signal

    from briefqa.fetch import Outcome, fetch_sources
    from briefqa.sources import registry

    settings = _settings(ctx)
    # SIGTERM stops like Ctrl-C, so temporary files are removed on the way out.
    signal.signal(signal.SIGTERM, _interrupt)

    bar: Any = None

    def progress(out: Outcome, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=f"Fetching {total} sources", file=sys.stderr)
            bar.__enter__()
        bar.update(1)
        if done >= total:
            bar.__exit__(None, None, None)

    try:
        report = fetch_sources(settings, registry(settings), list(numbers) or None, refresh, progress)
    finally:
        if bar is not None and bar.pos < bar.length:
            bar.__exit__(None, None, None)
    rows = [o for o in report.outcomes if o.status != "skipped"]
    if rows:
        click.echo(f"{'status':<8} {'footnotes':<10} {'file / reason':<44} url")
        for o in sorted(rows, key=lambda o: (o.status, o.target.footnotes)):
            what = f"{o.entry['file']} ({o.entry['size']} B)" if o.entry else o.reason
            click.echo(f"{o.status:<8} {_fns(o):<10} {what[:44]:<44} {o.target.url}")
    click.echo(
        f"{report.count('fetched')} fetched, {report.count('skipped')} already there, "
        f"{report.count('failed')} failed in {report.seconds:.1f} s; manifest: {report.folder / 'manifest.json'}"
    )


def _fns(out: Any) -> str:
    return ",".join(map(str, out.target.footnotes))


@sources.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--footnote", "footnotes", type=click.IntRange(1), multiple=True, help="Footnote it is the source of.")
@click.option("--url", default=None, help="The source's URL (default: the footnote's).")
@click.option("--title", default=None, help="The source's title (default: from the footnote).")
@click.pass_context
def sources_add(ctx: click.Context, file: Path, footnotes: tuple[int, ...], url: str | None, title: str | None) -> None:
    """Copy a source FILE you obtained into the sources folder and map it to footnotes."""
    from briefqa.fetch import add_source
    from briefqa.sources import registry

    settings = _settings(ctx)
    entry = add_source(settings, registry(settings), file, list(footnotes), url=url, title=title)
    click.echo(
        f"Added {entry['file']} for footnote(s) {', '.join(map(str, entry['footnotes']))}; run `briefqa ingest`."
    )


# Generative answers through an LLM (issue 6) ---------------------------------------------------


def _stream_answer(question: str, settings: Settings, top_k: int | None, llm_name: str | None) -> None:
    draft: list[str] = []
    final: briefqa.Answer | None = None
    for ev in briefqa.stream(question, settings, k=top_k, llm=llm_name):
        if ev.kind == "delta":
            draft.append(ev.text)
            click.echo(ev.text, nl=False)
            sys.stdout.flush()
        elif ev.answer is not None:
            final = ev.answer
    if final is None:
        return
    if draft:
        click.echo("")
    same = " ".join("".join(draft).split()) == " ".join(final.answer.split())
    if draft and not same:
        click.echo("\nChecked answer:" if final.mode == "generative" else "\nAnswer:")
    _print_answer(final, text=not same)


@main.command()
@click.option("--llm", "llm_name", default=None, help="Check this LLM instead of BRIEFQA_LLM.")
@click.pass_context
def doctor(ctx: click.Context, llm_name: str | None) -> None:
    """Check that the configured LLM is reachable and answers; say what is wrong when it is not."""
    from briefqa.llm import doctor as check_llm

    report = check_llm(_settings(ctx), llm_name)
    click.echo(f"LLM: {report.message}")


# Feedback from the chat UI (issue 4).
@main.group()
def feedback() -> None:
    """Ratings users gave answers in the chat UI (stored under BRIEFQA_DATA_DIR)."""


@feedback.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the JSON lines to this file instead of stdout.")
@click.pass_context
def feedback_export(ctx: click.Context, out: Path | None) -> None:
    """Write thumbs-down answers as draft evaluation questions (eval/questions.jsonl format)."""
    from briefqa.feedback import export_drafts

    lines = export_drafts(_settings(ctx))
    text = "".join(f"{line}\n" for line in lines)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BriefqaError(f"Cannot write {out}: {exc.strerror}.") from exc
    click.echo(f"{len(lines)} draft questions written to {out}; fill in answers and evidence before use.", err=True)


# Evaluation and benchmarks (issue 3: how far the assistant can be trusted) -----------------------


class _PhaseBars:
    """One click progress bar per phase of a long library call, on stderr."""

    def __init__(self) -> None:
        self.bars: dict[str, Any] = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if total <= 0:
            return
        if label not in self.bars:
            self.bars[label] = click.progressbar(length=total, label=label, file=sys.stderr)
            self.bars[label].__enter__()
        bar = self.bars[label]
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    def close(self) -> None:
        for bar in self.bars.values():
            if bar.pos < bar.length:
                bar.__exit__(None, None, None)


@main.command("eval")
@click.argument("questions", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/eval"),
              show_default=True, help="Folder for results.jsonl, metrics.json, summary.md and report.html.")
@click.option("--baseline", is_flag=True, help="Also run the plain llama-index pipeline and compare.")
@click.option("--fail-under", "fail_under", multiple=True, metavar="METRIC=VALUE",
              help="Exit 11 when METRIC is worse than VALUE (repeatable; several pairs may share one value, "
                   "comma-separated; KIND.METRIC for one kind).")
@click.option("-k", "top_k", type=click.IntRange(1, 50), default=None, help="Passages returned per question.")
@click.pass_context
def eval_(
    ctx: click.Context, questions: Path, out: Path, baseline: bool, fail_under: tuple[str, ...], top_k: int | None
) -> None:
    """Run the question set QUESTIONS (JSONL) through `ask` and write trust metrics and reports."""
    from briefqa.evaluation import check_floors, evaluate, load_questions, parse_floors
    from briefqa.report import write_eval_report

    floors = parse_floors(fail_under)
    load_questions(questions)  # a bad file fails before the index and model load
    bars = _PhaseBars()
    try:
        ev = evaluate(_settings(ctx), questions, top_k=top_k, baseline=baseline, progress=bars)
    finally:
        bars.close()
    files = write_eval_report(out, ev)
    m = ev["briefqa"]["metrics"]
    click.echo(
        f"{m['questions']} questions: hit@1 {m['hit@1']}, hit@5 {m['hit@5']}, MRR {m['mrr']}, "
        f"answer accuracy {m['answer_accuracy']}, citation support {m['citation_support']}, "
        f"abstention {m['abstention']}, false abstention {m['false_abstention']}, "
        f"p50 {m['latency_p50_ms']} ms, {len(ev['briefqa']['failures'])} failed."
    )
    if ev["baseline"]:
        b = ev["baseline"]["metrics"]
        click.echo(
            f"baseline: hit@1 {b['hit@1']}, hit@5 {b['hit@5']}, MRR {b['mrr']}, "
            f"answer accuracy {b['answer_accuracy']}, p50 {b['latency_p50_ms']} ms."
        )
    click.echo(f"Reports: {', '.join(str(f) for f in files.values())}")
    check_floors(ev["briefqa"], floors)


@main.command("fit-coverage")
@click.argument("questions", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Model file to write; default: the packaged one (src/briefqa/data/coverage.json).")
@click.option("-C", "c", type=click.FloatRange(min=0, min_open=True), default=3.0, show_default=True,
              help="Inverse strength of the regularisation.")
@click.option("--quantile", type=click.FloatRange(0, 0.5), default=0.005, show_default=True,
              help="Share of the answerable training questions the model may newly decline.")
@click.option("--neighbours", "k", type=click.IntRange(min=0), default=5, show_default=True,
              help="How many of the nearest labelled questions the answered share is taken over (0: none).")
@click.pass_context
def fit_coverage(
    ctx: click.Context, questions: tuple[Path, ...], out: Path | None, c: float, quantile: float, k: int
) -> None:
    """Fit the learned coverage check on labelled question sets (JSONL) for the current index's corpus."""
    from briefqa import coverage
    from briefqa.engine import Assistant
    from briefqa.evaluation import load_questions

    for path in questions:
        load_questions(path)  # a bad file fails before the index and model load
    settings = _settings(ctx).model_copy(update={"coverage_model": "off"})
    model, stats = coverage.fit_sets(Assistant(settings), list(questions), c=c, quantile=quantile, k=k)
    target = out or coverage.PACKAGED
    coverage.save(model, target)
    click.echo(
        f"{stats['questions']} questions. On them (in-sample): unanswerable declined "
        f"{stats['declined_unanswerable']}/{stats['unanswerable']} (hand model alone "
        f"{stats['declined_unanswerable_hand_model']}), answerable declined {stats['declined_answerable']}/"
        f"{stats['answerable']} (hand model alone {stats['declined_answerable_hand_model']}). "
        f"Threshold {model.threshold:.4f}. Written to {target}."
    )


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/bench"),
              show_default=True, help="Folder for bench.json and bench.md.")
@click.option("--questions", type=click.Path(dir_okay=False, path_type=Path), default=Path("eval/questions.jsonl"),
              show_default=True, help="Question set the timed questions come from.")
@click.option("--quick", is_flag=True, help="Fewer questions and shorter throughput runs (a rough figure).")
@click.pass_context
def bench(ctx: click.Context, out: Path, questions: Path, quick: bool) -> None:
    """Measure cold start, warm latency, throughput, ingest time and memory against the baseline."""
    from briefqa.bench import run_bench, summary_lines, write_bench

    bars = _PhaseBars()
    try:
        result = run_bench(_settings(ctx), questions, quick=quick, progress=bars)
    finally:
        bars.close()
    files = write_bench(out, result)
    for line in summary_lines(result):
        click.echo(line)
    click.echo(f"Reports: {', '.join(str(f) for f in files)}")



# Measuring the citation checker (issue 6).
@main.command("check-bench")
@click.argument("questions", type=click.Path(dir_okay=False, path_type=Path), default=Path("eval/questions.jsonl"))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/check-bench"),
              show_default=True, help="Folder for check-bench.json and check-bench-variants.jsonl.")
@click.option("--llm-sample", type=click.IntRange(0), default=20, show_default=True,
              help="Questions whose variants also go through the LLM client against a fake replay server (0: none).")
@click.pass_context
def check_bench(ctx: click.Context, questions: Path, out: Path, llm_sample: int) -> None:
    """Measure the citation checker: hallucinated numbers and names, bad citations, correct sentences rejected."""
    from briefqa.checkbench import run_check_bench, write_report
    from briefqa.evaluation import load_questions

    settings = _settings(ctx)
    qs = load_questions(questions)
    report = run_check_bench(briefqa.assistant(settings), qs, llm_sample=llm_sample)
    files = write_report(report, out)
    click.echo(f"{report.questions} answerable questions checked in {report.seconds:.0f} s "
               f"(similarity threshold {report.threshold}); {len(report.skipped)} had no true sentence to script.")
    for name, c in report.counts.items():
        click.echo(f"  {name.replace('_', ' ')}: {c['count']}/{c['total']} ({100 * float(c['rate']):.1f}%)")
    lp = report.llm_path
    if lp.get("variants"):
        click.echo(f"Through the LLM client (fake replay server): {lp['agree']}/{lp['variants']} variants of "
                   f"{lp['questions']} questions got the same verdict as the direct check.")
    for m in report.misses:
        click.echo(f"  miss [{m['kind']}] {m['id']} {m['detail']}: {m['text'][:140]} -> {', '.join(m['statuses'])}")
    click.echo(f"Reports: {', '.join(str(f) for f in files)}")


if __name__ == "__main__":
    main()
