"""Follow-up questions resolved from the conversation, without an LLM."""

from __future__ import annotations

import pytest

from briefqa.followup import condense, subject


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        ("Which ministry supervises it?", ["What is the ICCP?"], "Which ministry supervises the ICCP?"),
        ("And in 2016?", ["How many mini clusters were there in 2015?"], "How many mini clusters were there in 2016?"),
        ("What is its budget?", ["What is the ICCP?"], "What is the ICCP's budget?"),
        ("Who funds this programme?", ["What is the Industrial Complex Cluster Programme?"],
         "Who funds the Industrial Complex Cluster Programme?"),
        ("What do they do?", ["What are Mini Clusters?"], "What do Mini Clusters do?"),
        ("How many are there?", ["What are Mini Clusters?"], "How many Mini Clusters are there?"),
        ("In 2017?", ["What was Korea's GDP in 2016?"], "What was Korea's GDP in 2017?"),
        ("What about Busan?", ["How many clusters are in Seoul?"], "How many clusters are in Busan?"),
    ],
)
def test_follow_up_carries_the_previous_subject(question, history, expected):
    assert condense(question, history) == expected


@pytest.mark.parametrize(
    ("question", "history"),
    [
        ("What is KICOX?", ["What is the ICCP?"]),
        ("What was Korea's GDP in 2016?", ["What is the ICCP?"]),
        ("What is the programme that is run by KICOX?", ["What is the ICCP?"]),
        ("What is KICOX and what does it do?", ["What is the ICCP?"]),
        ("Which ministry supervises it?", []),
        ("<script>alert(1)</script>", ["What is the ICCP?"]),
    ],
)
def test_standalone_questions_are_left_alone(question, history):
    assert condense(question, history) == question


def test_a_chain_of_follow_ups_keeps_its_subject():
    history = ["What is the ICCP?"]
    second = condense("Which ministry supervises it?", history)
    history.append(second)
    assert condense("When was it started?", history) == "When was the ICCP started?"


def test_whitespace_is_normalised_and_blank_history_ignored():
    assert condense("  Which  ministry\nsupervises it? ", ["", "What is the ICCP?", "  "]) == (
        "Which ministry supervises the ICCP?"
    )


def test_subject_prefers_the_counted_thing_then_names():
    assert subject("How many mini clusters were there in 2015?") == "mini clusters"
    assert subject("What is the ICCP?") == "the ICCP"
    assert subject("What is a cluster?") == "a cluster"


def test_condensed_follow_up_retrieves_what_the_full_question_would(assistant):
    first = "What is the ICCP?"
    searched = condense("Which ministry supervises it?", [first])
    alone = assistant.ask("Which ministry supervises it?")
    resolved = assistant.ask("Which ministry supervises it?", searched=searched)
    assert resolved.searched == "Which ministry supervises the ICCP?"
    assert not resolved.abstained
    assert "Ministry of Trade, Industry and Energy" in resolved.answer
    assert resolved.confidence >= alone.confidence


def test_elliptical_year_follow_up_finds_the_year(assistant):
    searched = condense("And in 2016?", ["How many mini clusters were there in 2015?"])
    ans = assistant.ask("And in 2016?", searched=searched)
    assert not ans.abstained
    assert any("2016" in s and "Mini Cluster" in c.text for c in ans.citations for s in c.sentences)
