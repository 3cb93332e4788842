"""Parser for footnoted reports extracted from PDF, such as the 2018 briefing.

The extracted text interleaves footnotes with the body where each page ended,
glues footnote markers to the word they follow ("export3 destination"), loses
some footnote numbers and breaks headings over several lines. This module turns
it into clean section blocks (with the footnotes each character range cites)
and a source registry (one record per footnote).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from briefqa.types import Source

log = logging.getLogger(__name__)

URL_RE = re.compile(r"(?:https?://|www\.)[^\s,;]*[^\s,;.)]")
DATE_RE = re.compile(r"consulted\s+on\s*(\d{1,2}/\d{1,2}/\d{4})", re.I)
HEADING_RE = re.compile(r"^\s?([1-9])\.(?:([1-9])\.?)?(?:\s+(.*\S))?\s*$")
FN_START_RE = re.compile(r"^\s?(\d{1,3})(?:\s+(\S.*)|(\S.*))?$")
NUMBER_ALONE_RE = re.compile(r"^\s*(\d{1,3})\s*$")
# A marker glued to the word or sign it follows, or standing alone after a full stop.
GLUED_RE = re.compile(r"(?<=[A-Za-z.,)\]”’\"%:;])(\d{1,3})(?=$|[\s.,;:)(”’\"]|[A-Z])")
YEAR_GLUED_RE = re.compile(r"(?<![\d.,])((?:19|20)\d\d)(\d{1,3})(?![\d])")
LEADING_RE = re.compile(r"(?<=\s)(\d{2,3})(?=[A-Z][a-z])")
SPACED_END_RE = re.compile(r"(?<=[.”)A-Z] )(\d{1,3})\s*$")
FIGURE_RE = re.compile(r"^\s?FIGURE\s+\d+\s*[-–]")
CITATION_HINT_RE = re.compile(
    r"https?://|www\.|consulted|\bet al\b|\bIbid\b|\bp\.\s?\d|Ministry of|\b\d{2}/\d{4}\b", re.I
)
NEXT_HINT_RE = re.compile(r"https?://|consulted|\b\d{2}/\d{4}\b", re.I)
SENTENCE_END = ('.', '”', '"', '’', ')', '!', '?', ':')
FUNCTION_WORDS = {"in", "of", "and", "the", "for", "to", "with", "on", "–", "-", "a", "an", "at", "by"}
MARKER_WINDOW = 4


@dataclass
class Line:
    text: str  # without the newline
    start: int  # offset of text[0] in the raw file

    @property
    def s(self) -> str:
        return self.text.strip()


@dataclass
class Block:
    """Clean body text of one (sub)section with a map back to the raw file."""

    section: str
    section_title: str
    subsection: str
    text: str = ""
    offsets: list[int] = field(default_factory=list)
    markers: list[tuple[int, int]] = field(default_factory=list)  # (position in text, footnote)

    def footnotes_between(self, start: int, end: int) -> list[int]:
        # A marker just after a span's last character still cites that span.
        return sorted({n for pos, n in self.markers if start <= pos <= end})

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        if not self.offsets:
            return (0, 0)
        end = max(start, min(end, len(self.offsets)) - 1)
        return (self.offsets[min(start, len(self.offsets) - 1)], self.offsets[end] + 1)


@dataclass
class ParsedReport:
    blocks: list[Block]
    sources: list[Source]
    quotations: list[Block]  # footnotes that carry content (long quotations)
    sections: list[tuple[str, str]] = field(default_factory=list)  # (number, title) of every heading, in order


def _split_lines(raw: str) -> list[Line]:
    lines, pos = [], 0
    for part in raw.split("\n"):
        lines.append(Line(part.rstrip("\r"), pos))
        pos += len(part) + 1
    return lines


def _footnote_complete(text: str) -> bool:
    """Does a footnote line look finished (so the next line starts a new footnote)?"""
    t = text.rstrip()
    return bool(
        re.search(r"(\d{1,2}/\d{1,2}/\d{4}|https?://\S+|www\.\S+|\bp\.?\s?\d+f*|\d{4}|\.)$", t)
        and not t.endswith(",")
    )


class _Classifier:
    """Walks the lines once and labels each: body, heading, footnote or dropped."""

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.last_marker = 0
        self.expected_fn = 1  # next footnote number whose text we expect
        self.last_fn = 0  # last footnote number printed in the text
        self.labels: list[str] = ["drop"] * len(lines)
        self.fn_groups: list[tuple[int | None, list[int]]] = []  # (number or None, line indexes)
        self.group_page: list[int] = []  # page block of each footnote group
        self.pages: list[list[int]] = []  # markers cited on each page block
        self.page_markers: list[int] = []
        self.in_block = False
        self.headings: dict[int, tuple[str, str, int]] = {}  # line -> (number, title, last line)
        self.subheadings: dict[int, tuple[str, int]] = {}
        self.section_seen: tuple[int, int] = (0, 0)

    def next_nonblank(self, i: int) -> int | None:
        for j in range(i + 1, len(self.lines)):
            if self.lines[j].s:
                return j
        return None

    def prev_body_text(self, i: int) -> str:
        for j in range(i - 1, -1, -1):
            if self.labels[j] in ("body", "heading", "subheading"):
                return self.lines[j].s
            if self.labels[j] == "footnote":
                return ""
        return ""

    def scan_markers(self, text: str) -> None:
        for n in find_markers(text, self.last_marker):
            self.last_marker = max(self.last_marker, n)
            self.page_markers.append(n)

    def add_group(self, number: int | None, i: int) -> None:
        """Start a footnote; the first of a block closes the page whose markers it serves."""
        if not self.in_block:
            self.pages.append(self.page_markers)
            self.page_markers = []
            self.in_block = True
        self.fn_groups.append((number, [i]))
        self.group_page.append(len(self.pages) - 1)

    def run(self) -> None:
        state = "body"
        i = 0
        n = len(self.lines)
        while i < n:
            line = self.lines[i]
            s = line.s
            if not s:
                self.labels[i] = "blank"
                if state == "footnote":
                    state = "after-footnote"
                i += 1
                continue
            alone = NUMBER_ALONE_RE.match(line.text)
            if alone:
                num = int(alone.group(1))
                prev = self.prev_body_text(i)
                if num > self.last_marker and prev.endswith(SENTENCE_END) and state == "body":
                    self.labels[i] = "marker"
                    self.last_marker = num
                    self.page_markers.append(num)
                elif num > self.last_fn and num >= self.expected_fn - 2:
                    self.labels[i] = "footnote"
                    self.add_group(num, i)
                    self.last_fn = num
                    self.expected_fn = num + 1
                    state = "fn-pending"
                else:
                    self.labels[i] = "drop"
                i += 1
                continue
            pending_next = FN_START_RE.match(line.text)
            if (
                state == "fn-pending"
                and pending_next
                and self.last_fn < int(pending_next.group(1)) <= self.last_fn + 4
                and CITATION_HINT_RE.search(line.text)
            ):
                state = "footnote"  # the pending footnote's text was lost
            if state == "fn-pending":
                # The text of a footnote whose number stood on its own line.
                self.labels[i] = "footnote"
                self.fn_groups[-1][1].append(i)
                state = "footnote"
                i += 1
                continue
            if self.try_heading(i):
                state = "body"
                i = self.headings[i][2] + 1
                continue
            fn = FN_START_RE.match(line.text)
            fn_num = int(fn.group(1)) if fn and (fn.group(2) or fn.group(3)) else None
            starts_numbered = (
                fn_num is not None
                and self.last_fn < fn_num <= self.expected_fn + 3
                and not HEADING_RE.match(line.text)
                and (
                    fn_num == self.expected_fn
                    or CITATION_HINT_RE.search(line.text)
                    or self.lines[min(i + 1, len(self.lines) - 1)].text.lstrip().startswith("http")
                )
            )
            if starts_numbered:
                self.labels[i] = "footnote"
                self.add_group(fn_num, i)
                self.expected_fn = self.last_fn = fn_num  # type: ignore[assignment]
                self.expected_fn += 1
                state = "footnote"
                i += 1
                continue
            nxt = self.next_nonblank(i)
            nxt_text = self.lines[nxt].text if nxt is not None else ""
            leading_space = line.text.startswith(" ")
            citation_like = bool(CITATION_HINT_RE.search(line.text)) or (
                nxt is not None
                and nxt == i + 1
                and (nxt_text.lstrip().startswith("http") or (leading_space and bool(NEXT_HINT_RE.search(nxt_text))))
            )
            if state == "footnote":
                cur = self.fn_groups[-1][1]
                prev_text = self.lines[cur[-1]].text
                if leading_space and not citation_like:
                    state = "body"
                elif _footnote_complete(prev_text) and (citation_like or s[0].isupper()) and not s[0].islower():
                    self.labels[i] = "footnote"
                    self.add_group(None, i)
                    self.expected_fn += 1
                    i += 1
                    continue
                else:
                    self.labels[i] = "footnote"
                    cur.append(i)
                    i += 1
                    continue
            if state in ("body", "after-footnote") and leading_space and citation_like and not FIGURE_RE.match(line.text):
                self.labels[i] = "footnote"
                self.add_group(None, i)
                self.expected_fn += 1
                state = "footnote"
                i += 1
                continue
            state = "body"
            self.in_block = False
            if self.try_subheading(i):
                i = self.subheadings[i][1] + 1
                continue
            self.labels[i] = "body"
            self.scan_markers(line.text)
            i += 1

    def try_heading(self, i: int) -> bool:
        m = HEADING_RE.match(self.lines[i].text)
        if not m:
            return False
        major, minor = int(m.group(1)), int(m.group(2) or 0)
        cur_major, cur_minor = self.section_seen
        ok = (major == cur_major + 1 and minor <= 1) or (major == cur_major and minor >= cur_minor and minor >= 1)
        if not ok:
            return False
        title_parts: list[str] = []
        last = i
        if m.group(3):
            title_parts.append(m.group(3))
        j = i
        while True:
            k = self.next_nonblank(j)
            if k is None:
                break
            t = self.lines[k].s
            if len(t) > 70 or HEADING_RE.match(self.lines[k].text) or FIGURE_RE.match(t):
                break
            if title_parts:
                prev = title_parts[-1]
                prev_word = prev.split()[-1].lower() if prev.split() else ""
                joins = (
                    t[0].islower()
                    or prev_word in FUNCTION_WORDS
                    or (len(t.split()) == 1 and prev.split()[-1][:1].isupper() and t[:1].isupper())
                )
                if not joins:
                    break
            title_parts.append(t)
            last = k
            j = k
        number = f"{major}.{minor}" if minor else str(major)
        self.headings[i] = (number, " ".join(title_parts), last)
        for k in range(i, last + 1):
            self.labels[k] = "heading" if self.lines[k].s else "blank"
        self.section_seen = (major, minor)
        return True

    def try_subheading(self, i: int) -> bool:
        s = self.lines[i].s
        if len(s) < 3 or len(s) > 60 or s.endswith((".", ",", ";")) or FIGURE_RE.match(s):
            return False
        if not (s[0].isupper() or s[0] in "“\"") or s.lower() in FUNCTION_WORDS:
            return False
        prev = self.prev_body_text(i)
        prev_blank = i > 0 and (not self.lines[i - 1].s or self.labels[i - 1] == "heading")
        if not (prev_blank or prev == "" or prev.endswith(SENTENCE_END) or re.search(r"\d$", prev)):
            return False
        parts, last = [s], i
        while True:
            k = last + 1
            if k >= len(self.lines):
                return False
            t = self.lines[k].s
            if not t:
                return False
            if len(t) >= 60:
                break
            if t[0].islower() or parts[-1].split()[-1].lower() in FUNCTION_WORDS or parts[-1].endswith(","):
                parts.append(t)
                last = k
                continue
            return False
        self.subheadings[i] = (" ".join(parts), last)
        for k in range(i, last + 1):
            self.labels[k] = "subheading"
        return True


def find_markers(text: str, last_marker: int) -> list[int]:
    """Footnote numbers glued in ``text``, accepting only the next few in sequence."""
    return [n for _, _, n in _marker_spans(text, last_marker)]


def _marker_spans(text: str, last_marker: int) -> list[tuple[int, int, int]]:
    found: list[tuple[int, int, int]] = []
    cands: list[tuple[int, int, int]] = []
    for m in GLUED_RE.finditer(text):
        cands.append((m.start(1), m.end(1), int(m.group(1))))
    for m in YEAR_GLUED_RE.finditer(text):
        cands.append((m.start(2), m.end(2), int(m.group(2))))
    for m in SPACED_END_RE.finditer(text):
        cands.append((m.start(1), m.end(1), int(m.group(1))))
    for m in LEADING_RE.finditer(text):
        cands.append((m.start(1), m.end(1), int(m.group(1))))
    last = last_marker
    for start, end, num in sorted(cands):
        if last < num <= last + MARKER_WINDOW:
            found.append((start, end, num))
            last = num
    return found


def _join(prev: str, nxt: str) -> str:
    """The separator between two extracted lines of running text."""
    if not prev:
        return ""
    if prev.endswith("-") and nxt[:1].isalnum() and not prev.endswith(" -"):
        return ""
    return " "


URL_TAIL_RE = re.compile(r"(?:https?://|www\.)\S*[^\s,;.]$")
URL_PIECE_RE = re.compile(r"^[\w%&=/.#?~+:-]*[%&=/#?_][\w%&=/.#?~+:-]*[,;]?$|^[\w%&=/.#?~+:-]*\.(?:pdf|html?|aspx?|php|jsp)[,;]?$")


def _url_continues(prev: str, nxt: str) -> bool:
    """Does a footnote line end inside a URL that the next line finishes (PDF line break in a URL)?"""
    first = nxt.split(maxsplit=1)[0]
    return bool(URL_TAIL_RE.search(prev) and URL_PIECE_RE.match(first))


def _assign_numbers(c: _Classifier) -> list[tuple[int, list[int]]]:
    """Number the footnotes whose number was lost, from the markers of their page.

    A lost footnote takes a number cited on its own page, between its numbered
    neighbours; when lost texts outnumber the free markers, the surplus pieces
    are continuations of the footnote before them.
    """
    groups = c.fn_groups
    taken = {n for n, _ in groups if n is not None}
    out: list[tuple[int, list[int]]] = []
    i = 0
    while i < len(groups):
        num, idx = groups[i]
        if num is not None:
            out.append((num, idx))
            i += 1
            continue
        j = i
        while j < len(groups) and groups[j][0] is None and c.group_page[j] == c.group_page[i]:
            j += 1
        run = [g[1] for g in groups[i:j]]
        lo = out[-1][0] if out else 0
        hi = groups[j][0] if j < len(groups) and groups[j][0] is not None else None
        page = c.pages[c.group_page[i]] if c.group_page[i] < len(c.pages) else []
        cands = [m for m in page if m not in taken and m > lo and (hi is None or m < hi)]
        if not cands:
            top = hi if hi is not None else lo + len(run) + 1
            cands = [m for m in range(lo + 1, top) if m not in taken]
        cands = sorted(set(cands))
        if len(cands) >= len(run):
            numbers = cands[len(cands) - len(run):]
        else:
            surplus = len(run) - len(cands)
            for _ in range(surplus):
                piece = run.pop(0)
                if out:
                    out[-1][1].extend(piece)
            numbers = cands
        for n, piece in zip(numbers, run, strict=False):
            out.append((n, piece))
            taken.add(n)
        i = j
    out.sort(key=lambda t: t[0])
    return out


def parse_report(raw: str, document: str = "") -> ParsedReport:
    lines = _split_lines(raw)
    c = _Classifier(lines)
    c.run()

    # Source registry
    sources: list[Source] = []
    quotations: list[Block] = []
    for num, idx in _assign_numbers(c):
        parts: list[str] = []
        offsets: list[int] = []
        for k in idx:
            line = lines[k]
            t = line.text
            if k == idx[0]:
                m = FN_START_RE.match(t)
                if m and int(m.group(1)) == num:
                    t = t[m.start(2) if m.group(2) else m.start(3) if m.group(3) else len(t):]
                    t = t if t else ""
                    base = line.start + len(line.text) - len(t)
                else:
                    base = line.start
            else:
                base = line.start
            lead = len(t) - len(t.lstrip())
            t_clean = t.strip()
            if not t_clean:
                continue
            sep = _join(parts[-1] if parts else "", t_clean) if parts else ""
            if sep and _url_continues(parts[-1], t_clean):
                sep = ""
            if sep:
                offsets.append(offsets[-1])
            parts.append(sep + t_clean)
            offsets.extend(range(base + lead, base + lead + len(t_clean)))
        text = "".join(parts)
        urls = URL_RE.findall(re.sub(r"(\S)\n(\S)", r"\1\2", text))
        date = DATE_RE.search(text)
        sources.append(
            Source(
                number=num,
                text=text,
                urls=urls,
                consulted=date.group(1) if date else None,
                document=document,
            )
        )
        words = len(URL_RE.sub("", text).split())
        if words >= 40 and not urls[:1] == [text.strip()]:
            sources[-1].has_content = True
            quotations.append(
                Block(section="", section_title=f"Footnote {num}", subsection="", text=text, offsets=offsets, markers=[])
            )
    by_num = {s.number: s for s in sources}
    for s in sources:
        if re.match(r"^\s*Ibid\.?\s*$", s.text, re.I):
            k = s.number - 1
            while k in by_num and by_num[k].ibid_of is not None:
                k = by_num[k].ibid_of  # type: ignore[assignment]
            if k in by_num:
                s.ibid_of = k
                s.urls = list(by_num[k].urls)
                s.consulted = by_num[k].consulted
    sources.sort(key=lambda s: s.number)
    for q, src in zip(quotations, [s for s in sources if s.has_content], strict=False):
        q.section_title = f"Footnote {src.number}"

    # Body blocks
    blocks: list[Block] = []
    section, title, sub = "", "", ""
    cur = Block(section, title, sub)
    last_marker = 0

    def flush() -> None:
        nonlocal cur
        while cur.text.endswith("\n"):  # the break after a closing figure caption
            cur.text = cur.text[:-1]
            cur.offsets.pop()
        if cur.text.strip():
            blocks.append(cur)
        cur = Block(section, title, sub)

    for i, line in enumerate(lines):
        label = c.labels[i]
        if i in c.headings:
            flush()
            section, title, _ = c.headings[i]
            sub = ""
            cur = Block(section, title, sub)
            continue
        if i in c.subheadings:
            flush()
            sub = c.subheadings[i][0]
            cur = Block(section, title, sub)
            continue
        if label == "marker":
            n = int(line.s)
            cur.markers.append((max(len(cur.text) - 1, 0), n))
            last_marker = n
            continue
        if label != "body":
            continue
        t = line.text
        if t.strip() in ("-", "", "•"):
            continue
        lead = len(t) - len(t.lstrip())
        t_stripped = t.strip()
        spans = _marker_spans(t_stripped, last_marker)
        if spans:
            last_marker = spans[-1][2]
        # Remove marker digits, keeping a raw offset for every kept character.
        kept_chars: list[str] = []
        kept_offs: list[int] = []
        marks: list[tuple[int, int]] = []
        cut = {p for a, b, _ in spans for p in range(a, b)}
        marker_at = {a: n for a, _, n in spans}
        for p, ch in enumerate(t_stripped):
            if p in marker_at:
                marks.append((len(kept_chars), marker_at[p]))
            if p in cut:
                continue
            if ch == "." and p - 1 in cut and kept_chars[-1:] == ["."]:
                continue  # "compared to 2016.34. Korea": the marker stood between two full stops; one ends the sentence
            kept_chars.append(ch)
            kept_offs.append(line.start + lead + p)
        piece = re.sub(r"\s+$", "", "".join(kept_chars))
        kept_offs = kept_offs[: len(piece)]
        if not piece:
            continue
        figure = bool(FIGURE_RE.match(piece))
        sep = "\n" if figure and cur.text else _join(cur.text, piece)
        if cur.text and sep == " " and cur.text.endswith((" ", "\n")):
            # After a figure caption's line break a space would start the next sentence (and its span).
            sep = ""
        if sep:
            cur.text += sep
            cur.offsets.append(cur.offsets[-1] if cur.offsets else line.start)
        base = len(cur.text)
        cur.text += piece
        cur.offsets.extend(kept_offs)
        cur.markers.extend((base + max(p - 1, 0), n) for p, n in marks)
        if figure:
            cur.text += "\n"
            cur.offsets.append(kept_offs[-1])
    flush()
    for b in blocks:
        b.text = b.text.replace("\u00a0", " ")
    # Footnotes cited in the body whose text was lost still get a (textless) record.
    known = {s.number for s in sources}
    cited = {n for b in blocks for _, n in b.markers}
    sources.extend(Source(number=n, text="", document=document) for n in sorted(cited - known))
    sources.sort(key=lambda s: s.number)
    log.debug("parsed %d blocks, %d footnotes", len(blocks), len(sources))
    sections = [(number, title) for _, (number, title, _) in sorted(c.headings.items())]
    return ParsedReport(blocks=blocks, sources=sources, quotations=quotations, sections=sections)
