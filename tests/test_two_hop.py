"""Two hops: briefing claim -> footnote -> passage of the fetched source, with figure mismatches flagged.

Real parts throughout: a loopback HTTP server, fetch, ingest with the packaged model into
real Chroma in a temporary folder, and the assistant.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import briefqa
from briefqa.fetch import add_source, fetch_sources
from briefqa.sources import registry
from briefqa.twohop import figures, mismatches
from conftest import copy_corpus, make_settings
from sources_server import SourcesServer, html_page, pdf_bytes

GROWTH = "Korea's economy grew by about 10% a year between 1962 and 1994, driven by exports and high investment."
SONGDO = "The World Bank Group opened its Korea office in Songdo in 2013 to share development experience."
TRADE = "Manufactured products represented 83% of EU exports to South Korea and 96% of imports in 2017."


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("twohop")
    corpus = copy_corpus(tmp / "corpus")
    base = make_settings(tmp, corpus=corpus)
    reg = {s.number: s for s in registry(base)}
    with SourcesServer() as srv:
        page = srv.add("/wb.html", "text/html", html_page("Korea overview", [GROWTH, SONGDO]))
        pdf = srv.add("/eurostat.pdf", "application/pdf", pdf_bytes(["South Korea-EU trade in goods.", TRADE]))
        url_map = {reg[1].urls[0]: page, reg[5].urls[0]: pdf}
        settings = make_settings(tmp, corpus=corpus, sources_url_map=url_map)
        report = fetch_sources(settings, list(reg.values()), numbers=[1, 5])
    assert report.count("fetched") == 2
    first = briefqa.ingest(settings)
    return settings, reg, first


def _ref(ans: briefqa.Answer, number: int):
    """The footnote as cited by a briefing passage (a source's own passages name it too)."""
    return next(
        f for c in ans.citations if not c.document.startswith("sources/") for f in c.footnotes if f.number == number
    )


def test_a_cited_claim_leads_to_the_passage_of_its_fetched_source(linked) -> None:
    settings, reg, _ = linked
    ans = briefqa.ask("What annual growth rate did Korea have between 1962 and 1994?", settings)
    ref = _ref(ans, 1)
    assert len(ref.passages) == 1
    hop = ref.passages[0]
    assert hop.document == "sources/fn-001.html" and hop.url == reg[1].urls[0]
    assert "1962" in hop.sentence and "10%" in hop.sentence
    assert "1962" in hop.claim and hop.mismatch == []
    assert hop.title == "World Bank, Republic of Korea, Overview"
    assert hop.sentence.count("Korea overview") == 1  # the <h1>; the page <title> is not body text


def test_a_differing_figure_is_shown_and_flagged(linked) -> None:
    settings, _, _ = linked
    ans = briefqa.ask("What share of European exports to Korea are manufactured products?", settings)
    hop = _ref(ans, 5).passages[0]
    assert hop.document == "sources/fn-005.pdf" and hop.page == 1
    assert [m.model_dump() for m in hop.mismatch] == [{"kind": "%", "briefing": ["84"], "source": ["83"]}]
    assert "84%" in hop.claim and "83%" in hop.sentence


def test_questions_can_be_answered_from_a_source_directly(linked) -> None:
    settings, reg, _ = linked
    ans = briefqa.ask("When did the World Bank open its office in Songdo?", settings)
    assert not ans.abstained
    cite = next(c for c in ans.citations if c.document == "sources/fn-001.html")
    assert "Songdo" in cite.text and cite.url == reg[1].urls[0]
    assert cite.title == "World Bank, Republic of Korea, Overview"
    assert [f.number for f in cite.footnotes] == [1] and cite.footnotes[0].text == reg[1].text


def test_a_generated_answer_carries_the_same_second_hop(linked) -> None:
    """An LLM answer (FAKE OpenAI-compatible server) citing the claim leads to the same source passage."""
    from briefqa.llm import make_llm
    from fake_llm import FakeLLMServer

    settings, reg, _ = linked
    question = "What annual growth rate did Korea have between 1962 and 1994?"
    extractive = briefqa.ask(question, settings)
    claim = _ref(extractive, 1).passages[0].claim
    with FakeLLMServer() as fake:
        fake.script.append(f"{claim} [1]")
        llm = make_llm(
            settings.model_copy(
                update={"llm": "openai-compatible", "llm_base_url": fake.url, "llm_model": fake.model}
            )
        )
        ans = briefqa.assistant(settings).ask(question, llm=llm)
    assert ans.mode == "generative", [c.problems for c in ans.checks]
    assert _ref(ans, 1).passages == _ref(extractive, 1).passages
    assert _ref(ans, 1).passages[0].url == reg[1].urls[0]


def test_footnotes_without_an_indexed_source_have_no_second_hop(linked) -> None:
    settings, _, _ = linked
    ans = briefqa.ask("Which rank did South Korea have as exporting country by 2010?", settings)
    refs = [f for c in ans.citations for f in c.footnotes]
    assert refs and all(f.passages == [] for f in refs if f.number not in (1, 5))


def test_sources_are_ingested_incrementally(linked, tmp_path: Path) -> None:
    settings, reg, first = linked
    assert first.documents == 3
    assert briefqa.ingest(settings).unchanged
    added = tmp_path / "kicox.html"
    added.write_text(html_page("KICOX", ["KICOX manages 1,189 industrial complexes across Korea."]).decode())
    add_source(settings, list(reg.values()), added, [79])
    report = briefqa.ingest(settings)
    assert report.documents == 4 and 0 < report.embedded < 10


def test_figures_and_mismatches() -> None:
    assert figures("It grew 10% a year from 1962 to 1994, reaching USD 1,530 billion.") == {
        "%": {"10"},
        "year": {"1962", "1994"},
        "billion": {"1530"},
    }
    assert figures("ranked 26/137 with 3 clusters") == {}
    assert mismatches("founded in 2012", "founded in 2012") == []
    assert [m.kind for m in mismatches("84 percent in 2016", "83% in 2016")] == ["%"]
    assert mismatches("in 2016", "no figure here") == []
