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


class Mismatch(BaseModel):
    """A figure the briefing sentence and its source passage give differently (issue 7)."""

    kind: str = Field(description="What differs: 'year', or the unit of the figure ('%', 'billion', ...).")
    briefing: list[str] = Field(description="The figures as the briefing sentence gives them.")
    source: list[str] = Field(description="The figures as the source passage gives them.")


class SourcePassage(BaseModel):
    """The passage of a footnote's indexed source that best backs a briefing claim (issue 7: two hops)."""

    text: str
    document: str = Field(description="The source file, inside the corpus folder.")
    title: str
    url: str | None = None
    page: int | None = None
    score: float = Field(description="Cosine similarity of the best source sentence to the claim.")
    sentence: str = Field(default="", description="The source sentence closest to the claim.")
    claim: str = Field(default="", description="The briefing sentence that cites the footnote.")
    mismatch: list[Mismatch] = Field(default_factory=list, description="Figures that differ from the claim's.")
    passage_id: str = ""


class FootnoteRef(BaseModel):
    number: int
    text: str
    urls: list[str] = Field(default_factory=list)
    consulted: str | None = None
    passages: list[SourcePassage] = Field(
        default_factory=list, description="Best matching passages of the footnote's indexed source (two hops)."
    )


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
    supported: bool | None = Field(
        default=None, description="Generated answers: whether a checked sentence rests on this passage (None: extractive)."
    )


class RankedPassage(BaseModel):
    rank: int
    text: str
    score: float
    document: str
    section: str
    section_title: str = ""
    id: str = ""


class SentenceCheck(BaseModel):
    """How one generated sentence fared against the passages it cites (issue 6)."""

    text: str = Field(description="The sentence as generated, citation markers removed.")
    citations: list[int] = Field(default_factory=list, description="Its citation numbers in the final answer.")
    passage_ids: list[str] = Field(default_factory=list, description="The passages it cited (valid numbers only).")
    status: str = Field(description="'supported', 'unsupported', 'uncited' or 'no-answer'.")
    similarity: float = Field(default=0.0, description="Best cosine to a cited passage or one of its sentences.")
    problems: list[str] = Field(default_factory=list, description="Why the sentence failed, or what was repaired.")
    kept: bool = Field(default=True, description="False when the sentence was removed from the answer.")


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
    coverage: float | None = Field(
        default=None, description="The learned estimate that the corpus covers the question (coverage.py), if used."
    )
    # Generative answers (issue 6); the extractive JSON keeps these defaults.
    checks: list[SentenceCheck] = Field(default_factory=list, description="Per-sentence checks of a generated answer.")
    notice: str = Field(default="", description="Why a generated answer fell back to the extractive one, if it did.")
    llm: str = Field(default="", description="The LLM that wrote the answer ('backend:model'), if any.")
