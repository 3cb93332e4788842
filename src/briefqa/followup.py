"""Follow-up questions without an LLM: rewrite a question that leans on the previous one.

"Which ministry supervises it?" after "What is the ICCP?" is searched as
"Which ministry supervises the ICCP?"; "And in 2016?" after "How many mini
clusters were there in 2015?" is searched as "How many mini clusters were there
in 2016?". A question that stands on its own is returned unchanged, so the
rewrite can only help retrieval when the question really is a follow-up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Words that make a question lean on the previous one wherever they appear.
_PRONOUN = re.compile(r"\b(it|its|they|them|their|he|she|his|her|him)\b", re.IGNORECASE)
# Nouns that, after "this/that/the same", point back at the previous subject.
_GENERIC = (
    r"programmes?|programs?|schemes?|initiatives?|polic(?:y|ies)|projects?|plans?|clusters?|"
    r"organi[sz]ations?|agenc(?:y|ies)|institutions?|ministr(?:y|ies)|compan(?:y|ies)|bod(?:y|ies)|"
    r"networks?|platforms?|complex(?:es)?|region|city|one|ones|law|act|strategy|fund|figure|number"
)
_DEMONSTRATIVE = re.compile(rf"\b(?:this|that|these|those|the same|the said)\s+(?:{_GENERIC})\b", re.IGNORECASE)
# "this"/"that" standing alone as the thing asked about: "What does this mean?", "Who runs that?".
# After a noun "that" is a relative pronoun ("the programme that is run by ..."), so only these forms count.
_BARE_DEMONSTRATIVE = re.compile(
    r"\b(?P<lead>does|do|did|is|was|are|were|about|of)\s+(?:this|that|these|those)\b|"
    r"\b(?:this|that|these|those)(?=\s*[?.!]*\s*$)",
    re.IGNORECASE,
)
_PREPOSITION = re.compile(r"^\s*(?:in|for|at|on|during|since|by|from|of|before|after|until)\b", re.IGNORECASE)
_ELLIPSIS_START = re.compile(r"^\s*(?:and|but|also|so|then|what about|how about|what of)\b[\s,]*", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9&-]*[A-Z0-9](?:s)?\b")
# A run of capitalised words (with small joiners), e.g. "Industrial Complex Cluster Programme".
_PROPER = re.compile(r"\b[A-Z][\w’'-]*(?:\s+(?:of|for|and|the|de|[A-Z0-9][\w’'-]*))*(?<!\bof)(?<!\bfor)(?<!\band)(?<!\bthe)")
_VERB = re.compile(
    r"\b(is|are|was|were|be|been|do|does|did|has|have|had|can|could|will|would|should|may|might|"
    r"supervises?|runs?|funds?|manages?|leads?|started|launched|created|founded|owns?|covers?|includes?|"
    r"counts?|employs?|exports?|imports?|supports?|means?|grew|increased|decreased|reached|became|happened)\b",
    re.IGNORECASE,
)
_STOP = {
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "with", "about", "from", "and", "or",
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "many", "much", "is", "are",
    "was", "were", "be", "do", "does", "did", "there", "tell", "me", "please", "can", "you", "i", "we",
}
_HOW_MANY = re.compile(r"\bhow (?:many|much)\s+(.+?)\s+(?:are|were|is|was|do|does|did|has|have|had|can|will)\b", re.IGNORECASE)
_BARE_HOW_MANY = re.compile(r"^\s*(how (?:many|much))\s+(?:are|were|is|was|do|did|does|have|has)\b", re.IGNORECASE)
_WHAT_IS = re.compile(
    r"^\s*(?:what|who|where)\s+(?:is|are|was|were)\s+(.+?)\s*[?.!]*\s*$|"
    r"^\s*(?:tell me about|describe|explain)\s+(.+?)\s*[?.!]*\s*$|"
    r"^\s*what\s+(?:does|do|did)\s+(.+?)\s+(?:do|mean|stand for|cover|offer|include)\b",
    re.IGNORECASE,
)
# Words that head a question; a proper-noun run starting with one of them is not a name.
_QUESTION_WORDS = {"what", "which", "who", "when", "where", "why", "how", "is", "are", "was", "were", "do", "does",
                   "did", "can", "tell", "and", "in", "on", "to", "the", "a", "an", "describe", "explain"}
_COUNTRY = {"korea", "korean", "the republic of korea", "republic of korea", "south korea", "europe", "eu"}


def _strip_end(text: str) -> str:
    return text.strip().rstrip("?.! ").strip()


def _names(question: str) -> list[str]:
    """Acronyms and capitalised phrases, the likeliest subjects; the country itself comes last."""
    found: list[str] = []
    for m in _PROPER.finditer(question):
        words = m.group(0).split()
        while words and words[0].lower() in _QUESTION_WORDS:
            words = words[1:]
        phrase = " ".join(words).strip(" ’'")
        if phrase and phrase.lower() not in _QUESTION_WORDS:
            found.append(phrase)
    for m in _ACRONYM.finditer(question):
        if not any(m.group(0) in f for f in found):
            found.append(m.group(0))
    names = [f for f in found if f.lower() not in _COUNTRY]
    return names or found


def _with_article(phrase: str, question: str) -> str:
    """'ICCP' -> 'the ICCP' when the question said 'the ICCP'."""
    if re.search(rf"\bthe\s+{re.escape(phrase)}\b", question, re.IGNORECASE) and not phrase.lower().startswith("the "):
        return f"the {phrase}"
    return phrase


def subject(question: str) -> str:
    """The thing a question is about, as a noun phrase ('the ICCP', 'mini clusters'); '' if none found."""
    q = question.strip()
    m = _HOW_MANY.search(q)
    if m:
        return m.group(1).strip()
    names = _names(q)
    if names:
        return _with_article(names[0], q)
    m = _WHAT_IS.search(q)
    if m:
        return _strip_end(next(g for g in m.groups() if g))
    words = [w for w in re.findall(r"[\w’'-]+", q) if w.lower() not in _STOP]
    return " ".join(words[:4])


def _strip_article(phrase: str) -> str:
    return re.sub(r"^(?:the|a|an)\s+", "", phrase, flags=re.IGNORECASE)


def _possessive(phrase: str) -> str:
    return f"{phrase}'" if phrase.endswith("s") else f"{phrase}'s"


def _capitalise_start(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _leans_on_pronoun(question: str) -> bool:
    """True when a pronoun points outside the question: none of its own names comes before it."""
    refs = [m.start() for rx in (_PRONOUN, _DEMONSTRATIVE, _BARE_DEMONSTRATIVE) for m in rx.finditer(question)]
    if not refs:
        return False
    own = [question.find(n) for n in _names(question) if n.lower() not in _COUNTRY]
    return not any(0 <= pos < min(refs) for pos in own)


def _is_elliptical(question: str) -> bool:
    """'And in 2016?', 'What about Busan?', 'In 2016?': a fragment without its own verb."""
    if _ELLIPSIS_START.match(question) and len(question.split()) <= 8:
        return True
    return len(question.split()) <= 4 and bool(_PREPOSITION.match(question)) and not _VERB.search(question)


def _replace_references(question: str, subj: str) -> str:
    def pronoun(m: re.Match[str]) -> str:
        word = m.group(0).lower()
        if word in {"its", "their", "his", "her"}:
            return _possessive(subj)
        return subj

    def bare(m: re.Match[str]) -> str:
        return f"{m.group('lead')} {subj}" if m.group("lead") else subj

    out = _DEMONSTRATIVE.sub(subj, question)
    out = _BARE_DEMONSTRATIVE.sub(bare, out)
    out = _PRONOUN.sub(pronoun, out)
    if question[:1].isupper():
        out = _capitalise_start(out)
    return out


def _fill_ellipsis(question: str, previous: str) -> str:
    fragment = _strip_end(_ELLIPSIS_START.sub("", question))
    new_years = _YEAR.findall(fragment)
    old_years = _YEAR.findall(previous)
    if new_years and old_years:
        # Same question, another year: swap the year and keep everything else.
        out = previous
        for old, new in zip(old_years, new_years, strict=False):
            out = out.replace(old, new, 1)
        return out
    if new_years:
        return f"{_strip_end(previous)} in {new_years[0]}?"
    names = _names(fragment)
    old_names = _names(previous)
    if names and old_names:
        return previous.replace(old_names[0], names[0], 1)
    return f"{_strip_end(previous)}, {fragment}?"


def condense(question: str, history: Sequence[str]) -> str:
    """The standalone form of ``question`` given the previous questions (oldest first).

    ``history`` holds the questions as they were searched (already standalone), so a
    chain of follow-ups keeps its subject. Returns ``question`` (whitespace
    normalised) unchanged when it does not lean on the previous one.
    """
    q = " ".join(question.split())
    previous = next((" ".join(h.split()) for h in reversed(history) if h and h.strip()), "")
    if not previous or not q:
        return q
    if _is_elliptical(q):
        return _fill_ellipsis(q, previous)
    subj = subject(previous)
    if not subj:
        return q
    if _leans_on_pronoun(q):
        return _replace_references(q, subj)
    m = _BARE_HOW_MANY.match(q)
    if m:
        # "How many are there?": the counted thing is the previous subject.
        return f"{m.group(1)} {_strip_article(subj)} {q[m.end(1):].lstrip()}"
    return q
