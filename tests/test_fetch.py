"""Fetching the cited sources against a real HTTP server on a loopback port (no model needed)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefqa.documents import load_corpus
from briefqa.errors import InvalidInput, NetworkUnavailable
from briefqa.fetch import add_source, fetch_sources, plan, read_manifest, sources_folder
from briefqa.types import Source
from conftest import ROOT, copy_corpus, make_settings
from sources_server import SourcesServer, closed_port, html_page, pdf_bytes

MAX = 1_000_000


@pytest.fixture
def server():
    with SourcesServer(max_bytes=MAX) as srv:
        srv.add("/page.html", "text/html; charset=utf-8", html_page("A page", ["Korea grew fast."]))
        srv.add("/doc.pdf", "application/pdf", pdf_bytes(["Cluster policy in Korea since 1998."]))
        srv.add("/octet.pdf", "application/octet-stream", pdf_bytes(["A PDF served as octet-stream."]))
        srv.add("/fake.pdf", "application/pdf", b"<html>not a pdf</html>")
        yield srv


def _sources(urls: dict[int, str]) -> list[Source]:
    return [
        Source(
            number=n,
            text=f"Source {n}, {u}, consulted on 07/08/2018",
            urls=[u],
            consulted="07/08/2018",
            document="briefing.txt",
        )
        for n, u in urls.items()
    ]


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_fetch_handles_pages_pdfs_redirects_and_each_failure(tmp_path: Path, server: SourcesServer) -> None:
    b = server.base
    urls = {
        1: f"{b}/page.html",
        2: f"{b}/doc.pdf",
        3: f"{b}/redirect",
        4: f"{b}/missing",
        5: f"{b}/slow",
        6: f"{b}/big",
        7: f"{b}/big-undeclared",
        8: f"{b}/archive.zip",
        9: f"{b}/loop",
        10: "ftp://127.0.0.1/file.pdf",
        11: f"{b}/octet.pdf",
        12: f"{b}/fake.pdf",
    }
    settings = make_settings(tmp_path, corpus=tmp_path / "corpus", fetch_timeout=1.0, fetch_max_bytes=MAX)
    seen: list[str] = []
    report = fetch_sources(settings, _sources(urls), progress=lambda o, done, total: seen.append(o.status))
    by = {o.target.footnotes[0]: o for o in report.outcomes}
    assert {n for n, o in by.items() if o.status == "fetched"} == {1, 2, 3, 11}
    assert by[4].reason.startswith("HTTP 404")
    assert "timed out" in by[5].reason
    assert "over the 1000000 limit" in by[6].reason
    assert "byte limit" in by[7].reason
    assert "application/zip" in by[8].reason
    assert "redirects" in by[9].reason
    assert "scheme" in by[10].reason
    assert "not one" in by[12].reason
    assert len(seen) == len(urls)

    folder = sources_folder(settings)
    assert _files(folder) == ["fn-001.html", "fn-002.pdf", "fn-003.html", "fn-011.pdf", "manifest.json"]
    manifest = read_manifest(folder)
    entries = {e["file"]: e for e in manifest["sources"]}
    for name, e in entries.items():
        data = (folder / name).read_bytes()
        assert e["sha256"] == hashlib.sha256(data).hexdigest() and e["size"] == len(data)
    red = entries["fn-003.html"]
    assert red["url"] == f"{b}/redirect" and red["final_url"] == f"{b}/page.html" and red["status"] == 200
    assert entries["fn-002.pdf"]["content_type"] == "application/pdf" and entries["fn-002.pdf"]["footnotes"] == [2]
    assert entries["fn-001.html"]["fetched_at"] and entries["fn-001.html"]["title"] == "Source 1"
    failures = {f["footnotes"][0]: f["reason"] for f in manifest["failures"]}
    assert set(failures) == {4, 5, 6, 7, 8, 9, 10, 12}


def test_rerun_downloads_nothing_and_refresh_downloads_again(tmp_path: Path, server: SourcesServer) -> None:
    settings = make_settings(tmp_path, corpus=tmp_path / "corpus")
    srcs = _sources({1: f"{server.base}/page.html", 2: f"{server.base}/doc.pdf"})
    first = fetch_sources(settings, srcs)
    assert first.count("fetched") == 2
    hits = sum(server.hits.values())
    manifest_before = (sources_folder(settings) / "manifest.json").read_bytes()
    again = fetch_sources(settings, srcs)
    assert again.count("skipped") == 2 and again.count("fetched") == 0
    assert sum(server.hits.values()) == hits
    assert (sources_folder(settings) / "manifest.json").read_bytes() == manifest_before
    refreshed = fetch_sources(settings, srcs, numbers=[2], refresh=True)
    assert [o.status for o in refreshed.outcomes] == ["fetched"]
    assert server.hits["/doc.pdf"] == 2 and server.hits["/page.html"] == 1


def test_shared_urls_make_one_file_serving_every_footnote(tmp_path: Path, server: SourcesServer) -> None:
    settings = make_settings(tmp_path, corpus=tmp_path / "corpus")
    url = f"{server.base}/page.html"
    srcs = _sources({6: url, 7: url}) + [
        Source(number=8, text="Two urls", urls=[f"{server.base}/doc.pdf", url], document="briefing.txt")
    ]
    targets = plan(srcs, settings)
    assert [(t.name, t.footnotes) for t in targets] == [("fn-006", [6, 7, 8]), ("fn-008", [8])]
    report = fetch_sources(settings, srcs, numbers=[7])
    assert [o.target.name for o in report.outcomes] == ["fn-006"]
    assert read_manifest(sources_folder(settings))["sources"][0]["footnotes"] == [6, 7, 8]


def test_unknown_footnote_is_a_clear_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, corpus=tmp_path / "corpus")
    with pytest.raises(InvalidInput, match="No footnote 999"):
        fetch_sources(settings, _sources({1: "http://example.org/"}), numbers=[999])


def test_no_network_says_so_once_and_writes_nothing(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path, corpus=corpus)
    dead = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(NetworkUnavailable, match="No network"):
        fetch_sources(settings, _sources({1: f"{dead}/a", 2: f"{dead}/b"}))
    assert not (corpus / "sources").exists()

    env = {
        "BRIEFQA_CORPUS_DIR": str(corpus),
        "BRIEFQA_INDEX_DIR": str(tmp_path / "index"),
        "BRIEFQA_SOURCES_BASE_URL": dead,
    }
    from briefqa.cli import main

    result = CliRunner().invoke(main, ["sources", "fetch"], env=env)
    assert result.exit_code == 9
    assert result.output.count("No network") == 1 and "Traceback" not in result.output
    assert not (corpus / "sources").exists()


def test_fetched_html_is_indexed_as_source_without_navigation_or_scripts(tmp_path: Path, server: SourcesServer) -> None:
    corpus = copy_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path, corpus=corpus)
    srcs = _sources({1: f"{server.base}/page.html", 2: f"{server.base}/doc.pdf"})
    fetch_sources(settings, srcs)
    docs = {d.file: d for d in load_corpus(corpus)}
    page, pdf = docs["sources/fn-001.html"], docs["sources/fn-002.pdf"]
    assert page.kind == "source" and page.cited_by == [1] and page.url == f"{server.base}/page.html"
    assert page.title == "Source 1" and page.date == "07/08/2018"
    text = " ".join(b.text for b in page.blocks)
    assert "Korea grew fast." in text
    for noise in ("SCRIPT-NOISE-TOKEN", "NAVIGATION-NOISE-TOKEN", "HEADER-NOISE-TOKEN", "FOOTER-NOISE-TOKEN", "color"):
        assert noise not in text
    assert pdf.kind == "source" and pdf.pages == [1] and "since 1998" in pdf.blocks[0].text
    # The briefing itself is parsed as before.
    briefing = docs["korea-cluster-preparatory-briefing-2018.txt"]
    assert briefing.kind == "footnoted-report" and len(briefing.sources) > 100


def test_add_copies_a_file_and_maps_it_to_footnotes(tmp_path: Path) -> None:
    corpus = copy_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path, corpus=corpus)
    mine = tmp_path / "report.pdf"
    mine.write_bytes(pdf_bytes(["Regional clusters report."]))
    from briefqa.sources import registry

    reg = registry(settings)
    entry = add_source(settings, reg, mine, [55, 56])
    assert entry["file"] == "fn-055.pdf" and entry["footnotes"] == [55, 56] and entry["origin"] == "added"
    assert (corpus / "sources" / "fn-055.pdf").read_bytes() == mine.read_bytes()
    assert entry["url"] == next(s for s in reg if s.number == 55).urls[0].split("#")[0]
    with pytest.raises(InvalidInput, match="No footnote 9999"):
        add_source(settings, reg, mine, [9999])
    bad = tmp_path / "x.docx"
    bad.write_bytes(b"x")
    with pytest.raises(InvalidInput, match="unsupported file type"):
        add_source(settings, reg, bad, [55])

    from briefqa.cli import main

    env = {"BRIEFQA_CORPUS_DIR": str(corpus), "BRIEFQA_INDEX_DIR": str(tmp_path / "index")}
    ok = CliRunner().invoke(main, ["sources", "add", str(mine), "--footnote", "12"], env=env)
    assert ok.exit_code == 0 and "fn-012.pdf" in ok.output
    missing = CliRunner().invoke(main, ["sources", "add", str(tmp_path / "nope.pdf"), "--footnote", "12"], env=env)
    assert missing.exit_code == 2 and missing.output.strip().count("\n") == 0 and "is not a file" in missing.output
    files = {e["file"]: e["footnotes"] for e in read_manifest(corpus / "sources")["sources"]}
    assert files == {"fn-055.pdf": [55, 56], "fn-012.pdf": [12]}


def _bench_sources(base: str, n: int) -> list[Source]:
    return _sources({i: f"{base}/bench/{i}.html" for i in range(1, n + 1)})


def test_fetching_100_sources_is_fast_and_a_rerun_downloads_nothing(tmp_path: Path, server: SourcesServer) -> None:
    settings = make_settings(tmp_path, corpus=tmp_path / "corpus")
    srcs = _bench_sources(server.base, 100)
    t0 = time.perf_counter()
    report = fetch_sources(settings, srcs)
    first = time.perf_counter() - t0
    assert report.count("fetched") == 100
    hits = sum(server.hits.values())
    t0 = time.perf_counter()
    again = fetch_sources(settings, srcs)
    second = time.perf_counter() - t0
    print(f"\nfetch 100 sources: {first:.2f} s; re-run: {second:.3f} s, {sum(server.hits.values()) - hits} requests")
    assert first < 30
    assert again.count("skipped") == 100 and sum(server.hits.values()) == hits


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_kill_midway_leaves_no_partial_file(tmp_path: Path, server: SourcesServer, sig: int) -> None:
    corpus = copy_corpus(tmp_path / "corpus")
    env = {
        **os.environ,
        "BRIEFQA_CORPUS_DIR": str(corpus),
        "BRIEFQA_INDEX_DIR": str(tmp_path / "index"),
        "BRIEFQA_SOURCES_BASE_URL": f"{server.base}/drip",
        "BRIEFQA_FETCH_CONCURRENCY": "8",
    }
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/briefqa"), "sources", "fetch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    folder = corpus / "sources"
    try:
        deadline = time.time() + 60
        while not (folder / "manifest.json").exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(0.3)
        assert proc.poll() is None, "the fetch finished before it could be killed"
        assert any(p.name.endswith(".part") for p in folder.iterdir()), "no download was in flight"
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    manifest = json.loads((folder / "manifest.json").read_text())
    entries = {e["file"]: e for e in manifest["sources"]}
    visible = [p for p in folder.iterdir() if not p.name.startswith(".") and p.name != "manifest.json"]
    assert 0 < len(visible) < 63
    for p in visible:  # every file under its final name is complete and recorded
        assert hashlib.sha256(p.read_bytes()).hexdigest() == entries[p.name]["sha256"]
        assert p.read_bytes().endswith(b"</html>")
    leftovers = [p for p in folder.iterdir() if p.name.endswith(".part")]
    if sig == signal.SIGTERM:
        assert leftovers == []
    # Hidden leftovers of a SIGKILL are never indexed and go on the next run.
    assert not any(d.file.endswith(".part") for d in load_corpus(corpus))
    settings = make_settings(tmp_path, corpus=corpus, sources_base_url=f"{server.base}/bench")
    from briefqa.sources import registry

    report = fetch_sources(settings, registry(settings))
    assert report.count("skipped") == len(visible)
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]
    print(
        f"\nkill ({signal.Signals(sig).name}) after {len(visible)} files: {len(leftovers)} hidden .part left, "
        f"0 partial files; resumed run fetched {report.count('fetched')}, skipped {report.count('skipped')}"
    )


def test_cli_fetch_prints_a_summary_table(tmp_path: Path, server: SourcesServer) -> None:
    corpus = copy_corpus(tmp_path / "corpus")
    from briefqa.cli import main
    from briefqa.sources import registry

    settings = make_settings(tmp_path, corpus=corpus)
    url1 = registry(settings)[0].urls[0]
    env = {
        "BRIEFQA_CORPUS_DIR": str(corpus),
        "BRIEFQA_INDEX_DIR": str(tmp_path / "index"),
        "BRIEFQA_SOURCES_URL_MAP": json.dumps({url1: f"{server.base}/page.html"}),
        "BRIEFQA_SOURCES_BASE_URL": f"{server.base}/gone",
    }
    result = CliRunner().invoke(main, ["sources", "fetch", "1", "2"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("fetched") and "fn-001.html" in line for line in lines)
    assert any(line.startswith("failed") and "HTTP 404" in line for line in lines)
    assert "1 fetched, 0 already there, 1 failed" in result.output
    again = CliRunner().invoke(main, ["sources", "fetch", "1"], env=env)
    assert "0 fetched, 1 already there, 0 failed" in again.output
