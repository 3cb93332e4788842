"""The data types that flow through the pipeline, defined once.

documents -> (parsed) blocks -> chunks (Passage) -> retrieval -> Answer with Citations.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Source(BaseModel):
    """One footnote of a briefing: the registry record of a cited source."""

    number: int = Field(description="Footnote number as printed in the document.")
    text: str = Field(description="Footnote text with line breaks joined; empty when lost in extraction.")
    urls: list[str] = Field(default_factory=list, description="URLs named in the footnote.")
    consulted: str | None = Field(default=None, description="The 'consulted on' date, as printed.")
    ibid_of: int | None = Field(default=None, description="For 'Ibid': the footnote it repeats.")
    document: str = Field(default="", description="Document (file name) the footnote belongs to.")
    has_content: bool = Field(default=False, description="True for long quotations indexed as passages.")


class Passage(BaseModel):
    """A chunk of a document as stored in the index and shown to users."""

    id: str
    text: str
    document: str
    title: str
    section: str = Field(description="Section number, e.g. '3.2'; empty before the first numbered section.")
    section_title: str
    subsection: str = ""
    footnotes: list[int] = Field(default_factory=list)
    start: int = Field(description="Character offset of the passage in the original file.")
    end: int
    page: int | None = None
    kind: str = Field(default="body", description="'body' or 'footnote' (a quotation in a footnote).")
    url: str | None = None

    @property
    def full_title(self) -> str:
        return f"{self.section_title} › {self.subsection}" if self.subsection else self.section_title

    @property
    def heading(self) -> str:
        head = f"{self.section} {self.section_title}".strip()
        return f"{head} › {self.subsection}" if self.subsection else head


class FootnoteRef(BaseModel):
    number: int
    text: str
    urls: list[str] = Field(default_factory=list)
    consulted: str | None = None


class Citation(BaseModel):
    n: int
    text: str
    document: str
    title: str
    section: str
    section_title: str
    page: int | None
    url: str | None
    footnotes: list[FootnoteRef]
    sentences: list[str] = Field(default_factory=list, description="The answer sentences this passage supports.")
    passage_id: str = ""


class RankedPassage(BaseModel):
    rank: int
    text: str
    score: float
    document: str
    section: str
    section_title: str = ""
    id: str = ""


class Timings(BaseModel):
    retrieve: float
    answer: float
    total: float


class Answer(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    passages: list[RankedPassage]
    timings_ms: Timings
    searched: str = Field(default="", description="The standalone question that was searched.")
    mode: str = "extractive"
    index: str = Field(default="", description="Identity of the index that produced the answer.")
    confidence: float = 0.0
