"""Loaders for each file type, the manifest, and unreadable files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from briefqa.chunks import chunk_document
from briefqa.documents import corpus_files, load_corpus, load_document
from briefqa.errors import CorpusError


def make_pdf(path: Path, pages: list[str], encrypt: str | None = None) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    for text in pages:
        y = 800
        for line in text.split("\n"):
            c.drawString(72, y, line)
            y -= 16
        c.showPage()
    c.save()
    return path


def test_plain_text_keeps_a_map_back_to_the_file(tmp_path: Path) -> None:
    raw = "Busan hosts a   marine cluster.\n\nIt was founded\nin 2009.\n"
    (tmp_path / "busan-notes.txt").write_text(raw, encoding="utf-8")
    doc = load_document(tmp_path / "busan-notes.txt", tmp_path)
    assert doc is not None
    assert doc.title == "busan notes"
    assert [b.text for b in doc.blocks] == ["Busan hosts a marine cluster. It was founded in 2009."]
    block = doc.blocks[0]
    start, end = block.raw_span(0, len(block.text))
    assert raw[start:end] == raw.strip()


def test_manifest_gives_titles_and_metadata(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Daegu has a textile cluster.", encoding="utf-8")
    manifest = {"documents": [{"file": "a.txt", "title": "Daegu textiles", "author": "KIET", "date": "2017"}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "README.md").write_text("# About this folder\nNot a document.", encoding="utf-8")
    docs = load_corpus(tmp_path)
    assert [(d.file, d.title, d.author, d.date) for d in docs] == [("a.txt", "Daegu textiles", "KIET", "2017")]


def test_markdown_is_split_at_headings(tmp_path: Path) -> None:
    text = "Intro line.\n\n# Ports\nBusan is a port.\n\n## Shipbuilding\nUlsan builds ships.\n"
    (tmp_path / "notes.md").write_text(text, encoding="utf-8")
    doc = load_document(tmp_path / "notes.md", tmp_path)
    assert doc is not None
    assert [(b.section_title, b.text) for b in doc.blocks] == [
        ("notes", "Intro line."),
        ("Ports", "Busan is a port."),
        ("Shipbuilding", "Ulsan builds ships."),
    ]
    b = doc.blocks[2]
    start, end = b.raw_span(0, len(b.text))
    assert text[start:end] == "Ulsan builds ships."


def test_html_keeps_visible_text_only(tmp_path: Path) -> None:
    page = (
        "<html><head><title>T</title><style>p {color: red}</style><script>var x = 'hidden';</script></head>"
        "<body><nav>Home | About</nav><h1>Songdo</h1><p>Songdo is a smart city&nbsp;in Incheon.</p>"
        "<footer>Copyright</footer></body></html>"
    )
    (tmp_path / "songdo.html").write_text(page, encoding="utf-8")
    doc = load_document(tmp_path / "songdo.html", tmp_path)
    assert doc is not None
    text = " ".join(b.text for b in doc.blocks)
    assert "Songdo is a smart city in Incheon." in text.replace("\u00a0", " ")
    for hidden in ("hidden", "color", "Home", "Copyright"):
        assert hidden not in text


def test_pdf_passages_keep_their_page_numbers(tmp_path: Path) -> None:
    make_pdf(
        tmp_path / "report.pdf",
        ["Osong is a biotechnology cluster.\nIt opened in 2010.", "Gwangju specialises in photonics."],
    )
    doc = load_document(tmp_path / "report.pdf", tmp_path)
    assert doc is not None
    assert doc.pages == [1, 2]
    passages = [p for p, _ in chunk_document(doc, 150, 30)]
    pages = {p.page for p in passages if "photonics" in p.text}
    assert pages == {2}
    assert {p.page for p in passages if "Osong" in p.text} == {1}


@pytest.mark.parametrize("kind", ["corrupt", "encrypted"])
def test_unreadable_pdf_is_skipped_with_a_warning_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    (tmp_path / "good.txt").write_text("Ochang is a cluster for IT.", encoding="utf-8")
    bad = tmp_path / f"{kind}.pdf"
    if kind == "corrupt":
        bad.write_bytes(b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\ngarbage\n%%EOF")
    else:
        make_pdf(bad, ["Secret text."], encrypt="s3cret")
    with caplog.at_level(logging.WARNING, logger="briefqa"):
        docs = load_corpus(tmp_path)
    assert [d.file for d in docs] == ["good.txt"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"{kind}.pdf" in w for w in warnings), warnings
    if kind == "encrypted":
        assert any("encrypted" in w for w in warnings)


def test_non_utf8_text_is_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "good.txt").write_text("Ochang is a cluster for IT.", encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes("Caf\xe9 cr\xe8me in Seoul.".encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="briefqa"):
        docs = load_corpus(tmp_path)
    assert [d.file for d in docs] == ["good.txt"]
    assert any("latin.txt" in r.getMessage() and "UTF-8" in r.getMessage() for r in caplog.records)


def test_corpus_with_nothing_readable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "latin.txt").write_bytes("Caf\xe9".encode("latin-1"))
    with pytest.raises(CorpusError, match="could be read"):
        load_corpus(tmp_path)


def test_missing_or_empty_corpus_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist.*BRIEFQA_CORPUS_DIR"):
        corpus_files(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.docx").write_bytes(b"not supported")
    with pytest.raises(CorpusError, match="holds no documents"):
        corpus_files(tmp_path / "empty")
