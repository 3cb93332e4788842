"""The parser of the footnoted briefing, on the real corpus file."""

from __future__ import annotations

import re

import pytest

from briefqa.briefing import Block, ParsedReport, parse_report
from briefqa.chunks import sentence_spans
from briefqa.types import Source
from conftest import BRIEFING


@pytest.fixture(scope="module")
def raw() -> str:
    return BRIEFING.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report(raw: str) -> ParsedReport:
    return parse_report(raw, BRIEFING.name)


@pytest.fixture(scope="module")
def by_number(report: ParsedReport) -> dict[int, Source]:
    return {s.number: s for s in report.sources}


def block_with(report: ParsedReport, phrase: str) -> Block:
    found = [b for b in report.blocks if phrase in b.text]
    assert len(found) == 1, f"{phrase!r} is in {len(found)} blocks"
    return found[0]


def sentence_footnotes(block: Block, phrase: str) -> list[int]:
    """The footnotes cited by the sentence of ``block`` that contains ``phrase``."""
    for a, b in sentence_spans(block.text):
        if phrase in block.text[a:b]:
            return block.footnotes_between(a, b)
    raise AssertionError(f"no sentence contains {phrase!r}")


def test_every_numbered_heading_is_recovered_with_its_title(report: ParsedReport) -> None:
    numbers = [n for n, _ in report.sections]
    # The briefing itself numbers two sections 3.3.
    assert numbers == ["1", "2", "2.1", "3", "3.1", "3.2", "3.3", "3.3", "4", "5", "5.1", "5.2", "5.3", "5.4", "5.5"]
    titles = dict(report.sections)
    assert titles["1"] == "Korean Economy: focus on sectoral trends"  # broken over two lines in the file
    assert titles["3"] == "Cluster policies and programmes in Korea"
    assert titles["3.1"] == "Historic evolution of the Korean cluster policy"
    assert titles["4"] == "Conclusion"
    assert titles["5.5"] == "Support systems and support programmes of the ICCP and budget spent"
    assert ("3.3", "Zoom: the National Innovation Clusters") in report.sections


def test_every_body_block_knows_its_section_number_and_title(report: ParsedReport) -> None:
    preamble, *numbered = report.blocks
    assert preamble.subsection == "Objectives" and preamble.section == ""
    assert numbered
    for b in numbered:
        assert (b.section, b.section_title) in report.sections
    gumi = block_with(report, "seven pilot industrial complexes in 2005: Gumi")
    assert (gumi.section, gumi.section_title) == ("5.3", "The Industrial Complex Cluster Programme (ICCP) early developments")


def test_footnote_texts_and_furniture_stay_out_of_the_body(report: ParsedReport) -> None:
    body = "\n".join(b.text for b in report.blocks)
    assert "consulted on" not in body
    assert "worldbank.org/en/country/korea/overview" not in body
    assert "Statista, South Korea: distribution of gross domestic product" not in body
    # Footnote numbers standing on a line of their own are gone too.
    assert not re.search(r"(^|\n)\s*\d{1,3}\s*(\n|$)", body)


def test_lines_broken_by_the_pdf_are_joined(report: ParsedReport) -> None:
    first = report.blocks[0].text
    # "...cluster landscape in\nthe Republic of Korea (Korea) in order..." in the file.
    assert "information on the cluster landscape in the Republic of Korea (Korea) in order to support" in first
    for b in report.blocks:
        # The only line breaks left frame figure captions, which stand apart from running text.
        lines = b.text.split("\n")
        for before, after in zip(lines, lines[1:], strict=False):
            assert before.startswith("FIGURE") or after.startswith("FIGURE"), (before[-60:], after[:60])
        assert b.text == b.text.strip()


def test_glued_markers_are_recorded_on_the_sentence_and_removed(report: ParsedReport) -> None:
    trade = block_with(report, "third largest export destination after China")
    assert "export3" not in trade.text and "Vietnam4" not in trade.text
    assert sentence_footnotes(trade, "third largest export destination") == [3, 4]
    assert sentence_footnotes(trade, "emerged as the world’s 5th largest exporting country") == [2]
    # A marker glued to a year after a full stop: "in 2017.50".
    green = block_with(report, "€3.75 billion in 2017.")
    assert "2017.50" not in green.text
    assert 50 in sentence_footnotes(green, "€3.75 billion in 2017.")
    # ...and to a percentage: "2.0% respectively.27".
    gdp = block_with(report, "2.0% respectively.")
    assert "respectively.27" not in gdp.text
    assert 27 in sentence_footnotes(gdp, "2.0% respectively.")
    # A marker between two full stops ("compared to 2016.34. Korea is ...") leaves one, so the sentence ends there.
    clothes = block_with(report, "compared to 2016.")
    assert "2016.." not in clothes.text and "compared to 2016. Korea is world-leading" in clothes.text
    assert 34 in sentence_footnotes(clothes, "with a 2.5% growth compared to 2016.")
    spans = [clothes.text[a:b] for a, b in sentence_spans(clothes.text)]
    assert any(s.endswith("compared to 2016.") for s in spans)


def test_no_marker_digits_remain_in_passage_text(report: ParsedReport) -> None:
    for b in report.blocks:
        for pos, n in b.markers:
            assert not b.text[pos + 1 :].startswith(str(n)), (n, b.text[max(0, pos - 30) : pos + 5])
        # A lower-case word followed by digits is a marker left behind (CO2 and FP7 are capitals).
        left = re.findall(r"\b[a-z]{3,}\d{1,3}\b", b.text)
        assert left == [], left
    cited = sorted({n for b in report.blocks for _, n in b.markers})
    assert cited[0] == 1 and cited[-1] == 117 and len(cited) >= 110


def test_one_registry_record_per_footnote(report: ParsedReport) -> None:
    assert [s.number for s in report.sources] == list(range(1, 118))
    assert all(s.document == BRIEFING.name for s in report.sources)


def test_footnote_3_has_its_url_and_consulted_date(by_number: dict[int, Source]) -> None:
    fn = by_number[3]
    assert fn.text.startswith("European Commission, Trade, Policy, South Korea")
    assert fn.urls == ["http://ec.europa.eu/trade/policy/countries-andregions/countries/south-korea/"]
    assert fn.consulted == "07/08/2018"
    assert by_number[1].consulted == "07/08/2018"  # date on the line after the URL
    assert by_number[9].consulted is None  # a bare URL, no date


def test_urls_broken_across_lines_are_joined(by_number: dict[int, Source]) -> None:
    assert by_number[4].urls[0].endswith("startYear=undefined&target=Partner&year=2016")
    assert by_number[20].urls[0].endswith("/$file/TheGlobalCompetitivenessReport2017%E2%80%932018.pdf")


def test_ibid_resolves_to_the_source_it_repeats(by_number: dict[int, Source]) -> None:
    ibid = by_number[7]
    assert ibid.text == "Ibid"
    assert ibid.ibid_of == 6
    assert ibid.urls == by_number[6].urls and ibid.urls
    assert ibid.consulted == by_number[6].consulted
    assert sum(1 for s in by_number.values() if s.ibid_of is not None) == 1


def test_footnotes_carrying_content_are_passages_linked_to_their_footnote(
    report: ParsedReport, by_number: dict[int, Source]
) -> None:
    quoted = {q.section_title: q for q in report.quotations}
    assert "Footnote 26" in quoted
    assert quoted["Footnote 26"].text.startswith("“In recent years, the government has taken the first steps")
    assert by_number[26].has_content
    assert not by_number[3].has_content  # an ordinary citation is not a passage
    assert {int(t.split()[-1]) for t in quoted} == {s.number for s in report.sources if s.has_content}


def test_every_kept_character_maps_back_to_the_same_character(raw: str, report: ParsedReport) -> None:
    for b in report.blocks + report.quotations:
        assert len(b.offsets) == len(b.text)
        for ch, off in zip(b.text, b.offsets, strict=True):
            if not ch.isspace():
                assert raw[off] == ch
