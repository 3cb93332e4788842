"""Fetching the cited sources: the registry's URLs, downloaded politely into the sources folder.

One file per source URL, named after the lowest footnote that cites it
(``fn-055.pdf``; a footnote's second URL gives ``fn-023-2.pdf``), and a manifest
(``manifest.json`` in the same folder) recording where each file came from and
which footnotes it serves. ``documents.load_corpus`` reads that manifest, so
ingest indexes the files as documents of kind ``source``.

Safety: only http and https, a few redirects at most, one deadline per download,
a size cap, a content-type check, and no file under its final name until it is
complete (a hidden temporary file, renamed). A process killed midway leaves at
most a hidden ``.part`` file, which ingest ignores and the next run removes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import httpx

from briefqa.errors import InvalidInput, NetworkUnavailable
from briefqa.settings import Settings
from briefqa.types import Source

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
USER_AGENT = "briefqa-sources/1 (fetches the sources cited by a policy briefing)"
# Content type -> file suffix. Anything else is refused before its body is read.
ACCEPTED = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "application/x-pdf": ".pdf",
    "text/plain": ".txt",
}
ADDABLE = {".pdf", ".html", ".htm", ".txt", ".md"}


def sources_folder(settings: Settings) -> Path:
    d = settings.sources_dir
    return d if d.is_absolute() else settings.corpus_dir / d


@dataclass
class Target:
    """One URL of the registry to fetch, with the footnotes that cite it."""

    url: str  # as printed in the registry
    fetch_url: str  # after the test-only remapping
    footnotes: list[int]
    name: str  # file name without suffix
    title: str
    consulted: str | None = None
    document: str = ""


@dataclass
class Outcome:
    target: Target
    status: str  # "fetched", "skipped" or "failed"
    reason: str = ""
    entry: dict[str, Any] | None = None
    unreachable: bool = False  # the host could not be connected to at all


@dataclass
class FetchReport:
    folder: Path
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


class _Refused(Exception):
    """A download refused for a reason worth recording (size, type, status)."""


def footnote_title(src: Source) -> str:
    """A footnote's text without its URLs and 'consulted on' date: the source's title."""
    text = re.sub(r"(https?://|www\.)\S+", "", src.text)
    text = re.sub(r",?\s*consulted on\s*\S*", "", text, flags=re.I)
    text = re.sub(r"\s+", " ", text).strip(" ,;:")
    return text or f"Source of footnote {src.number}"


def remap(url: str, settings: Settings) -> str:
    if url in settings.sources_url_map:
        return settings.sources_url_map[url]
    if settings.sources_base_url:
        parts = urlsplit(url)
        rest = parts.path + (f"?{parts.query}" if parts.query else "")
        return settings.sources_base_url.rstrip("/") + (rest if rest.startswith("/") else "/" + rest)
    return url


def plan(sources: list[Source], settings: Settings, numbers: list[int] | None = None) -> list[Target]:
    """The URLs to fetch, one target per distinct URL; names do not depend on ``numbers``."""
    by_url: dict[str, Target] = {}
    for src in sorted(sources, key=lambda s: s.number):
        for k, raw in enumerate(src.urls):
            url = urldefrag(raw.strip())[0]
            if url.startswith("www."):
                url = "http://" + url
            if url in by_url:
                if src.number not in by_url[url].footnotes:
                    by_url[url].footnotes.append(src.number)
                continue
            by_url[url] = Target(
                url=url,
                fetch_url=remap(url, settings),
                footnotes=[src.number],
                name=f"fn-{src.number:03d}" + (f"-{k + 1}" if k else ""),
                title=footnote_title(src),
                consulted=src.consulted,
                document=src.document,
            )
    targets = list(by_url.values())
    if numbers:
        wanted = set(numbers)
        known = {s.number for s in sources}
        unknown = sorted(wanted - known)
        if unknown:
            raise InvalidInput(f"No footnote {', '.join(map(str, unknown))} in the registry; see `briefqa sources`.")
        targets = [t for t in targets if wanted & set(t.footnotes)]
    return targets


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        return {"sources": [], "failures": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid JSON ({exc}); fix or remove it.") from exc
    data.setdefault("sources", [])
    data.setdefault("failures", [])
    return data  # type: ignore[no-any-return]


def write_manifest(folder: Path, data: dict[str, Any]) -> None:
    """Replace the manifest atomically: a reader sees the old one or the new one."""
    folder.mkdir(parents=True, exist_ok=True)
    data["sources"].sort(key=lambda e: e["file"])
    data["failures"].sort(key=lambda e: (e["footnotes"], e["url"]))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".manifest.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / MANIFEST)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sweep(folder: Path) -> None:
    """Remove temporary files left by a process that was killed."""
    for p in folder.glob(".*.part"):
        p.unlink(missing_ok=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _is_current(entry: dict[str, Any] | None, folder: Path) -> bool:
    if not entry:
        return False
    path = folder / entry["file"]
    return path.is_file() and path.stat().st_size == entry.get("size", -1)


async def _download(client: httpx.AsyncClient, target: Target, folder: Path, settings: Settings) -> Outcome:
    scheme = urlsplit(target.fetch_url).scheme.lower()
    if scheme not in ("http", "https"):
        return Outcome(target, "failed", f"unsupported URL scheme {scheme or '(none)'!r}: only http and https")
    tmp: str | None = None
    try:
        async with asyncio.timeout(settings.fetch_timeout):
            async with client.stream("GET", target.fetch_url) as resp:
                if resp.status_code >= 400:
                    raise _Refused(f"HTTP {resp.status_code} {resp.reason_phrase}".strip())
                if resp.status_code >= 300:
                    raise _Refused(f"HTTP {resp.status_code}: redirect without a usable Location")
                ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                suffix = ACCEPTED.get(ctype)
                if suffix is None and ctype not in ("application/octet-stream", ""):
                    raise _Refused(f"content type {ctype} is not HTML, PDF or text")
                length = resp.headers.get("content-length", "")
                if length.isdigit() and int(length) > settings.fetch_max_bytes:
                    raise _Refused(f"{int(length)} bytes is over the {settings.fetch_max_bytes} limit")
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
                digest, size, head = hashlib.sha256(), 0, b""
                with os.fdopen(fd, "wb") as f:
                    async for chunk in resp.aiter_bytes():
                        size += len(chunk)
                        if size > settings.fetch_max_bytes:
                            raise _Refused(f"more than the {settings.fetch_max_bytes} byte limit")
                        if len(head) < 5:
                            head += chunk[:5]
                        digest.update(chunk)
                        f.write(chunk)
                    f.flush()
                    os.fsync(f.fileno())
                is_pdf = head.startswith(b"%PDF")
                if suffix is None:  # octet-stream: accept only what is recognisably a PDF
                    if not is_pdf:
                        raise _Refused(f"content type {ctype or '(none)'} and not a PDF")
                    suffix = ".pdf"
                elif suffix == ".pdf" and not is_pdf:
                    raise _Refused("served as PDF but is not one")
                final = folder / f"{target.name}{suffix}"
                os.replace(tmp, final)
                tmp = None
                entry = {
                    "file": final.name,
                    "url": target.url,
                    "final_url": str(resp.url),
                    "status": resp.status_code,
                    "content_type": ctype,
                    "size": size,
                    "sha256": digest.hexdigest(),
                    "fetched_at": _now(),
                    "footnotes": sorted(target.footnotes),
                    "document": target.document,
                    "title": target.title,
                    "date": target.consulted or "",
                    "origin": "fetched",
                }
                return Outcome(target, "fetched", entry=entry)
    except _Refused as exc:
        return Outcome(target, "failed", str(exc))
    except TimeoutError:
        return Outcome(target, "failed", f"timed out after {settings.fetch_timeout:g} s")
    except httpx.TooManyRedirects:
        return Outcome(target, "failed", f"more than {settings.fetch_max_redirects} redirects")
    except httpx.UnsupportedProtocol as exc:
        return Outcome(target, "failed", f"redirected to an unsupported URL ({exc})")
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        return Outcome(target, "failed", f"cannot connect ({exc})", unreachable=True)
    except httpx.HTTPError as exc:
        return Outcome(target, "failed", f"{exc.__class__.__name__}: {exc}")
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


ProgressFn = Callable[[Outcome, int, int], None]


async def _run(
    targets: list[Target], folder: Path, settings: Settings, manifest: dict[str, Any], progress: ProgressFn | None
) -> list[Outcome]:
    gate = asyncio.Semaphore(settings.fetch_concurrency)
    outcomes: list[Outcome] = []
    entries = {e["url"]: e for e in manifest["sources"]}
    failures = {f["url"]: f for f in manifest["failures"]}

    async def one(t: Target) -> Outcome:
        async with gate:
            return await _download(client, t, folder, settings)

    limits = httpx.Limits(
        max_connections=settings.fetch_concurrency, max_keepalive_connections=settings.fetch_concurrency
    )
    async with httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=settings.fetch_max_redirects,
        timeout=httpx.Timeout(settings.fetch_timeout),
        limits=limits,
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
    ) as client:
        tasks = [asyncio.ensure_future(one(t)) for t in targets]
        try:
            for fut in asyncio.as_completed(tasks):
                out = await fut
                outcomes.append(out)
                if out.entry is not None:
                    old = entries.get(out.target.url)
                    if old and old["file"] != out.entry["file"]:
                        (folder / old["file"]).unlink(missing_ok=True)
                    entries[out.target.url] = out.entry
                    failures.pop(out.target.url, None)
                elif out.status == "failed":
                    failures[out.target.url] = {
                        "url": out.target.url,
                        "footnotes": sorted(out.target.footnotes),
                        "reason": out.reason,
                        "at": _now(),
                    }
                if progress:
                    progress(out, len(outcomes), len(targets))
                if not any(o.status == "fetched" for o in outcomes):
                    continue  # nothing to record yet; maybe there is no network at all
                # Write after every success so a kill midway keeps each finished file recorded.
                if out.entry is not None or len(outcomes) == len(targets):
                    manifest["sources"] = list(entries.values())
                    manifest["failures"] = list(failures.values())
                    write_manifest(folder, manifest)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    if outcomes and all(o.unreachable for o in outcomes):
        # Dead hosts fail one by one; every host failing to connect means no network.
        raise NetworkUnavailable(
            f"No network: none of the {len(outcomes)} source URLs could be connected to; nothing was written. "
            "Fetch on a connected machine, or add files with `briefqa sources add FILE --footnote N`."
        )
    if outcomes and not any(o.status == "fetched" for o in outcomes):
        # Only failures: record them.
        manifest["sources"] = list(entries.values())
        manifest["failures"] = list(failures.values())
        write_manifest(folder, manifest)
    return outcomes


def fetch_sources(
    settings: Settings,
    sources: list[Source],
    numbers: list[int] | None = None,
    refresh: bool = False,
    progress: ProgressFn | None = None,
) -> FetchReport:
    """Download the sources of ``numbers`` (all footnotes when empty) into the sources folder."""
    t0 = time.perf_counter()
    folder = sources_folder(settings)
    targets = plan(sources, settings, numbers)
    manifest = read_manifest(folder)
    entries = {e["url"]: e for e in manifest["sources"]}
    report = FetchReport(folder)
    todo = []
    for t in targets:
        if not refresh and _is_current(entries.get(t.url), folder):
            report.outcomes.append(Outcome(t, "skipped", "already fetched", entry=entries[t.url]))
        else:
            todo.append(t)
    if todo:
        created = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        _sweep(folder)
        try:
            report.outcomes.extend(asyncio.run(_run(todo, folder, settings, manifest, progress)))
        finally:
            if created and not any(folder.iterdir()):
                folder.rmdir()
    report.seconds = time.perf_counter() - t0
    log.info(
        "fetch: %d fetched, %d skipped, %d failed in %.1f s",
        report.count("fetched"),
        report.count("skipped"),
        report.count("failed"),
        report.seconds,
    )
    return report


def add_source(
    settings: Settings,
    sources: list[Source],
    file: Path,
    footnotes: list[int],
    url: str | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Copy a source file the user obtained into the sources folder and map it to footnotes."""
    if not file.is_file():
        raise InvalidInput(f"{file} is not a file; give the path of a PDF, HTML or text file.")
    suffix = file.suffix.lower()
    if suffix not in ADDABLE:
        raise InvalidInput(f"{file.name}: unsupported file type {suffix or '(none)'}; use PDF, HTML, txt or md.")
    if not footnotes:
        raise InvalidInput("Name the footnote(s) the file is the source of, e.g. --footnote 55.")
    by_number = {s.number: s for s in sources}
    unknown = [n for n in footnotes if n not in by_number]
    if unknown:
        raise InvalidInput(f"No footnote {', '.join(map(str, unknown))} in the registry; see `briefqa sources`.")
    first = by_number[min(footnotes)]
    folder = sources_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(folder)
    name = f"fn-{first.number:03d}{'.html' if suffix == '.htm' else suffix}"
    src_url = url or (urldefrag(first.urls[0])[0] if first.urls else "")
    # The added file replaces whatever served the same URL or had the same name.
    kept = []
    for e in manifest["sources"]:
        if e["file"] == name or (src_url and e["url"] == src_url):
            if e["file"] != name:
                (folder / e["file"]).unlink(missing_ok=True)
            continue
        kept.append(e)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".fn-{first.number:03d}.", suffix=".part")
    os.close(fd)
    try:
        shutil.copyfile(file, tmp)
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    data = (folder / name).read_bytes()
    entry = {
        "file": name,
        "url": src_url,
        "final_url": src_url,
        "status": None,
        "content_type": {".pdf": "application/pdf", ".txt": "text/plain", ".md": "text/markdown"}.get(
            suffix, "text/html"
        ),
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "fetched_at": _now(),
        "footnotes": sorted(set(footnotes)),
        "document": first.document,
        "title": title or footnote_title(first),
        "date": first.consulted or "",
        "origin": "added",
    }
    manifest["sources"] = [*kept, entry]
    manifest["failures"] = [f for f in manifest["failures"] if f["url"] != src_url]
    write_manifest(folder, manifest)
    return entry
