"""The source registry: every footnote of the corpus, with its URLs and dates."""

from __future__ import annotations

from briefqa.documents import load_corpus
from briefqa.index import read_state
from briefqa.settings import Settings
from briefqa.types import Source


def registry(settings: Settings) -> list[Source]:
    """From the built index when there is one, else parsed from the corpus now."""
    state = read_state(settings)
    if state is not None:
        return list(state.sources)
    return [s for doc in load_corpus(settings.corpus_dir) for s in doc.sources]
