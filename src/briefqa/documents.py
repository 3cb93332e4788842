"""Loading the corpus: the manifest and one loader per file type.

Every loader returns a ``Document`` whose blocks are clean text with a map back
to the original file. Footnoted reports (the briefing) go through
``briefing.parse_report``; other files are split by headings or pages.
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefqa.briefing import Block, parse_report
from briefqa.errors import CorpusError
from briefqa.types import Source

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SUPPORTED = {".txt", ".md", ".pdf", ".html", ".htm"}


@dataclass
class Document:
    file: str  # path relative to the corpus folder
    title: str
    author: str = ""
    date: str = ""
    kind: str = "document"
    url: str | None = None
    sha256: str = ""
    blocks: list[Block] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    quotations: list[Block] = field(default_factory=list)
    pages: list[int | None] = field(default_factory=list)  # page of each block, where known
    cited_by: list[int] = field(default_factory=list)  # kind "source": the footnotes it is the source of


def read_manifest(corpus_dir: Path) -> dict[str, dict[str, str]]:
    path = corpus_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} is not valid JSON ({exc}); fix or remove it.") from exc
    return {d["file"]: d for d in data.get("documents", [])}


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The documents of a corpus folder, or a CorpusError saying what is wrong."""
    if not corpus_dir.exists():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist; set BRIEFQA_CORPUS_DIR or create it.")
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus path {corpus_dir} is not a folder; set BRIEFQA_CORPUS_DIR to a folder.")
    files = sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED and p.name != MANIFEST and not p.name.startswith(".")
        and p.name.lower() != "readme.md"
    )
    if not files:
        raise CorpusError(
            f"Corpus folder {corpus_dir} holds no documents (.txt, .md, .pdf, .html); add the briefing to it."
        )
    return files


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_document(path: Path, corpus_dir: Path, meta: dict[str, Any] | None = None) -> Document | None:
    """Load one file; None (with a warning naming it) when it cannot be read."""
    meta = meta or {}
    rel = path.relative_to(corpus_dir).as_posix()
    doc = Document(
        file=rel,
        title=meta.get("title") or path.stem.replace("-", " ").replace("_", " "),
        author=meta.get("author", ""),
        date=meta.get("date", ""),
        kind=meta.get("kind", "document"),
        url=meta.get("url"),
        sha256=file_sha256(path),
    )
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            _load_pdf(path, doc)
            return doc if doc.blocks else None
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        log.warning("skipping %s: not UTF-8 text; convert it to UTF-8 and ingest again", rel)
        return None
    if suffix in (".html", ".htm"):
        doc.blocks = [_plain_block(_html_text(text), doc.title)]
    elif doc.kind == "footnoted-report" or (doc.kind != "source" and suffix == ".txt" and _looks_footnoted(text)):
        report = parse_report(text, rel)
        doc.blocks, doc.sources, doc.quotations = report.blocks, report.sources, report.quotations
    elif suffix == ".md":
        doc.blocks = _markdown_blocks(text, doc.title)
    else:
        doc.blocks = [_plain_block(text, doc.title)]
    doc.blocks = [b for b in doc.blocks if b.text.strip()]
    doc.pages = [None] * len(doc.blocks)
    if not doc.blocks:
        log.warning("skipping %s: no text in it", rel)
        return None
    return doc


def _looks_footnoted(text: str) -> bool:
    return len(re.findall(r"consulted on", text)) >= 3


def _plain_block(text: str, title: str, offset: int = 0, section: str = "") -> Block:
    # Runs of whitespace become one space; every kept character keeps its offset.
    out: list[str] = []
    offs: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                offs.append(offset + i)
            continue
        out.append(ch)
        offs.append(offset + i)
    while out and out[-1] == " ":
        out.pop()
        offs.pop()
    return Block(section=section, section_title=title, subsection="", text="".join(out), offsets=offs)


def _markdown_blocks(text: str, title: str) -> list[Block]:
    blocks: list[Block] = []
    heads = list(re.finditer(r"^(#{1,6})\s+(.*)$", text, re.M))
    if not heads or heads[0].start() > 0:
        end = heads[0].start() if heads else len(text)
        blocks.append(_plain_block(text[:end], title))
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        b = _plain_block(text[h.end() : end], h.group(2).strip(), offset=h.end())
        blocks.append(b)
    return blocks


class _TextExtractor(html.parser.HTMLParser):
    SKIP = {"script", "style", "nav", "header", "footer", "noscript", "aside", "form", "svg", "title"}
    BREAK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def _html_text(text: str) -> str:
    parser = _TextExtractor()
    parser.feed(text)
    return "".join(parser.parts)


def html_to_text(text: str) -> str:
    """Visible text of an HTML page, without navigation, scripts or styles."""
    return re.sub(r"\n\s*\n+", "\n\n", _html_text(text)).strip()


def _load_pdf(path: Path, doc: Document) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            log.warning("skipping %s: the PDF is encrypted; decrypt it and ingest again", doc.file)
            return
        offset = 0
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            block = _plain_block(text, doc.title, offset=offset)
            offset += len(text) + 1
            if block.text.strip():
                doc.blocks.append(block)
                doc.pages.append(number)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        log.warning("skipping %s: the PDF cannot be read (%s)", doc.file, exc.__class__.__name__)
        doc.blocks, doc.pages = [], []
    if not doc.blocks and not doc.pages:
        log.warning("skipping %s: no text could be extracted", doc.file)


def read_source_manifests(corpus_dir: Path) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Metadata of fetched or added sources by corpus path, and the folders that hold sources.

    A sources folder is one whose ``manifest.json`` has a ``sources`` list (written by
    ``briefqa sources fetch`` / ``add``); every file in it is a document of kind ``source``.
    """
    meta: dict[str, dict[str, Any]] = {}
    folders: set[str] = set()
    if not corpus_dir.is_dir():
        return meta, folders
    for path in sorted(corpus_dir.rglob(MANIFEST)):
        if path.parent == corpus_dir:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CorpusError(f"{path} is not valid JSON ({exc}); fix or remove it.") from exc
        if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
            continue
        folder = path.parent.relative_to(corpus_dir).as_posix()
        folders.add(folder)
        for e in data["sources"]:
            meta[f"{folder}/{e['file']}"] = {
                "title": e.get("title", ""),
                "url": e.get("url") or None,
                "date": e.get("date") or (e.get("fetched_at") or "")[:10],
                "kind": "source",
                "footnotes": [int(n) for n in e.get("footnotes", [])],
            }
    return meta, folders


def load_corpus(corpus_dir: Path) -> list[Document]:
    manifest = read_manifest(corpus_dir)
    source_meta, source_folders = read_source_manifests(corpus_dir)
    docs = []
    for path in corpus_files(corpus_dir):
        rel = path.relative_to(corpus_dir).as_posix()
        meta: dict[str, Any] | None = manifest.get(rel)
        is_source = path.parent.relative_to(corpus_dir).as_posix() in source_folders
        if is_source:
            meta = source_meta.get(rel, {"kind": "source"})
        doc = load_document(path, corpus_dir, meta)
        if doc is not None:
            if is_source:
                doc.kind = "source"
                doc.cited_by = list(meta.get("footnotes", [])) if meta else []
            docs.append(doc)
    if not docs:
        raise CorpusError(f"No document in {corpus_dir} could be read; see the warnings above.")
    return docs
