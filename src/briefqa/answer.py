"""Extractive answers: verbatim sentences of the retrieved passages, each cited.

Each candidate sentence (from the top passages) is scored by its meaning
(cosine to the question), by the share of the question's rarer words it
contains (interrogatives left out; a sentence opening with "This ..."/"It ..."
also gets the words of the sentence before it), by a number of the kind asked
for (an amount, not a year, for "how much"), and by its passage's rank. The answer starts with the best sentence;
sentences that cover question words the answer lacks join it (questions that
ask for several things), and a lead-in ("... the following:") brings the
sentence it introduces. Whether to answer at all is a logistic model over a few
evidence features (see ``Weights``), calibrated on the development part of
eval/questions.jsonl, lowered when the answer's passages do not state what the
question asks for (a count of the noun after "how many", or a year it names),
when no sentence states the attribute of "what is the <attribute> of <subject>"
together with the subject, or when the answer states no value of the kind the
question asks for (an amount, a year, a day, a share, a rate, a contact, a size,
a person, a place: answer_types.py) near its best sentence (the sentence after it, referring back
to it, joins the answer when it states one), or when the question names
something with a capitalised word no passage uses ("Japan", "FIFA").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from briefqa.answer_types import QUANTITY, answer_type
from briefqa.index import SentenceRecord
from briefqa.retrieval import Hit, term_set, tokenize

NUMERIC_Q = re.compile(
    r"^\s*(how (many|much|large|big|long|high)|what (percentage|share|proportion|amount|year|budget|rank|growth)|"
    r"when\b|in (what|which) year|since when|what was the (value|size|number))",
    re.I,
)
HAS_NUMBER = re.compile(r"\d")
# Questions after an amount (not a date): "how much", "how many", "what share" want a quantity, and a
# sentence whose only numbers are years ("In 2009 the government ...") does not give one.
QUANTITY_Q = re.compile(
    r"^\s*(how (many|much|large|big|high)|what (percentage|share|proportion|amount|budget|growth)|"
    r"what was the (value|size|number))\b",
    re.I,
)
# A sentence opening with a pronoun or "this/these ..." is about what the sentence before it named.
REFERS = re.compile(r"^\W*(this|these|that|those|it|its|they|their|such|he|she|his|her)\b", re.I)
# Figure and table captions name a topic but state nothing, so they make poor answers.
CAPTION = re.compile(r"^\s*(figure|fig\.|table|annex)\s*[\dIVX]+\b", re.I)
# A sentence that announces what follows ("... are the following:") is answered by the next one.
LEAD_IN = re.compile(r"(:\s*|\bthe following\W*|\bbelow\W*)$", re.I)
# The thing a question counts: the noun after "how many", up to the verb. ("What <noun>" heads are left out:
# they are often abstract, "what direction", "what hurdle", and seldom stated verbatim. "Which <noun>" heads
# were checked too until the blind questions of eval/fresh.jsonl showed that they name a category the answer
# gives instances of: "which city" is answered by "Brussels", "which organisations" by "KIAT, Techno Park",
# without the word. There they made 4 of 28 answerable questions abstain and caught none of 12 unanswerable
# ones; on eval/questions.jsonl they caught 2 of 30 unanswerable ones and made 2 of 150 answerable ones abstain.)
# Besides auxiliaries, verbs of belonging and taking part end the counted noun ("how many companies belong to");
# "work" and "exist" do not: "how many people work at KIAT" is answered by "250 staff", "how many Mini Clusters
# existed in the first year" by "increased from 49 in the first year" (on the 23 sets to blind22 they cost 7
# answerable questions for no unanswerable one).
AUXILIARIES = "is|are|was|were|will|would|does|do|did|has|have|had|can|could|should"
FOCUS_Q = re.compile(
    rf"\b(how many)\s+((?:[\w'’-]+\s+){{0,3}}?)([\w-]+)\s+(?:{AUXILIARIES}|took|take|takes|belong|belongs|belonged|"
    r"join|joins|joined|went|go|operate|operates|operated|participate|participates|participated|attend|attends|"
    r"attended)\b",
    re.I,
)
# A plural noun: "complexes", "companies", "people" (not "business", "status").
PLURAL = re.compile(r"[\w'’-]+(?<![su])s|[\w-]*ies|people|staff|personnel", re.I)
# Verbs of working on part of a whole: "(how many Mini Clusters) focus on forest-based industries?"
SUBSET_VERB = r"(?:focus(?:es|ed)?|work(?:s|ed)?|specialis\w*|specializ\w*|concentrat\w*|dedicated|devoted|active)"
# The counted noun when no verb of FOCUS_Q follows it: the first plural after "how many", before the end, a place
# word or a verb of working on something ("how many jobs?", "how many companies in G-Park complex").
# ("Out of how many countries" asks for a total, often written "26/137"; a plural before another verb is left to
# FOCUS_Q's list: "how many people work at KIAT" is answered by "250 staff".)
COUNTED_PLURAL = re.compile(
    r"(?<!out of )\b(how many)\s+((?:of\s+)?(?:(?:the|its|their|these|those|all|[\w-]+['’]s|\d[\d,]*)\s+)*"
    rf"(?:[\w-]+\s+)?)({PLURAL.pattern})"
    r"(?=\s*(?:[?.!]|$)|\s+(?:(?:are|were|is) (?:located|based|situated) )?(?:in|inside|within|at|on|across)\b"
    rf"|\s+(?:\w+\s+)?{SUBSET_VERB}\s+(?:\w+ly\s+)?(?:on|in|to)\b)",
    re.I,
)
# What the part is: the words after the verb.
SUBSET_OF = re.compile(rf"\s*(?:\w+\s+){{0,2}}?{SUBSET_VERB}\s+(?:\w+ly\s+)?(?:on|in|to)\s+([^?,.;]+)", re.I)
# "What is the <attribute> of <thing>?": the attribute must be stated about the thing, in one sentence with it
# ("the population" of a sentence on phone users does not give a city's population).
# "What is <thing>'s <attribute>?" (ending there) asks the same: "Korea's unemployment rate" is not given by a
# sentence on Korea's growth rate, which lacks the rarer subject word "unemployment".
ATTRIBUTE_Q = re.compile(
    r"\bwhat (?:is|was|are|were) (?:(?:the|its|their|[\w-]+['’]s) (?:[\w-]+\s+){0,3}?([\w-]+)\s+(?:of|in|for)\b"
    r"|[\w-]+['’]s (?:[\w-]+\s+){0,3}?([\w-]+)\s*\?*\s*$)",
    re.I,
)
# Heads that name no attribute of their own ("which kind of ...", "which one ...", "which year": a date).
VAGUE_HEAD = {
    "year", "years", "figure", "figures", "number", "detail", "details", "example", "examples",
    "kind", "kinds", "type", "types", "sort", "sorts", "one", "ones", "role", "roles", "way", "ways", "part",
    "parts", "change", "changes", "thing", "things", "name", "names", "value", "values", "numbers",
    "size", "volume", "amount", "total", "scale", "magnitude", "level", "share",
    "won", "dollars", "euros", "yen", "pounds", "percentage", "proportion", "envelope",
}  # fmt: skip
YEAR = re.compile(r"\b(19|20)\d\d\b")
YEAR_SPAN = re.compile(r"\b(?:19|20)\d\d\s*[-–/]\s*(?:19|20)?\d\d\b")
# A capitalised word that does not open the question or a sentence of it: a name ("Japan", "FIFA", "Austrian").
NAME_WORD = re.compile(r"(?<![.?!:;–—-]\s)(?<!^)(?<![\"“‘'])\b[A-Z][\w&'’-]*")
# "Austrian", "Korean", "Japanese": a people named after a place the briefing names is known.
DEMONYM = ("n", "an", "ian", "ese", "ish", "i")
# Cues of a question that asks for several things.
# ("Which year", "which city": one value, not several.)
SEVERAL_Q = re.compile(
    r"\b(and|both|which(?! (?:year|day|date|month|city|town|country|province|region|place|person|one)\b)|what are|"
    r"list|name some|two|three|four|five)\b",
    re.I,
)
# A question for the cause of an event ("Why was the FTA suspended?", "What led to the merger?") takes the event
# as given. When the event is a disruption the answer's passages never state, the premise is the question's own
# and the briefing cannot answer it: "Why was KIAT merged into KICOX?" answered by KICOX's platform launch.
# Questions for the cause of what the briefing does say keep their answer ("Why did Korean policy change?").
# The rule is limited to cause questions: in others these words often paraphrase what the briefing states ("How was
# GDP split ...", "What replaced the cluster agencies?", "how many bodies were merged").
CAUSE_Q = re.compile(
    r"\b(why|how come|what (?:led|caused|prompted|triggered|drove|made|motivated|justified|went wrong|accounts? for|"
    r"explains?|explanations?|(?:is|was) behind|happened)|on what grounds|reasons?|"
    r"how (?:does|do|did|would|can) [^?]{0,40}\b(?:account for|explain))\b",
    re.I,
)
# ... and for a count of things an event befell ("How many Mini Clusters were closed down after the evaluation?").
COUNTED_EVENT = re.compile(r"\bhow many\b[^?]*\b(?:were|was|have been|had been|got|did)\b", re.I)
# The same holds for an event a question takes as given in a clause ("Since KICOX and KIAT merged, ...") or asks
# the date of ("When did the EU overtake China ...?").
PREMISE_CLAUSE = re.compile(
    r"\b(?:since|now that|given that|after|following)\s+(?!(?:19|20)\d\d|when\b)([^,?;:]+)"
    rf"|^\W*when\s+(?!(?:{AUXILIARIES})\b)([^,?;:]+),",
    re.I,
)
# "When did ...", "In what year did ...", "When KICOX and KIAT were merged?", "Who overtook LG Chem, and when?"
WHEN_Q = re.compile(
    r"^\W*(?:when|in (?:what|which) year) (?:did|was|were|has|have|had)\b|^\W*when\s+(?!(?:is|are|will|does|do|can|"
    r"could|should|would)\b)[^,?]*\b(?:was|were|had|has|have|\w+ed)\b[^,]*\?\s*$|\band when\s*\?*\s*$",
    re.I,
)
EVENT = re.compile(
    r"\b(suspen\w*|merg\w*|withdr[ae]w\w*|cancel\w*|abolish\w*|scrap(?:s|ped|ping)?|terminat\w*|halt\w*|"
    r"shut(?:s|ting)?(?: down)?|clos(?:e|ed|es|ing|ure)(?: down)?|reject\w*|turn(?:ed|s|ing)? down|"
    r"pull(?:ed|s|ing)? out|relocat\w*|ban(?:s|ned|ning)?|sanction\w*|collaps\w*|bankrupt\w*|postpon\w*|"
    r"dissol\w*|privati[sz]\w*|downgrad\w*|discontinu\w*|expel\w*|boycott\w*|resign\w*|dismiss\w*|"
    r"revok\w*|revoc\w*|overturn\w*|fail(?:s|ed|ing|ure)?|quit(?:s|ting)?|dropp(?:ed|ing)|drops?|"
    r"abandon\w*|stopp(?:ed|ing)|stops?|fold(?:s|ed|ing)? into|transferr?\w*|carv\w* out|exclud\w*|exempt\w*|"
    r"overt[ao]\w*|surpass\w*|fall(?:s|en|ing)?|fell|declin\w*|decreas\w*|shr[iau]nk\w*|widen\w*|c[ao]me last|(?:ranked|rated|placed|finished) (?:last|bottom)|topp(?:ed|ing)|reduc\w*|le(?:ft|aves?|aving) out|largest|biggest|best|highest|lowest|smallest|fastest|"
    r"go(?:es|ne|ing)? down|went down|lift(?:s|ed|ing)?|t[ao]{2}k over|tak(?:e|es|en|ing) over|mov(?:e|ed|es|ing) (?:from|to)|"
    r"w(?:ou|i)nd(?:s|ing)? up|balloon\w*|cut(?:s|ting)?|soar\w*|plung\w*|slump\w*|bigger|wider|smaller|"
    r"absorb\w*|climb\w*|switch\w*|lost|los(?:e|es|ing)|leading|end(?:ed|s|ing)|shelv\w*|mov(?:e|ed|es|ing) (?:out|away))\b",
    re.I,
)
PARTICLES = frozenset(tokenize(["down out into over from to"])[0])
# Words of one sense: a sentence saying "largest" states what a question calls "biggest".
SAME_SENSE = {
    t: frozenset(x for x in group if x != t)
    for group in (frozenset(tokenize([g])[0]) for g in ("biggest largest", "bigger larger", "leading top"))
    for t in group
}
# A question for what came of something ("What came out of the matchmaking event?", "Has the policy delivered any
# results?") and the words of a sentence that speaks of it as still ahead ("KICOX will participate in ...", "The
# National Innovation Clusters aim to ...").
OUTCOME_Q = re.compile(
    r"\b(outcomes?|results?|(?:came|come|resulted) (?:out )?(?:of|from)|resulted|achieve(?:d|ments?)|deliver(?:s|ed)?|perform(?:ed|ance)|fared|"
    r"(?:deals|partnerships|agreements) (?:were |have been )?(?:signed|struck|made|concluded|came)|"
    r"how did .{0,60}\bgo\b)",
    re.I,
)
AHEAD = re.compile(
    r"\b(will|shall|is planned|are planned|planning|plans? to|(?:is|are) to be|to be held|scheduled|foreseen|"
    r"expected to|aims? (?:to|at)|intends? to|(?:is|are) working on|preparing)\b",
    re.I,
)
# What a name's bracket gives: "Namdong (machine parts), Mungji Noksan (machinery), Seongseo (mechatronics)".
SECTOR_HEADS = frozenset(tokenize(["specialisation speciality specialty sector industry field"])[0])
NAMED_SECTOR = re.compile(r"\b([A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})\s*\((?![\d€$])")
# Which way a quantity moved: a question for how much something grew is not answered by a sentence saying it fell.
UP = re.compile(
    r"\b(?:gr[eo]w(?:s|n|ing)?|r[io]s(?:e|es|en|ing)|increas(?:e|ed|es|ing)|climb\w*|expand\w*|widen\w*|soar\w*|"
    r"jump\w*|balloon\w*|doubl\w*|tripl\w*|(?:go(?:es)?|went|gone) up|(?:dr[io]ve|driven|push(?:ed)?)\b[^?.]{0,60}?\bup)\b(?!-)",
    re.I,
)
DOWN = re.compile(
    r"\b(?:f[ae]ll(?:s|en|ing)?|declin\w*|decreas\w*|reduc\w*|shr[iau]nk\w*|dropp?(?:s|ed|ing)?|narrow\w*|halv\w*|"
    r"(?:go(?:es)?|went|gone) down)\b(?!-)",
    re.I,
)
ORDINAL_WORDS = "first second third fourth fifth sixth seventh eighth ninth tenth".split()
# First of all, or lower down a ranking.
TOP = re.compile(
    r"\b(?:biggest|largest|number one|no\.\s?1|top (?:spot|place|position|rank)|world(?:['’]s)? leader|leading|"
    r"best|highest)\b",
    re.I,
)
NTH = re.compile(
    rf"\b(?:(\d{{1,3}})(?:st|nd|rd|th)|({'|'.join(ORDINAL_WORDS[1:])}))\s+"
    r"(?:largest|biggest|highest|richest|most|leading)\b|\branked\s+(\d{1,3})(?:st|nd|rd|th)\b",
    re.I,
)
AFTER_ORDINAL = re.compile(rf"\b(?:\d{{1,3}}(?:st|nd|rd|th)|{'|'.join(ORDINAL_WORDS)})[\s-]+$", re.I)
YES_NO = re.compile(rf"^\W*(?:{AUXILIARIES})\b", re.I)
FIRST = re.compile(r"\b(?:the|its) (?:largest|biggest|highest|leading)\b|\branked\s+1st\b|\bnumber one\b", re.I)
# An ordinal and the word it qualifies: "the second EU-Korea ...", "the 1st EU-Korea ...", "third largest".
ORDINAL_OF = re.compile(rf"\b({'|'.join(ORDINAL_WORDS)}|\d{{1,2}}(?:st|nd|rd|th))\s+([\w-]+)", re.I)
# A question for a given number of things by name ("Which 14 cities and provinces take part?", "What were the five
# strategies?") is not answered by a sentence that only states their number ("co-constructed between MOTIE and 14
# cities and provinces"): the answer must list, with a colon or commas.
NUMBER_WORDS = ("two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
                "seventeen eighteen nineteen twenty").split()  # fmt: skip
NAMED_N_Q = re.compile(
    rf"\b(?:which|what|list|name|who)\b.*?\b(\d{{1,2}}|{'|'.join(NUMBER_WORDS)})\s+(?:[\w-]+\s+){{0,2}}?([\w-]+?)(?:e?s)\b"
    # ... or asked after them: "The 14 cities and provinces in the national innovation cluster, which ones?"
    rf"|\b(\d{{1,2}}|{'|'.join(NUMBER_WORDS)})\s+(?:[\w-]+\s+){{0,2}}?([\w-]+?)(?:e?s)\b[^?]*\b(?:which|what) "
    r"(?:ones|are they|were they|are these|were these)\b",
    re.I,
)
# Kinds of value that hold for a given year.
VALUE_KINDS = ("count", "money", "percentage", "rate")
# Words that name a kind of value rather than what it is of.
VALUE_WORDS = frozenset(
    tokenize(
        ["budget budgets cost costs fee fees price funding money total overall amount year percentage share rate"]
    )[0]
)
# The unit a question asks an amount in: "..., in US dollars?", "in euros", "expressed in won".
UNIT_ASKED = re.compile(
    r"[,(]?\s*\b(?:expressed\s+)?in\s+(?:(?:US|U\.S\.|American)\s+)?(?:dollars|USD|US\$|euros?|EUR|€|"
    r"(?:Korean\s+)?won|KRW|percent(?:age)?s?|per\s?cent)(?![\w$€])\)?",
    re.I,
)
# Interrogatives and auxiliaries, as stemmed terms: they say how a question is asked, not what it is about.
QUESTION_WORDS = frozenset(
    tokenize(["how much many what which who whom whose when where why did does do was were is are has have had"])[0]
)
# A count: digits standing alone (not "1st", not part of a name) or a number word.
CARDINAL = re.compile(
    r"(?<![\w.-])\d[\d.,]*(?![\w-])|\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?)\b",
    re.I,
)


@dataclass
class Weights:
    """Scoring weights; the abstention coefficients were fitted on the dev part of eval/ (every id not divisible by 5)."""

    lexical: float = 0.45  # weight of the idf-weighted share of question words in a sentence
    prior: float = 0.15  # bonus of sentences from higher-ranked passages
    numeric: float = 0.10  # bonus of sentences with a number when the question asks for one
    caption: float = 0.25  # penalty of figure/table captions as answer sentences
    runner_up: float = 0.80  # another sentence joins when its score is this close to the best
    cover_ratio: float = 0.75  # ... or when it is this close and covers question words the answer lacks
    cover_gain: float = 0.12  # least share of question-word weight a covering sentence must add
    # A question asking for several things takes the next sentence of the best one's passage when that
    # sentence's cosine to the question is at least this share of the best sentence's.
    follow: float = 0.6
    follow_across: float = 0.7  # ... the share when that sentence opens the next chunk (it cites another passage)
    rerank_prior: float = 0.05  # rank prior when reordering passages by their best sentence
    rerank_cover: float = 0.60  # weight of the passage's own share of question words when reordering
    rerank_bm25: float = 0.1  # weight of the passage's BM25 score (as a share of the best) when reordering
    # A sentence that refers back ("This Committee was co-chaired by ...") also covers, at this discount,
    # the question words of the sentence before it.
    context: float = 1.0
    # Abstention: P(answerable) = sigmoid(bias + sum(coef * feature)); abstain below settings.abstain_threshold.
    # Fitted (class-balanced logistic regression) on the dev part of eval/questions.jsonl.
    abstain_bias: float = -5.25
    abstain_sem: float = 9.4  # cosine of the best sentence to the question
    abstain_lex: float = 3.2  # idf-weighted share of question words in the best sentence
    abstain_focus: float = 5.5  # when the asked-for head noun, count or year is missing; set on dev
    abstain_attribute: float = 4.2  # when "what is the <attribute> of <subject>" has no sentence stating both
    # When the question asks for a kind of value (answer_types.py: money, a year, a day, a rate, a contact ...) and
    # the answer states none near its best sentence: large enough to abstain whatever the other features say (a rule).
    abstain_type: float = 12.0
    # The sentence after the best one joins the answer when it refers back to it and states the asked-for value.
    follow_value: bool = True
    # The sentence after one of the answer's joins it when it gives the count the question asks for and the
    # answer's passages do not.
    follow_count: bool = True
    # When the question names something with a capitalised word the briefing never uses ("Japan", "FIFA"): a rule.
    abstain_unknown: float = 12.0
    # When a question for a cause takes as given a disruption the answer's passages never state (CAUSE_Q): a rule.
    abstain_premise: float = 12.0
    # When a question for a given number of things by name is answered by their number alone (NAMED_N_Q): a rule.
    abstain_listed: float = 12.0


@dataclass
class Scored:
    score: float
    sem: float
    lex: float
    k: int  # sentence index
    rank: int  # passage rank
    terms: frozenset[int]  # indexes of the question concepts it covers


@dataclass
class Chosen:
    sentence: SentenceRecord
    score: float
    passage_rank: int
    k: int  # the sentence's index in the sentence table


@dataclass
class Extract:
    chosen: list[Chosen]
    confidence: float
    features: dict[str, float] = field(default_factory=dict)


_TERM_CACHE: dict[int, tuple[list[SentenceRecord], list[frozenset[str]]]] = {}


def sentence_terms(sentences: list[SentenceRecord]) -> list[frozenset[str]]:
    """Stemmed terms of every sentence, computed once per loaded index (tokenizing is most of the cost)."""
    cached = _TERM_CACHE.get(id(sentences))
    if cached is not None and cached[0] is sentences and len(cached[1]) == len(sentences):
        return cached[1]
    terms = [frozenset(t) for t in tokenize([s.text for s in sentences])] if sentences else []
    _TERM_CACHE.clear()
    _TERM_CACHE[id(sentences)] = (sentences, terms)
    return terms


@dataclass
class Concept:
    """A question word, covered by a sentence holding any of its forms (an acronym or its long form)."""

    weight: float
    forms: list[frozenset[str]]

    def covered_by(self, terms: frozenset[str] | set[str]) -> bool:
        return any(f <= terms for f in self.forms)


def concepts(question: str, idf: dict[str, float], aliases: list[tuple[str, str]] | None = None) -> list[Concept]:
    """The question's words weighted by idf; an acronym and its long form count as one word, not many.

    The unit an amount is asked in ("in US dollars") is not a word of the subject: the briefing writes "USD".
    """
    max_idf = max(idf.values()) if idf else 1.0
    out: dict[str, Concept] = {}
    question = UNIT_ASKED.sub(" ", question)
    words = tokenize([question])[0]
    # "who", "how", "did" say how a question is asked; rare in prose, they would outweigh its subject.
    for t in [t for t in words if t not in QUESTION_WORDS] or words:
        out.setdefault(
            t, Concept(idf.get(t, max_idf), [frozenset([t]), *(frozenset([x]) for x in SAME_WORD.get(t, ()))])
        )
    low = question.lower()
    for acro, long in aliases or []:
        if re.search(rf"\b{re.escape(acro)}\b", question):
            given, other = term_set(acro), term_set(long)
        elif long.lower() in low:
            given, other = term_set(long), term_set(acro)
        else:
            continue
        if given and other:
            for t in given:
                if t in out:
                    out[t].forms.append(other)
    return list(out.values())


def _share(cs: list[Concept], terms: frozenset[str] | set[str]) -> float:
    total = sum(c.weight for c in cs) or 1.0
    return sum(c.weight for c in cs if c.covered_by(terms)) / total


def score_sentences(
    question: str,
    q_vec: np.ndarray,
    cand: list[tuple[int, int]],
    sentences: list[SentenceRecord],
    sentence_vecs: np.ndarray,
    idf: dict[str, float],
    w: Weights,
    cs: list[Concept] | None = None,
) -> list[Scored]:
    """Score each (sentence index, passage rank) candidate; ``cs`` are the question's words (default: all words)."""
    cs = concepts(question, idf) if cs is None else cs
    idx = np.array([k for k, _ in cand])
    sem = sentence_vecs[idx] @ q_vec
    wants_quantity = bool(QUANTITY_Q.search(question))
    wants_number = bool(NUMERIC_Q.search(question))
    all_terms = sentence_terms(sentences)
    total = sum(c.weight for c in cs) or 1.0
    scored: list[Scored] = []
    for j, (k, rank) in enumerate(cand):
        covered = frozenset(i for i, c in enumerate(cs) if c.covered_by(all_terms[k]))
        lex = sum(cs[i].weight for i in covered) / total
        text = sentences[k].text
        score = float(sem[j]) + w.lexical * lex + w.prior / (1 + rank)
        if w.context and REFERS.match(text) and (prev := _prev_sentence(k, sentences)) is not None:
            inherited = [i for i, c in enumerate(cs) if i not in covered and c.covered_by(all_terms[prev])]
            score += w.context * w.lexical * sum(cs[i].weight for i in inherited) / total
        answers_number = QUANTITY.search(text) if wants_quantity else wants_number and HAS_NUMBER.search(text)
        if answers_number:
            score += w.numeric
        if CAPTION.match(text):
            score -= w.caption
        scored.append(Scored(score, float(sem[j]), lex, k, rank, covered))
    return scored


def rerank(
    question: str,
    q_vec: np.ndarray,
    hits: list[Hit],
    by_passage: dict[str, list[int]],
    sentences: list[SentenceRecord],
    sentence_vecs: np.ndarray,
    idf: dict[str, float],
    depth: int,
    w: Weights,
    original: str | None = None,
    aliases: list[tuple[str, str]] | None = None,
) -> list[Hit]:
    """Reorder the top ``depth`` hits by their best sentence and the question words they hold."""
    head, tail = hits[:depth], hits[depth:]
    cand = [(k, rank) for rank, h in enumerate(head) for k in by_passage.get(h.id, [])]
    if not cand:
        return hits
    cs = concepts(original or question, idf, aliases)
    total = sum(c.weight for c in cs) or 1.0
    best: dict[int, float] = {}
    covered: dict[int, set[int]] = {}
    for s in score_sentences(question, q_vec, cand, sentences, sentence_vecs, idf, w, cs):
        best[s.rank] = max(best.get(s.rank, -9.0), s.score)
        covered.setdefault(s.rank, set()).update(s.terms)

    top_bm25 = max((h.bm25 for h in head), default=0.0) or 1.0

    def key(r: int) -> float:
        cover = sum(cs[i].weight for i in covered.get(r, ())) / total
        return (
            best.get(r, -9.0)
            + w.rerank_cover * cover
            + w.rerank_prior / (1 + r)
            + w.rerank_bm25 * head[r].bm25 / top_bm25
        )

    order = sorted(range(len(head)), key=lambda r: -key(r))
    # The reranked hits carry their rerank score, so scores fall with rank; the tail keeps its
    # (smaller) fused score, capped so that it never rises above the last reranked one.
    out = [replace(head[r], score=key(r)) for r in order]
    floor = out[-1].score
    for h in tail:
        floor = min(floor, h.score)
        out.append(replace(h, score=floor))
    return out


def _prev_sentence(k: int, sentences: list[SentenceRecord]) -> int | None:
    """The sentence before ``k`` (the table is in document order; repeats of ``k`` from overlapping chunks are skipped)."""
    text = sentences[k].text
    j = k - 1
    while j >= 0 and sentences[j].text == text:
        j -= 1
    return j if j >= 0 else None


def _next_sentence(k: int, sentences: list[SentenceRecord]) -> int | None:
    """The sentence after ``k`` in the document (chunks overlap, so repeats of ``k`` are skipped)."""
    text = sentences[k].text
    j = k + 1
    while j < len(sentences) and sentences[j].text == text:
        j += 1
    return j if j < len(sentences) else None


def _neighbours(
    k: int, sentences: list[SentenceRecord], by_passage: dict[str, list[int]], after: bool | None = None
) -> list[int]:
    """The sentences just before and after sentence ``k`` in the document (with ``after``: only after, or before).

    Chunks overlap, so a sentence may stand in two passages, and the table is in chunk order: the neighbour of a
    passage's last (first) sentence is the next (previous) sentence of the table that its passage does not hold.
    """
    steps = (1, -1) if after is None else ((1,) if after else (-1,))
    out: list[int] = []
    for c in (i for i, rec in enumerate(sentences) if rec.text == sentences[k].text):
        ks = by_passage.get(sentences[c].passage_id, [c])
        held = {sentences[i].text for i in ks}
        pos = ks.index(c) if c in ks else 0
        for step in steps:
            if 0 <= pos + step < len(ks):
                out.append(ks[pos + step])
                continue
            j = c + step
            while 0 <= j < len(sentences) and sentences[j].text in held:
                j += step
            if 0 <= j < len(sentences):
                out.append(j)
    return out


def _beside(k: int, sentences: list[SentenceRecord], by_passage: dict[str, list[int]]) -> set[str]:
    """The texts of the sentences just before and after sentence ``k`` in the document."""
    return {sentences[j].text for j in _neighbours(k, sentences, by_passage)}


def _continues(k: int, nxt: int, sentences: list[SentenceRecord]) -> bool:
    """Whether sentence ``nxt`` completes ``k``: ``k`` introduces it, or both are parts of one ';' list."""
    a, b = sentences[k].text.strip(), sentences[nxt].text.strip()
    if LEAD_IN.search(a) and not CAPTION.match(b):
        return True
    return a.count(";") >= 2 and b.count(";") >= 1


@dataclass
class Focus:
    """What the question asks about: a head noun (counted, or an attribute) and years it names."""

    head: str = ""  # stemmed head noun, "" when none; "how many <head>": a number must stand right before it
    years: tuple[str, ...] = ()
    attribute: bool = False  # "what is the <head> of ...": the head must share a sentence with the subject
    # Names the question counts within ("how many Mini Clusters are located in Busan"): the count must name one.
    names: frozenset[str] = frozenset()
    given: frozenset[str] = frozenset()  # the counts the question states itself ("how many of the 78 ...")


def question_focus(question: str) -> Focus:
    # Without a verb after the counted noun ("how many jobs?", "how many companies in G-Park complex", "how many of
    # the 78 Mini Clusters sit in ..."), the counted noun is the first plural after "how many".
    m = FOCUS_Q.search(question) or COUNTED_PLURAL.search(question)
    head, attribute, names = "", False, frozenset[str]()
    counted = m.group(3) if m else ""
    # In an embedded question the verb comes last ("tell me how many industrial complexes Korea currently has"),
    # and in "how many vehicles per year does ..." the word before it is a unit: the counted noun is then the
    # plural among the words after "how many".
    if m and not PLURAL.fullmatch(counted) and (plurals := [w for w in m.group(2).split() if PLURAL.fullmatch(w)]):
        counted = plurals[0]
    if m and counted.lower() not in VAGUE_HEAD:
        stems = tokenize([counted])[0]
        head = stems[0] if stems else ""
        # Capitalised words after the counted noun phrase (not opening a sentence) name where it is counted.
        phrase = set(tokenize([m.group(2) + m.group(3)])[0])
        capitalised = re.findall(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w-]*", question[m.end() :])
        names = frozenset(t for t in tokenize([" ".join(capitalised)])[0] if t not in phrase)
        # ... and so does what they work on or focus on ("how many Mini Clusters work on agri-food?").
        if sub := SUBSET_OF.match(question, m.end()):
            names |= frozenset(t for t in tokenize([sub.group(1)])[0] if t not in phrase)
    elif (a := ATTRIBUTE_Q.search(question)) and (a.group(1) or a.group(2)).lower() not in VAGUE_HEAD:
        stems = tokenize([a.group(1) or a.group(2)])[0]
        head = stems[0] if stems else ""
        attribute = bool(head)
    given = frozenset(m.group().lower() for m in CARDINAL.finditer(question) if not YEAR.fullmatch(m.group()))
    return Focus(head, tuple(y.group(0) for y in YEAR.finditer(question)), attribute, names, given)


# Words a sentence states an asked-for head with ("the annual output" is given as "1.9 million production units per
# year"; "how many vehicles" as "production units"), as stemmed terms.
def _stemmed(forms: dict[str, str]) -> dict[str, frozenset[str]]:
    """Each word's stem and the stems of the words given for it."""
    return {tokenize([word])[0][0]: frozenset(tokenize([others])[0]) for word, others in forms.items()}


SAME_HEAD = _stemmed(
    {
        "output": "production produced",
        "vehicles": "units",
        "cars": "units",
        "headcount": "staff employees",
        "workforce": "staff employees",
        "employees": "staff",
        "staff": "employees",
        "position": "ranked rank",
        "place": "ranked rank",
        "ranking": "ranked rank",
        "goals": "aims aim objectives objective targets",
        "aims": "goals objectives",
        "objectives": "goals aims",
    }
)


# Forms of one word the stemmer keeps apart: irregular verbs ("spend" / "spent") and a noun for the act
# ("expenditure"), as stemmed terms.
SAME_WORD = _stemmed(
    {
        "spend": "spent expenditure",
        "spent": "spend spending expenditure",
        "expenditure": "spent spend spending",
        "build": "built",
        "built": "build",
        "lead": "led",
        "led": "lead leads",
        "grow": "grew grown",
        "grew": "grow grown",
        "hold": "held",
        "held": "hold holds",
        "rise": "rose risen",
        "rose": "rise rises",
        "fall": "fell fallen",
        "fell": "fall falls",
        "begin": "began begun",
        "began": "begin begins",
        "bring": "brought",
        "buy": "bought",
        "sell": "sold",
        "sold": "sell sells",
    }
)


# Words before the count a thing changed from or to ("increased from 49 ... to 78", "reached 78").
CHANGE_TO = frozenset({"from", "to", "reached", "totalled", "totaled", "totals", "numbered"})


def _counted(head: str, text: str, given: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` gives a count of ``head``: a cardinal (not a year) at most three words before it, or, after
    it, the count it went from, to or reached ("The current state of Mini Clusters ... - it has increased from 49 in
    the first year of the programme to 78 in 2016"). A count the question ``given`` does not count ("How many of
    the 78 Mini Clusters are in Gyeonggi?" is not answered by "the currently 78 Mini Clusters")."""
    words = text.split()
    stems = tokenize(words) if words else []

    def cardinal(w: str) -> bool:
        w = w.strip("(),;:“”\"'")
        return bool(CARDINAL.fullmatch(w)) and not YEAR.fullmatch(w.rstrip(".")) and w.lower().rstrip(".") not in given

    heads = {head} | SAME_HEAD.get(head, frozenset())
    for i, s in enumerate(stems):
        if not s or s[0] not in heads:
            continue
        if any(cardinal(w) for w in words[max(0, i - 3) : i]):
            return True
        after = words[i + 1 :]
        if any(cardinal(w) and after[j - 1].lower() in CHANGE_TO for j, w in enumerate(after) if j > 0):
            return True
    return False


# A thing named before, referred to by its kind: "the project", "the programme".
DEFINITE = re.compile(
    r"\bthe\s+(programmes?|programs?|projects?|polic(?:y|ies)|initiatives?|schemes?|agenc(?:y|ies)|committees?)\b", re.I
)


def _refers(text: str, refer: frozenset[str]) -> bool:
    return any(term_set(m.group(1)) & refer for m in DEFINITE.finditer(text))


def focus_found(
    f: Focus,
    texts: list[str],
    terms: list[frozenset[str]] | None = None,
    topic: frozenset[str] = frozenset(),
    named: list[Concept] | None = None,
    refer: frozenset[str] = frozenset(),
) -> float:
    """Share of the question's focus items (a counted head noun, years) that the evidence sentences ``texts`` state.

    An attribute head is not an item here: the attribute feature of ``extract`` checks it.

    ``terms`` are the sentences' stemmed terms, when already known. A year counts only in a sentence that
    also holds one of the ``topic`` terms (the question's subject words): "by 2020" in a sentence on another
    subject does not answer "Korea's GDP in 2020". A count counts only in a sentence that names one of the
    ``named`` question words it is counted within (either form of an acronym), or that refers to it by one of the
    ``refer`` stems after "the" ("The project is co-constructed between MOTIE and 14 cities and provinces" for the
    National Innovation Cluster project; "in the first year of the programme" for the ICCP).
    """
    terms = terms or [frozenset(x) for x in tokenize(texts)]
    items = found = 0
    if f.head and not f.attribute:
        items += 1
        found += any(
            _counted(f.head, text, f.given)
            and (not named or any(c.covered_by(ts) for c in named) or _refers(text, refer))
            for text, ts in zip(texts, terms, strict=True)
        )
    for y in f.years:
        items += 1
        found += any(y in text and (not topic or topic & ts) for text, ts in zip(texts, terms, strict=True))
    return found / items if items else 1.0


# Where a question's own sentences break: after ":" or ";", or before a capital after ".", "!" or "?".
CLAUSE_BREAK = re.compile(r"(?<=[:;])\s+|(?<=[.!?])\s+(?=[A-Z])")
INTERROGATIVE = re.compile(
    r"^\W*(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|has|have|had|will|"
    r"would|should|tell|give|list|name)\b",
    re.I,
)
# The statements before a question end at a full stop, a colon or semicolon, or a dash between spaces.
STATEMENT_BREAK = re.compile(r"(?<=[:;.!])\s+|\s+[-–—]+\s+")
# What the asker heard or read, before what they heard: "I heard that ...", "Someone told me ...", "Apparently ...".
BELIEF = re.compile(
    r"^\W*(?:(?:i|we)(?:'ve| have)? (?:heard|read|understand|understood|was told|were told|learned|learnt|believe|"
    r"think|gather|saw)|(?:someone|somebody|a colleague|my colleague|people) (?:told me|told us|said|says|mentioned)|"
    r"apparently|reportedly|supposedly|rumou?r (?:has it|says)|as far as (?:i|we) know|my understanding is|"
    r"if i read (?:things|this|it) right|(?:our|my|the) (?:piece|draft|article|story|notes?|source) (?:says|claims|states))"
    r"\b(?: that)?,?\s*",
    re.I,
)
PRONOUN = re.compile(r"\b(?:it|its|they|their|them)\b", re.I)
FIRST_PERSON = re.compile(r"^\W*(?:i|i'm|i’m|we|we're|we’re|our|my|me|us)\b", re.I)
# "As a Portuguese food cluster, ...", "For our Czech company, ...": who is asking, not what is asked about.
ASKER = re.compile(r"^\W*(?:as|for|being)\s+(?:a|an|the|one|our|my)\b[^,?]{0,80},\s*", re.I)


def asking_part(question: str) -> str:
    """The part of ``question`` that asks: its interrogative sentences, without the asker's own context.

    "I run an agri-food cluster in Portugal: in which city is FOODPOLIS?" asks about FOODPOLIS, not Portugal.
    """
    parts = [p for p in CLAUSE_BREAK.split(question.strip()) if p]
    asking = [p for p in parts if "?" in p or INTERROGATIVE.match(p)]
    # "The EU's trade deficit with Korea was about €14 billion in 2008. How small had it become by 2017?": what
    # "it" stands for is in the statement before (its years are not the question's), unless the question names
    # something before it ("The FTA was applied provisionally first, but when was it ratified?").
    if (
        asking
        and (at := parts.index(asking[0]))
        and (pronoun := PRONOUN.search(asking[0]))
        and not ((name := NAME_WORD.search(asking[0])) and name.start() < pronoun.start())
        and not FIRST_PERSON.match(parts[at - 1])
    ):
        asking = [YEAR.sub(" ", parts[at - 1]), *asking]
    return ASKER.sub("", " ".join(asking) if asking else question.strip(), count=1)


def unknown_names(question: str, idf: dict[str, float]) -> list[str]:
    """The capitalised words of the asking part of ``question`` that no passage uses, in any form: what they name,
    the briefing does not cover."""
    question = asking_part(question)
    out = []
    for m in NAME_WORD.finditer(question):
        if not question[: m.start()].strip() or m.group() in ("I", "I'm", "I’m"):
            continue
        for t in term_set(m.group()):
            if t not in idf and not any(t.endswith(x) and t[: -len(x)] in idf for x in DEMONYM):
                out.append(m.group())
                break
    return out


def told_before(question: str) -> list[str]:
    """The statements ``question`` makes before it asks ("KIAT was folded into KOTRA last year - who plans the
    clusters now?", "I heard the FTA was suspended. Why?"): what the asker takes as given. The asker's own context
    ("We make paper machines.", "Our cluster is ...") is left out; what they heard or read is kept."""
    parts = [p for p in STATEMENT_BREAK.split(question.strip()) if p.strip()]
    out = []
    for p in parts[:-1]:
        if "?" in p or INTERROGATIVE.match(p):
            break
        p = BELIEF.sub("", p, count=1)
        if not FIRST_PERSON.match(p):
            out.append(p)
    return out


def premise_stated(question: str, passage_terms: list[frozenset[str]]) -> bool:
    """False when ``question`` asks for the cause or the date of a disruption (CAUSE_Q, WHEN_Q, EVENT), or takes one
    as given in a clause (PREMISE_CLAUSE), that no sentence of the answer's passages (their stemmed terms) names."""
    told = told_before(question)
    question = asking_part(question)
    counted = []  # "How many agencies were merged ...": the briefing's "merger of 6 agencies" names the event
    if CAUSE_Q.search(question) or WHEN_Q.search(question):
        given = [question]
    elif COUNTED_EVENT.search(question):
        given, counted = [], [question]
    else:
        given = [m.group(1) or m.group(2) for m in PREMISE_CLAUSE.finditer(question)]
    stated = frozenset().union(*passage_terms) if passage_terms else frozenset()
    stated |= frozenset(x for t in stated for x in SAME_SENSE.get(t, ()))

    def near(t: str) -> bool:  # "merging" (merg) is named by "merger": one stem starts the other
        return any(x[:4] == t[:4] and (x.startswith(t) or t.startswith(x)) for x in stated)

    # What the asker was told ("I heard the FTA was suspended. Why?", "The draft says KIAT was formed by merging
    # four agencies.") is their own wording of it: a word of the same stem names the event.
    return all(term_set(m.group()) - PARTICLES <= stated for text in given for m in EVENT.finditer(text)) and all(
        near(t) for text in told + counted for m in EVENT.finditer(text) for t in term_set(m.group()) - PARTICLES
    )


def outcome_ahead(question: str, answer: list[str], topic: frozenset[str]) -> bool:
    """True when ``question`` asks what came of something (OUTCOME_Q) that the ``answer`` sentences naming it
    (holding one of the ``topic`` terms) all speak of as still ahead (AHEAD): the briefing, written before, cannot
    say. "What came out of the first EU-Korea Cluster Matchmaking event?" against "KICOX will participate in the
    1st EU-Korea Cluster Matchmaking event in November 2018"."""
    if not OUTCOME_Q.search(asking_part(question)):
        return False
    about = [text for text in answer if term_set(text) & topic]
    return bool(about) and all(AHEAD.search(text) for text in about)


def ordinal_differs(question: str, answer: list[str]) -> bool:
    """True when ``question`` asks about the n-th of something ("the second EU-Korea Cluster Matchmaking event") and
    the ``answer`` sentences give that thing only with another ordinal ("the 1st EU-Korea Cluster Matchmaking
    event"): the one asked about is not in the briefing."""
    texts = [(m, _ordinal(m.group(1))) for text in answer for m in ORDINAL_OF.finditer(text)]
    for q in ORDINAL_OF.finditer(asking_part(question)):
        n, thing = _ordinal(q.group(1)), term_set(q.group(2))
        if not thing:  # "second in the world": the word after it names nothing
            continue
        same = [k for m, k in texts if term_set(m.group(2)) == thing]
        if same and n not in same:
            return True
    return False


def direction_differs(question: str, answer: list[str], topic: frozenset[str]) -> bool:
    """True when ``question`` says a quantity went one way (UP, DOWN) and the ``answer`` sentences naming it (holding
    one of the ``topic`` terms) say only the other: "How much did the EU's trade deficit with Korea grow between
    2008 and 2017?" against "EU trade deficits with Korea significantly reduced, from €14b in 2008 to only €0.2b"."""
    asked = asking_part(question)
    up, down = bool(UP.search(asked)), bool(DOWN.search(asked))
    about = [text for text in answer if term_set(text) & topic]
    if up == down or not about:
        return False
    said_up, said_down = any(UP.search(t) for t in about), any(DOWN.search(t) for t in about)
    return (said_down and not said_up) if up else (said_up and not said_down)


def rank_differs(question: str, answer: list[str], topic: frozenset[str]) -> bool:
    """True when ``question`` asks or says that something is first (TOP: "the biggest", "number one") and the
    ``answer`` sentences naming it (holding one of the ``topic`` terms) rank it lower (NTH: "third largest",
    "ranked 12th") and never first: "Why is the EU Korea's biggest export market?" against "the EU being Korea's
    third largest export destination after China, the US and Vietnam"."""
    asked = asking_part(question)
    # A claim, told or asked about ("Why is ...", "Is ..."), not a description asked for ("What are the biggest ...").
    said = [*told_before(question), *([asked] if CAUSE_Q.search(asked) or YES_NO.match(asked) else [])]
    about = [text for text in answer if term_set(text) & topic]
    if not any(_first(text) for text in said) or not about:
        return False
    lower = any(int(m.group(1) or m.group(3) or 0) > 1 or m.group(2) for t in about for m in NTH.finditer(t))
    return lower and not any(FIRST.search(t) for t in about)


def _first(text: str) -> bool:
    """Whether ``text`` says something is first: a TOP word not after an ordinal ("third largest", "second-biggest")."""
    return any(not AFTER_ORDINAL.search(text[: m.start()]) for m in TOP.finditer(text))


def _ordinal(word: str) -> int:
    word = word.lower()
    return int(word[:-2]) if word[:1].isdigit() else ORDINAL_WORDS.index(word) + 1


def listed(question: str, answer: list[str]) -> bool:
    """False when ``question`` asks for a given number of things (NAMED_N_Q) and the ``answer`` sentences state
    that number of them but list none."""
    m = NAMED_N_Q.search(asking_part(question))
    if not m:
        return True
    number, noun = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    n = int(number) if number.isdigit() else NUMBER_WORDS.index(number.lower()) + 2
    if n < 2:
        return True
    count = re.compile(rf"\b(?:{n}|{NUMBER_WORDS[n - 2] if n <= 20 else n})\s+(?:[\w-]+\s+){{0,3}}?{noun}", re.I)
    tails = [text[hit.end() :] for text in answer for hit in count.finditer(text)]  # what follows the number
    if not tails:
        return True
    return any(re.search(r":\s*\S", t) or len(re.findall(r"[,;]|\band\b", t)) >= min(n - 1, 3) for t in tails)


def value_year(question: str) -> list[str]:
    """The one year a question for a value names ("How many Mini Clusters were there in 2010?"), as a list, or [];
    a year range ("between 2008 and 2017"), a bound ("in operation by 2017": the briefing's "currently 78" answers it)
    or a cited source ("(Dobbs and Villinger, 2010)") gives none."""
    text = re.sub(r"\([^)]*\)", " ", asking_part(question))
    if re.search(r"\b(?:by|since|until|till|before|after|through)\s+(?:the end of\s+)?(?:19|20)\d\d\b", text, re.I):
        return []
    found = [m.group(0) for m in YEAR.finditer(text)]
    return found if len(found) == 1 else []


def _has_year(year: str, text: str) -> bool:
    """Whether ``text`` names ``year`` by itself, not as an end of a span ("2005-2015")."""
    return re.search(rf"(?<!\d){year}(?!\d)", YEAR_SPAN.sub(" ", text)) is not None


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def extract(
    question: str,
    q_vec: np.ndarray,
    hits: list[Hit],
    by_passage: dict[str, list[int]],
    sentences: list[SentenceRecord],
    sentence_vecs: np.ndarray,
    idf: dict[str, float],
    n_passages: int,
    max_sentences: int,
    w: Weights | None = None,
    original: str | None = None,
    aliases: list[tuple[str, str]] | None = None,
    ask_vec: np.ndarray | None = None,
) -> Extract:
    """The answer sentences and the confidence that the briefing answers ``original`` (the unexpanded question)."""
    w = w or Weights()
    cand: list[tuple[int, int]] = []  # (sentence index, passage rank)
    for rank, hit in enumerate(hits[:n_passages]):
        cand.extend((k, rank) for k in by_passage.get(hit.id, []))
    if not cand:
        return Extract([], 0.0)
    cs = concepts(original or question, idf, aliases)
    total = sum(c.weight for c in cs) or 1.0
    terms = sentence_terms(sentences)
    scored = score_sentences(question, q_vec, cand, sentences, sentence_vecs, idf, w, cs)
    scored.sort(key=lambda s: -s.score)
    best = scored[0]

    chosen: list[Chosen] = []
    seen_text: set[str] = set()
    have: set[int] = set()

    def take(k: int, score: float, rank: int) -> None:
        seen_text.add(sentences[k].text)
        have.update(i for i, c in enumerate(cs) if c.covered_by(terms[k]))
        chosen.append(Chosen(sentences[k], score, rank, k))

    for s in scored:
        if len(chosen) >= max_sentences:
            break
        text = sentences[s.k].text
        if text in seen_text or len(text) < 15:
            continue
        gain = sum(cs[i].weight for i in s.terms - have) / total
        if chosen and not (
            s.score >= best.score * w.runner_up or (s.score >= best.score * w.cover_ratio and gain >= w.cover_gain)
        ):
            continue
        take(s.k, s.score, s.rank)
        nxt = _next_sentence(s.k, sentences)
        if (
            nxt is not None
            and len(chosen) < max_sentences
            and sentences[nxt].text not in seen_text
            and _continues(s.k, nxt, sentences)
        ):
            take(nxt, s.score, s.rank)

    # A list often goes on in the next sentence, in the same passage or past a chunk boundary (chunks cut the
    # text, not its argument): keep it when it stays on the question's topic.
    if w.follow and chosen and len(chosen) < max_sentences and SEVERAL_Q.search(original or question):
        first = scored[0]
        nxt = _next_sentence(first.k, sentences)
        if (
            nxt is not None
            and sentences[nxt].text not in seen_text
            and not CAPTION.match(sentences[nxt].text)
            and float(sentence_vecs[nxt] @ q_vec)
            >= (w.follow if sentences[nxt].passage_id == sentences[first.k].passage_id else w.follow_across) * first.sem
        ):
            at = next(i for i, c in enumerate(chosen) if c.sentence.text == sentences[first.k].text) + 1
            chosen.insert(at, Chosen(sentences[nxt], first.score, first.rank, nxt))
            seen_text.add(sentences[nxt].text)

    # The share of question words anywhere in the passages was tried as a third feature; it added nothing.
    # What is asked, without the asker's context ("I'm putting together a fact sheet. What was Korea's GDP in 2016?"):
    # the context's words and years are not the question's subject.
    asked = asking_part(original or question)
    f = question_focus(asked)
    # The asked-for attribute must be stated where the answer comes from: in the passages of its sentences.
    cited = dict.fromkeys(c.sentence.passage_id for c in chosen)
    ks = [k for pid in cited for k in by_passage.get(pid, [])]
    # The question's subject words: not years, not question words, not far commoner than the rest ("Korea").
    asked_terms = set(tokenize([UNIT_ASKED.sub(" ", asked)])[0]) or {t for c in cs for t in c.forms[0]}
    subject = [
        c
        for c in cs
        if not (c.forms[0] & QUESTION_WORDS)
        and not any(YEAR.fullmatch(x) for x in c.forms[0])
        and c.forms[0] & asked_terms
    ]
    floor = 0.5 * sum(c.weight for c in subject) / (len(subject) or 1)
    topic = frozenset(t for c in subject if c.weight >= floor for form in c.forms for t in form)

    # A sentence that refers back ("It has spent KRW 630 billion ...") is about what the sentence before it names
    # ("The ICCP is supervised by the Ministry ..."): it holds that sentence's words too.
    def in_context(k: int) -> frozenset[str]:
        if REFERS.match(sentences[k].text) and (prev := _prev_sentence(k, sentences)) is not None:
            return terms[k] | terms[prev]
        return terms[k]

    texts, kterms = [sentences[k].text for k in ks], [in_context(k) for k in ks]
    # A "what is the <attribute> of" head is a weaker cue than a counted or "which" head (the attribute is
    # often implied: "Gumi (electronics)" gives a specialisation without the word), so it is its own feature.
    attribute = 1.0
    if f.attribute:
        # The attribute must share a sentence with another of the subject's words (an acronym or its long form).
        others = [c for c in subject if c.weight >= floor and f.head not in c.forms[0]]
        heads = {f.head} | SAME_HEAD.get(f.head, frozenset())
        attribute = float(not others or any(heads & ts and any(c.covered_by(ts) for c in others) for ts in kterms))
        # A sector is given in brackets after the name: "Seongseo (mechatronics)", "Gumi (electronics)".
        if not attribute and f.head in SECTOR_HEADS:
            attribute = float(
                any(
                    any(c.covered_by(term_set(m.group(1))) for c in others)
                    for text in texts
                    for m in NAMED_SECTOR.finditer(text)
                )
            )
    # Names a count is within ("... located in Busan"), unless far commoner than the rest of the question.
    named = [c for c in subject if c.weight >= floor and c.forms[0] & f.names]
    refer = frozenset(asked_terms) | frozenset(t for c in named for form in c.forms for t in form)
    focus = focus_found(f, texts, kterms, topic, named, refer)
    # The count may open the next chunk ("KIAT is a government agency, created in 2009 ..." / "Gathering over 250
    # staff, ..."): the sentence after one of the answer's joins it when it counts the asked-for noun.
    if w.follow_count and f.head and not f.attribute and focus < 1.0 and len(chosen) < max_sentences:
        for c in list(chosen):
            have_k = {x.k for x in chosen}
            j = next(
                (j for j in _neighbours(c.k, sentences, by_passage, after=True)
                 if j not in have_k and _counted(f.head, sentences[j].text, f.given)),
                None,
            )  # fmt: skip
            if j is not None:
                chosen.insert(chosen.index(c) + 1, Chosen(sentences[j], c.score, c.passage_rank, j))
                # It goes on from sentence c ("its responsibilities"): a name c gives counts for it too.
                texts, kterms = texts + [sentences[j].text], kterms + [terms[j] | terms[c.k]]
                focus = focus_found(f, texts, kterms, topic, named, refer)
                break
    # A question for a kind of value (money, a year, a person, a place ...; answer_types.py) whose answer states
    # none is not answered. (Taking instead the best sentence that states one, from twice as many passages, was
    # tried: it answered no more questions of eval/ right and let near-misses through, "money set aside up to
    # 2020" with 2005-2015 spending.) A question for one value must find it where the answer's best sentence is:
    # in that passage, or in the sentence just before or after it ("This Committee was co-chaired by the Prime
    # Minister" opens the next chunk), or in a sentence holding more of the question's words than the best one
    # ("It then announced in 2009 a Green New Deal, programme of USD38.5 billion ..."). A value the answer brings
    # from elsewhere is about something else ("What is KIAT's annual budget?" answered by KIAT's founding and the
    # budget of another programme). A question for several things may gather them from all the answer's passages.
    wanted = answer_type(original or question)
    typed = 1.0
    if wanted is not None and chosen:
        lead = chosen[0].k

        def covers(k: int) -> float:  # the idf-weighted share of the question's subject words sentence k holds
            # Words naming the kind of value ("budget", "total") do not count: a budget of something else holds them.
            return sum(c.weight for c in cs if not c.forms[0] <= VALUE_WORDS and c.covered_by(in_context(k))) / total

        # A count may come from any of the answer's sentences: the best one often only names the things counted
        # ("Korea today counts a large number of industrial complexes" before "Korea currently counts 45 ...").
        if SEVERAL_Q.search(original or question) or wanted.name == "count":
            near = list(chosen)
        else:
            beside = _beside(lead, sentences, by_passage)
            near = [
                c
                for c in chosen
                if c.sentence.passage_id == sentences[lead].passage_id
                or c.sentence.text in beside
                or covers(c.k) > covers(lead)
            ]
        # An amount, count or share for a named year must be stated with that year: "What was Korea's GDP in 2017"
        # is not answered by its GDP in 2016.
        years = value_year(original or question) if wanted.name in VALUE_KINDS else []
        typed = float(
            any(wanted.stated(c.sentence.text) and all(_has_year(y, c.sentence.text) for y in years) for c in near)
        )
        # The sentence after the best one, referring back to it, often states the value ("Korea established the
        # Presidential Committee on Green Growth ..." / "This Committee was co-chaired by the Prime Minister ..."):
        # it joins the answer when nothing nearer does.
        if w.follow_value and not typed and len(chosen) < max_sentences:
            for j in _neighbours(lead, sentences, by_passage, after=True):
                if (
                    j not in {c.k for c in chosen}
                    and REFERS.match(sentences[j].text)
                    and wanted.stated(sentences[j].text)
                ):
                    at = next(i for i, c in enumerate(chosen) if c.k == lead) + 1
                    chosen.insert(at, Chosen(sentences[j], chosen[0].score, chosen[0].passage_rank, j))
                    typed = 1.0
                    break
    known = float(not unknown_names(original or question, idf))
    # A premise the briefing contradicts: an outcome of what it speaks of as still ahead, or the n-th of a thing it
    # gives only as another.
    answer_texts = [c.sentence.text for c in chosen]
    premise = float(
        premise_stated(original or question, kterms)
        and not outcome_ahead(original or question, answer_texts, topic)
        and not ordinal_differs(original or question, answer_texts)
        and not direction_differs(original or question, answer_texts, topic)
        and not rank_differs(original or question, answer_texts, topic)
    )
    enumerated = float(listed(original or question, [c.sentence.text for c in chosen]))
    sem = best.sem
    if ask_vec is not None:
        sem = max(sem, float(sentence_vecs[best.k] @ ask_vec))
    features = {
        "sem": sem,
        "lex": best.lex,
        "focus": focus,
        "attribute": attribute,
        "type": typed,
        "known": known,
        "premise": premise,
        "listed": enumerated,
    }
    confidence = _sigmoid(
        w.abstain_bias
        + w.abstain_sem * sem
        + w.abstain_lex * best.lex
        - w.abstain_focus * (1.0 - focus)
        - w.abstain_attribute * (1.0 - attribute)
        - w.abstain_type * (1.0 - typed)
        - w.abstain_unknown * (1.0 - known)
        - w.abstain_premise * (1.0 - premise)
        - w.abstain_listed * (1.0 - enumerated)
    )
    return Extract(chosen, float(confidence), features)
