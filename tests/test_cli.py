"""The briefqa command end to end (real subprocesses) and its answers to bad input."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefqa.cli import main
from briefqa.settings import Settings
from conftest import ROOT
from test_documents import make_pdf

BRIEFQA = str(ROOT / ".venv" / "bin" / "briefqa")
CITATION_KEYS = {"n", "text", "document", "title", "section", "page", "url", "footnotes"}
PASSAGE_KEYS = {"rank", "text", "score", "document", "section"}


def env_for(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFQA_")}
    env.update(
        BRIEFQA_CORPUS_DIR=str(settings.corpus_dir),
        BRIEFQA_INDEX_DIR=str(settings.index_dir),
        BRIEFQA_DATA_DIR=str(settings.data_dir),
    )
    return env


def briefqa(args: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BRIEFQA, *args], env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300
    )


# End to end, in subprocesses ------------------------------------------------------------------------


def test_ask_json_follows_the_documented_contract(built_settings: Settings, tmp_path: Path) -> None:
    question = "Which is Korea's third largest export destination?"
    out = briefqa(["ask", "--json", question], env_for(built_settings), tmp_path)
    assert out.returncode == 0, out.stderr
    ans = json.loads(out.stdout)
    assert {"question", "answer", "abstained", "citations", "passages", "timings_ms"} <= set(ans)
    assert ans["question"] == question and ans["abstained"] is False
    assert "third largest export destination" in ans["answer"] and "[1]" in ans["answer"]
    assert ans["citations"]
    for c in ans["citations"]:
        assert CITATION_KEYS <= set(c)
        for f in c["footnotes"]:
            assert {"number", "text", "urls"} <= set(f)
    refs = {f["number"]: f for c in ans["citations"] for f in c["footnotes"]}
    assert refs[3]["urls"] == ["http://ec.europa.eu/trade/policy/countries-andregions/countries/south-korea/"]
    assert len(ans["passages"]) >= 10
    assert all(PASSAGE_KEYS <= set(p) for p in ans["passages"])
    assert [p["rank"] for p in ans["passages"]] == list(range(1, len(ans["passages"]) + 1))
    assert set(ans["timings_ms"]) == {"retrieve", "answer", "total"}
    assert ans["timings_ms"]["total"] >= ans["timings_ms"]["retrieve"] > 0


def test_ask_text_names_footnotes_whose_text_was_lost(built_settings: Settings, tmp_path: Path) -> None:
    question = "How many Mini Clusters were there in 2016?"
    env = env_for(built_settings)
    ans = json.loads(briefqa(["ask", "--json", question], env, tmp_path).stdout)
    lost = {f["number"] for c in ans["citations"] for f in c["footnotes"] if not f["text"]}
    assert lost, "the passage on 78 Mini Clusters cites footnote 94, whose text the PDF extraction lost"
    text = briefqa(["ask", question], env, tmp_path).stdout
    for n in lost:
        assert f"footnote {n}: (text lost in extraction)" in text


def test_ask_reads_questions_from_stdin_and_writes_json_lines_in_order(
    built_settings: Settings, tmp_path: Path
) -> None:
    questions = ["What is BlueOn?", "What is the capital of France?", "What does KICOX do?"]
    out = briefqa(["ask", "--json", "-"], env_for(built_settings), tmp_path, stdin="\n".join(questions[:2]) + "\n\n" + questions[2] + "\n")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3
    answers = [json.loads(line) for line in lines]
    assert [a["question"] for a in answers] == questions
    assert [a["abstained"] for a in answers] == [False, True, False]
    assert answers[1]["citations"] == [] and len(answers[1]["passages"]) == 10


def test_sources_json_lists_the_registry(built_settings: Settings, tmp_path: Path) -> None:
    out = briefqa(["sources", "--json"], env_for(built_settings), tmp_path)
    assert out.returncode == 0, out.stderr
    recs = json.loads(out.stdout)
    assert [r["number"] for r in recs] == list(range(1, 118))
    fn3 = recs[2]
    assert fn3["urls"] == ["http://ec.europa.eu/trade/policy/countries-andregions/countries/south-korea/"]
    assert fn3["consulted"] == "07/08/2018"
    assert recs[6]["ibid_of"] == 6


def test_ingest_skips_unreadable_files_with_warnings_and_indexes_the_rest(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "jeju.md").write_text("# Jeju\nJeju island hosts a cosmetics cluster around green tea.\n", encoding="utf-8")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf\n%%EOF")
    make_pdf(corpus / "locked.pdf", ["Locked text."], encrypt="pw")
    (corpus / "latin.txt").write_bytes("Caf\xe9 in Busan.".encode("latin-1"))
    env = env_for(Settings(corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data", _env_file=None))

    out = briefqa(["ingest"], env, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1 documents" in out.stdout
    warnings = [line for line in out.stderr.splitlines() if line.startswith("WARNING")]
    for name in ("broken.pdf", "locked.pdf", "latin.txt"):
        assert any(name in w for w in warnings), out.stderr
    again = briefqa(["ingest"], env, tmp_path)
    assert again.returncode == 0 and "up to date" in again.stdout


# The same command in-process, for output formats and bad input ----------------------------------------


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)  # no .env file of the developer's

    def run(args: list[str], settings: Settings | None = None, **env: str):
        base = env_for(settings) if settings else {}
        base.update({f"BRIEFQA_{k.upper()}": v for k, v in env.items()})
        return CliRunner().invoke(main, args, env=base)

    return run


def test_ask_prints_the_answer_and_its_citations(run_cli, built_settings: Settings) -> None:
    res = run_cli(["ask", "What is BlueOn?"], built_settings)
    assert res.exit_code == 0, res.output
    first, *rest = res.stdout.splitlines()
    assert "BlueOn" in first and "[1]" in first
    assert any(line.startswith("[1] Cluster landscape in the Republic of Korea") and "§" in line for line in rest)


def test_sources_prints_one_line_per_footnote(run_cli, built_settings: Settings) -> None:
    res = run_cli(["sources"], built_settings)
    assert res.exit_code == 0
    numbered = [line for line in res.stdout.splitlines() if line[:4].strip().isdigit()]
    assert len(numbered) == 117
    assert any("(= footnote 6)" in line for line in numbered)


def one_line_error(res) -> str:
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("question", ["", "   \t "])
def test_empty_question_is_refused(run_cli, built_settings: Settings, question: str) -> None:
    res = run_cli(["ask", question], built_settings)
    assert res.exit_code == 2
    assert "question is empty" in one_line_error(res)


def test_overlong_question_is_refused(run_cli, built_settings: Settings) -> None:
    res = run_cli(["ask", "cluster " * 200], built_settings)
    assert res.exit_code == 2
    assert "BRIEFQA_MAX_QUESTION_CHARS" in one_line_error(res)


def test_asking_before_any_index_says_how_to_build_it(run_cli, tmp_path: Path) -> None:
    res = run_cli(["ask", "What is FOODPOLIS?"], index_dir=str(tmp_path / "none"), data_dir=str(tmp_path / "d"))
    assert res.exit_code == 4
    assert "briefqa ingest" in one_line_error(res)
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("case", ["missing", "empty", "undecodable"])
def test_ingest_of_a_bad_corpus_fails_and_writes_nothing(run_cli, tmp_path: Path, case: str) -> None:
    corpus = tmp_path / "corpus"
    if case != "missing":
        corpus.mkdir()
    if case == "undecodable":
        (corpus / "latin.txt").write_bytes("Caf\xe9 in Busan.".encode("latin-1"))
    res = run_cli(["ingest"], corpus_dir=str(corpus), index_dir=str(tmp_path / "index"), data_dir=str(tmp_path / "d"))
    assert res.exit_code == 3
    message = one_line_error(res)
    assert str(corpus) in message
    assert not list((tmp_path / "index").glob("state-*.json"))


def test_invalid_setting_names_the_variable(run_cli, built_settings: Settings) -> None:
    res = run_cli(["ask", "What is FOODPOLIS?"], built_settings, top_k="0")
    assert res.exit_code != 0
    assert "BRIEFQA_TOP_K" in one_line_error(res)
