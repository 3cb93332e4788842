"""The assistant in a process of its own, so that a front end can open while the model and index load.

``app.py`` starts one before it imports Gradio. On two cores the two start-ups then run side by side: the
engine's imports and loading (llama-index, chromadb, the numpy question encoder, the index) in the child, Gradio's
imports and page in the parent. In one process they would run one after the other, serialised by the GIL.
Questions go to the child through a one-worker ``ProcessPoolExecutor``; answers (and errors, which are
``BriefqaError``s and pickle as themselves) come back as the same objects ``Assistant.ask`` returns.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from briefqa.errors import BriefqaError, IndexUnavailable
from briefqa.settings import Settings
from briefqa.types import Answer

log = logging.getLogger(__name__)
WARM_UP_QUESTION = "What is the Industrial Complex Cluster Programme?"

# In the child: the settings it serves, and the error loading them raised (re-raised to every caller).
_settings: Settings | None = None
_load_error: BriefqaError | None = None


def _load(settings: Settings) -> None:
    global _settings, _load_error
    import briefqa

    threading.Thread(target=_exit_with_parent, name="parent-watch", daemon=True).start()
    _settings = settings
    try:
        briefqa.assistant(settings)
    except BriefqaError as exc:
        _load_error = exc


def _exit_with_parent() -> None:
    """End the child when its parent ends, however it ended (a SIGKILLed app.py must not leave it behind)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)


def _ask(question: str, k: int | None, searched: str | None) -> Answer:
    import briefqa

    if _load_error is not None:
        raise _load_error
    return briefqa.assistant(_settings).ask(question, k=k, searched=searched)


def _warm_up() -> str:
    """Load everything and answer once, so that the first real question is as fast as the next ones."""
    if _load_error is not None:
        raise _load_error
    index = _ask(WARM_UP_QUESTION, None, None).index
    from briefqa.answer_types import gazetteer

    gazetteer()  # the place names: read from the index folder, or gathered there once (about 1 s)
    return index


class AssistantProcess:
    """An ``Assistant`` for these settings, loaded and asked in a child process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._pool, self._ready = self._start()

    def _start(self) -> tuple[ProcessPoolExecutor, Future[str]]:
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_load,
            initargs=(self.settings,),
        )
        return pool, pool.submit(_warm_up)

    def wait_ready(self, timeout: float | None = None) -> str:
        """Block until the child has loaded and answered once; its index identity. Raises its load error."""
        try:
            return self._ready.result(timeout)
        except BrokenProcessPool as exc:
            raise IndexUnavailable("The answering process stopped while loading; see the log above.") from exc

    def ask(self, question: str, k: int | None = None, searched: str | None = None) -> Answer:
        """``Assistant.ask`` in the child. A child that died (killed, out of memory) is replaced once."""
        with self._lock:
            pool = self._pool
        try:
            return pool.submit(_ask, question, k, searched).result()
        except BrokenProcessPool as exc:
            log.warning("the answering process stopped (%s); starting a new one", exc)
            with self._lock:
                if self._pool is pool:
                    self._pool, self._ready = self._start()
                pool = self._pool
        try:
            return pool.submit(_ask, question, k, searched).result()
        except BrokenProcessPool as exc:
            raise IndexUnavailable("The answering process stopped twice; restart briefqa.") from exc

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
