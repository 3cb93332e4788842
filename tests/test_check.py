"""The citation checker on real passages of the briefing, with the real embedding model."""

from __future__ import annotations

import pytest

from briefqa.check import Evidence, check_sentences, split_sentences, strip_markers
from briefqa.generate import _sentence_vecs


def _evidence(assistant, *needles: str) -> list[Evidence]:
    out = []
    for needle in needles:
        p = next(p for p in assistant.index.passages.values() if needle in p.text)
        out.append(Evidence(len(out) + 1, p, _sentence_vecs(assistant, p.id)))
    return out


@pytest.fixture(scope="module")
def gdp(assistant):
    return _evidence(assistant, "With a GDP of USD 1,414b in 2016", "Innopolis")


def _check(assistant, evidence, *sentences):
    return check_sentences(list(sentences), evidence, assistant.embedder, assistant.settings.check_similarity)


def test_verbatim_and_reworded_sentences_are_supported(assistant, gdp):
    res = _check(
        assistant,
        gdp,
        "With a GDP of USD 1,414b in 2016, Korea is the world 15th richest country [1].",
        "According to the briefing, Korea's GDP was USD 1414b in 2016, making it the 15th richest country [1].",
    )
    assert [r.status for r in res] == ["supported", "supported"], [r.problems for r in res]
    assert all(r.similarity >= assistant.settings.check_similarity for r in res)


@pytest.mark.parametrize(
    ("sentence", "bad"),
    [
        ("With a GDP of USD 1,514b in 2016, Korea is the world 15th richest country [1].", "1,514"),
        ("With a GDP of USD 1,414b in 2019, Korea is the world 15th richest country [1].", "2019"),
        ("Korea grew by 12% a year between 1962 and 1994 [1].", "12"),
        ("Samsung says Korea is the world 15th richest country [1].", "Samsung"),
        # "US" must not pass on the passage's "USD": short names need the whole word.
        ("With a GDP of USD 1,414b in 2016, the US is the world 15th richest country [1].", "US"),
    ],
)
def test_a_number_or_name_missing_from_the_cited_passage_fails(assistant, gdp, sentence, bad):
    (res,) = _check(assistant, gdp, sentence)
    assert res.status == "unsupported"
    assert any(bad in p for p in res.problems), res.problems


def test_the_number_must_be_in_the_passage_that_is_cited(assistant, gdp):
    # True fact, wrong passage: [2] is about Innopolis, not the GDP.
    (res,) = _check(assistant, gdp, "With a GDP of USD 1,414b in 2016, Korea is the world 15th richest country [2].")
    assert res.status == "unsupported"
    assert res.cited == [2]


def test_a_sentence_far_from_its_passage_fails_on_meaning(assistant, gdp):
    (res,) = _check(assistant, gdp, "Football is the most popular sport among teenagers in the region [1].")
    assert res.status == "unsupported"
    assert any("meaning" in p for p in res.problems)
    assert res.similarity < assistant.settings.check_similarity


def test_out_of_range_citations_are_removed_and_the_sentence_is_uncited(assistant, gdp):
    a, b = _check(
        assistant,
        gdp,
        "Korea is the world 15th richest country [7].",
        "With a GDP of USD 1,414b in 2016, Korea is the world 15th richest country [1][7].",
    )
    assert a.status == "uncited" and a.cited == []
    assert any("[7]" in p for p in a.problems)
    assert b.status == "supported" and b.cited == [1]
    assert any("[7]" in p for p in b.problems)


def test_no_answer_sentence_needs_no_citation(assistant, gdp):
    (res,) = _check(assistant, gdp, "The briefing does not cover this.")
    assert res.status == "no-answer"


def test_markers_that_open_a_sentence_belong_to_the_one_before():
    parts = split_sentences("Korea is rich. [1] It ranks 15th [1, 2]. Exports grew [2-3].")
    assert parts == ["Korea is rich. [1]", "It ranks 15th [1, 2].", "Exports grew [2-3]."]
    assert strip_markers(parts[1]) == "It ranks 15th."


def test_citation_ranges_and_lists_are_read(assistant, gdp):
    (res,) = _check(assistant, gdp, "With a GDP of USD 1,414b in 2016, Korea is the world 15th richest country [1-2].")
    assert res.cited == [1, 2]
    assert res.status == "supported"
