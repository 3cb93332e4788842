"""briefqa: document-grounded answers about the Korean cluster landscape, every sentence cited."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from briefqa.errors import BriefqaError
from briefqa.settings import Settings, configure_offline
from briefqa.types import Answer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from briefqa.engine import Assistant
    from briefqa.generate import StreamEvent
    from briefqa.index import IngestReport, Progress

__all__ = ["Answer", "BriefqaError", "Settings", "ask", "assistant", "ingest", "stream"]

_assistants: dict[str, Assistant] = {}
_lock = threading.Lock()


def assistant(settings: Settings | None = None) -> Assistant:
    """The loaded assistant for these settings, created once per process."""
    from briefqa.engine import Assistant

    settings = settings or Settings()
    key = f"{settings.index_dir.resolve()}|{settings.index_identity()}|{settings.model_dump_json()}"
    with _lock:
        if key not in _assistants:
            configure_offline()
            _assistants[key] = Assistant(settings)
        return _assistants[key]


def ask(question: str, settings: Settings | None = None, k: int | None = None, llm: str | None = None) -> Answer:
    """Answer one question from the index (built by ``ingest``); ``llm`` overrides BRIEFQA_LLM (e.g. 'none')."""
    from briefqa.llm import get_llm

    settings = settings or Settings()
    return assistant(settings).ask(question, k=k, llm=get_llm(settings, llm))


def stream(
    question: str, settings: Settings | None = None, k: int | None = None, llm: str | None = None
) -> Iterator[StreamEvent]:
    """Draft text as the LLM writes it, then the checked Answer (last event); one event without an LLM."""
    from briefqa.generate import StreamEvent, stream_answer
    from briefqa.llm import get_llm

    settings = settings or Settings()
    model = get_llm(settings, llm)
    if model is None:
        yield StreamEvent("answer", answer=assistant(settings).ask(question, k=k))
        return
    yield from stream_answer(assistant(settings), question, model, k=k)


def ingest(settings: Settings | None = None, progress: Progress | None = None, force: bool = False) -> IngestReport:
    """Build or update the index from the corpus folder; unchanged corpora cost almost nothing."""
    from briefqa import index

    configure_offline()
    settings = settings or Settings()
    report = index.ingest(settings, progress=progress, force=force)
    with _lock:
        for key in [k for k in _assistants if k.startswith(f"{settings.index_dir.resolve()}|")]:
            del _assistants[key]
    return report
