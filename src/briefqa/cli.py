"""The briefqa command line: a thin layer over the library.

Library errors become a one-line message and a non-zero exit here, in
``BriefqaGroup.invoke`` and nowhere else.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

import briefqa
from briefqa.errors import BriefqaError
from briefqa.settings import Settings, configure_offline


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


def _print_answer(ans: briefqa.Answer) -> None:
    click.echo(ans.answer)
    if ans.citations:
        click.echo("")
    for c in ans.citations:
        where = f"§{c.section} " if c.section else ""
        click.echo(f"[{c.n}] {c.title}, {where}{c.section_title}" + (f", p. {c.page}" if c.page else ""))
        for f in c.footnotes:
            url = f" {f.urls[0]}" if f.urls else ""
            click.echo(f"    footnote {f.number}: {f.text[:100]}{'…' if len(f.text) > 100 else ''}{url}")
    if ans.abstained and ans.passages:
        click.echo("\nYou may be looking for:")
        for p in ans.passages[:3]:
            click.echo(f"  - §{p.section} {p.text[:120]}…")


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (with '-': one object per line).")
@click.option("-k", "top_k", type=click.IntRange(1, 50), default=None, help="Passages to return (default 10).")
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool, top_k: int | None) -> None:
    """Answer QUESTION from the briefing; '-' reads one question per line from stdin."""
    settings = _settings(ctx)
    if question == "-":
        assistant = briefqa.assistant(settings)
        status = 0
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                ans = assistant.ask(line.rstrip("\n"), k=top_k)
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
    ans = briefqa.ask(question, settings, k=top_k)
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
        click.echo(f"{r.number:>4}  {text or '(text lost in extraction)'}{extra}")
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


if __name__ == "__main__":
    main()
