"""Known facts of the briefing are found and cited; questions it does not cover abstain."""

from __future__ import annotations

import pytest

import briefqa
from briefqa.engine import ABSTAIN_TEXT, Assistant
from briefqa.retrieval import expand_query, tokenize, with_bigrams
from briefqa.settings import Settings


def cited_text(ans: briefqa.Answer) -> str:
    return " ".join(c.text for c in ans.citations)


@pytest.mark.parametrize(
    ("question", "name", "fact"),
    [
        ("What is FOODPOLIS?", "FOODPOLIS", "Iksan"),
        ("What is BlueOn?", "BlueOn", "Hyundai"),
        ("Which pilot industrial complex specialised in electronics?", "Gumi", "Gumi (electronics)"),
    ],
)
def test_exact_names_are_found_and_cited(assistant: Assistant, question: str, name: str, fact: str) -> None:
    ans = assistant.ask(question)
    assert any(name in p.text for p in ans.passages[:3])
    assert not ans.abstained
    assert fact in ans.answer
    assert fact in cited_text(ans)
    assert ans.citations[0].section and ans.citations[0].title


def test_gumi_passage_ranks_first_when_asked_by_name(assistant: Assistant) -> None:
    ans = assistant.ask("What did Gumi specialise in?")
    assert "Gumi (electronics)" in ans.passages[0].text


def test_a_paraphrase_finds_the_fact(assistant: Assistant) -> None:
    # The briefing says "FOODPOLIS, national food cluster located in Iksan city".
    ans = assistant.ask("Where is Korea's food industry cluster located?")
    assert not ans.abstained
    assert "Iksan" in ans.answer
    assert ans.citations[0].section == "1"


def test_acronym_defined_in_the_corpus_matches_either_form(assistant: Assistant) -> None:
    assert assistant.retriever.acronyms.get("KICOX") == "Korea Industrial Complex Corp."
    assert "Korea Industrial Complex Corp." in expand_query("What does KICOX do?", assistant.retriever.aliases)
    definition = "Korea Industrial Complex Corp. (KICOX)"
    for question in ("What does KICOX do?", "What does the Korea Industrial Complex Corp. do?"):
        ans = assistant.ask(question)
        assert definition in ans.passages[0].text, question
        assert not ans.abstained and "KICOX" in ans.answer


def test_an_acronym_the_corpus_uses_undefined_matches_its_long_form(assistant: Assistant) -> None:
    # The briefing writes "the second highest GERD in the world (4.23% of GDP)" and "contracted MoU with China,
    # Germany and the U.S." without spelling either out.
    assert ("GERD", "gross domestic expenditure on R&D") in assistant.retriever.aliases
    assert "KICOX" not in {a for a, _ in assistant.retriever.aliases if a not in assistant.retriever.acronyms}
    assert "GERD" in expand_query("What was Korea's gross domestic expenditure on R&D?", assistant.retriever.aliases)
    # The acronym itself gets no long form the corpus never writes.
    assert expand_query("How high was Korea's GERD?", assistant.retriever.aliases) == "How high was Korea's GERD?"
    ans = assistant.ask("How much of its GDP did Korea spend as gross domestic expenditure on R&D in 2016?")
    assert not ans.abstained and "4.23%" in ans.answer
    assert "GERD" in expand_query("What share of GDP went to gross domestic R&D?", assistant.retriever.aliases)
    ans = assistant.ask("Which countries has KICOX concluded memoranda of understanding with?")
    assert not ans.abstained and all(c in ans.answer for c in ("China", "Germany"))


def test_question_outside_the_briefing_abstains_but_still_ranks_passages(
    assistant: Assistant, built_settings: Settings
) -> None:
    ans = assistant.ask("What is the capital of France?")
    assert ans.abstained
    assert ans.answer == ABSTAIN_TEXT
    assert ans.citations == []
    assert len(ans.passages) == built_settings.top_k == 10
    assert [p.rank for p in ans.passages] == list(range(1, 11))


def test_python_api_asks_with_explicit_settings(built_settings: Settings) -> None:
    from briefqa import ask

    ans = ask("How large was Korea's GDP in 2016?", built_settings, k=12)
    assert isinstance(ans, briefqa.Answer)
    assert len(ans.passages) == 12
    assert ans.index == built_settings.index_identity()
    assert "1,414" in ans.answer
    assert ans.citations and ans.citations[0].document == "korea-cluster-preparatory-briefing-2018.txt"
    # The cited passage's footnotes come with their registry text.
    refs = {f.number: f for c in ans.citations for f in c.footnotes}
    assert refs[1].text.startswith("World Bank, Republic of Korea") and refs[1].consulted == "07/08/2018"


def test_a_phrase_of_the_question_outranks_its_words_apart_in_bm25(assistant: Assistant) -> None:
    # BM25 also indexes neighbouring word pairs: "new materials" as a phrase beats "new" and "materials" apart.
    tokens = tokenize(["Where are the new materials clusters located?"])[0]
    assert "new materi" in with_bigrams(tokens)
    retriever = assistant.retriever
    docs, _ = retriever.bm25.retrieve([with_bigrams(tokens)], k=1, show_progress=False, n_threads=1)
    assert "new materials in the Gangwon Zone" in assistant.index.passages[retriever.ids[int(docs[0][0])]].text


def test_e_g_reads_as_for_example() -> None:
    assert "exampl" in tokenize(["industrial location policies (e.g. the steel industrial complex in Pohang)"])[0]


def test_an_acronym_in_the_plural_is_the_acronym(assistant: Assistant) -> None:
    assert tokenize(["MoUs with SMEs and FTAs"]) == tokenize(["MoU with SME and FTA"])
    assert tokenize(["As it is"]) == tokenize(["as it is"])  # one capital: a word, not an acronym
    # The briefing says "contracted MoU with China, Germany and the U.S."; the question asks in the plural.
    ans = assistant.ask("With which countries has KICOX concluded MoUs?")
    assert any("contracted MoU with China" in p.text for p in ans.passages[:5])


def test_british_and_american_spellings_are_one_word(assistant: Assistant) -> None:
    for british, american in (
        ("specialised", "specialized"),
        ("organisations", "organizations"),
        ("analysed", "analyzed"),
        ("internationalisation", "internationalization"),
    ):
        assert tokenize([british]) == tokenize([american]), british
    # -ise words that have no -ize spelling keep theirs.
    for word in ("rise", "promised", "enterprises", "supervised", "exercise"):
        assert tokenize([word]) != tokenize([word.replace("is", "iz")]), word
    # The briefing writes "The chemical market in Korea is specialized in green chemicals ...".
    ans = assistant.ask("According to the conclusions, what is Korea's chemical market specialised in?")
    assert not ans.abstained and "green chemicals" in ans.answer
