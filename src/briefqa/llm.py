"""LLM backends through llama-index: OpenAI, any OpenAI-compatible server, Ollama.

``make_llm(settings)`` builds the one configured by ``BRIEFQA_LLM`` (or the name
given to override it); ``diagnose`` turns a client exception into a sentence a
user can act on; ``doctor`` checks that the LLM answers at all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from briefqa.errors import ConfigError, LLMUnavailable
from briefqa.settings import Settings

log = logging.getLogger(__name__)

BACKENDS = ("none", "openai", "openai-compatible", "ollama")
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "ollama": "llama3.1"}
DEFAULT_URLS = {"ollama": "http://127.0.0.1:11434"}


@dataclass
class Message:
    role: str  # 'system' or 'user'
    content: str


class LLM:
    """One configured chat model: ``chat`` returns the reply, ``stream`` yields pieces of it."""

    def __init__(self, backend: str, model: str, base_url: str, client: Any, timeout: float) -> None:
        self.backend = backend
        self.model = model
        self.base_url = base_url
        self.client = client
        self.timeout = timeout

    @property
    def name(self) -> str:
        return f"{self.backend}:{self.model}"

    def _messages(self, messages: list[Message]) -> list[Any]:
        from llama_index.core.llms import ChatMessage

        return [ChatMessage(role=m.role, content=m.content) for m in messages]

    def chat(self, messages: list[Message]) -> str:
        resp = self.client.chat(self._messages(messages))
        return str(resp.message.content or "")

    def stream(self, messages: list[Message]) -> Iterator[str]:
        # The client's read timeout bounds each wait; the deadline bounds a server that trickles forever.
        deadline = time.monotonic() + self.timeout * 3
        for chunk in self.client.stream_chat(self._messages(messages)):
            if chunk.delta:
                yield str(chunk.delta)
            if time.monotonic() > deadline:
                raise TimeoutError(f"the reply took longer than {self.timeout * 3:.0f} s")


def make_llm(settings: Settings, name: str | None = None) -> LLM | None:
    """The LLM named (or configured by BRIEFQA_LLM); None for 'none'. Raises ConfigError when it cannot work."""
    backend = (name or settings.llm).strip().lower()
    if backend not in BACKENDS:
        raise ConfigError(f"Unknown LLM '{backend}'; choose one of {', '.join(BACKENDS)} (BRIEFQA_LLM or --llm).")
    if backend == "none":
        return None
    model = settings.llm_model or DEFAULT_MODELS.get(backend, "")
    base_url = settings.llm_base_url.rstrip("/") or DEFAULT_URLS.get(backend, "")
    key = settings.llm_api_key.get_secret_value()
    timeout = settings.llm_timeout
    common: dict[str, Any] = {"temperature": settings.llm_temperature}
    if backend == "openai-compatible":
        if not base_url:
            raise ConfigError(
                "The openai-compatible LLM needs a server URL: set BRIEFQA_LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1)."
            )
        if not model:
            raise ConfigError("The openai-compatible LLM needs a model name: set BRIEFQA_LLM_MODEL.")
        from llama_index.llms.openai_like import OpenAILike

        client: Any = OpenAILike(
            model=model,
            api_base=base_url,
            api_key=key or "not-needed",
            is_chat_model=True,
            context_window=settings.llm_context_tokens,
            max_tokens=settings.llm_max_tokens,
            timeout=timeout,
            max_retries=0,
            **common,
        )
    elif backend == "openai":
        if not key:
            raise ConfigError("The openai LLM needs an API key: set BRIEFQA_LLM_API_KEY.")
        from llama_index.llms.openai import OpenAI

        client = OpenAI(
            model=model,
            api_key=key,
            api_base=base_url or None,
            max_tokens=settings.llm_max_tokens,
            timeout=timeout,
            max_retries=0,
            **common,
        )
    else:
        from llama_index.llms.ollama import Ollama

        client = Ollama(
            model=model,
            base_url=base_url,
            request_timeout=timeout,
            context_window=settings.llm_context_tokens,
            additional_kwargs={"num_predict": settings.llm_max_tokens},
            **common,
        )
    return LLM(backend, model, base_url, client, timeout)


_cache: dict[str, LLM | None] = {}
_cache_lock = threading.Lock()


def get_llm(settings: Settings, name: str | None = None) -> LLM | None:
    """``make_llm``, built once per process for the same LLM settings."""
    fields = [name or settings.llm, settings.llm_base_url, settings.llm_model, settings.llm_api_key.get_secret_value()]
    fields += [str(v) for v in (settings.llm_timeout, settings.llm_context_tokens, settings.llm_max_tokens)]
    fields.append(str(settings.llm_temperature))
    key = "\x1f".join(fields)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = make_llm(settings, name)
        return _cache[key]


def diagnose(exc: BaseException, llm: LLM) -> str:
    """One sentence saying what went wrong with the LLM and which setting to look at."""
    import httpx

    where = llm.base_url or "the OpenAI API"
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    kind = type(exc).__name__
    text = str(exc).splitlines()[0][:200] if str(exc) else kind
    if isinstance(exc, TimeoutError | httpx.TimeoutException) or "Timeout" in kind:
        return f"The LLM at {where} did not answer within {llm.timeout:g} s (BRIEFQA_LLM_TIMEOUT)."
    if isinstance(exc, httpx.ConnectError) or "Connection" in kind:
        return f"Cannot reach the LLM at {where}: is the server running? (BRIEFQA_LLM_BASE_URL)"
    if status in (401, 403):
        return f"The LLM at {where} refused the API key (HTTP {status}); check BRIEFQA_LLM_API_KEY."
    if status == 404:
        return (
            f"The LLM at {where} does not know model '{llm.model}' or the URL is wrong (HTTP 404); "
            "check BRIEFQA_LLM_MODEL and BRIEFQA_LLM_BASE_URL (OpenAI-compatible URLs usually end in /v1)."
        )
    if status is not None:
        return f"The LLM at {where} failed with HTTP {status}: {text}"
    return f"The LLM at {where} failed: {text}"


@dataclass
class DoctorReport:
    llm: str
    ok: bool
    message: str
    seconds: float = 0.0


def doctor(settings: Settings, name: str | None = None) -> DoctorReport:
    """Ask the configured LLM for a one-word reply; raise LLMUnavailable with the reason when it fails."""
    llm = make_llm(settings, name)
    if llm is None:
        return DoctorReport("none", True, "No LLM configured (BRIEFQA_LLM=none): answers are extractive and offline.")
    t0 = time.perf_counter()
    try:
        reply = llm.chat([Message("user", "Reply with the single word OK.")])
    except Exception as exc:  # every client failure is reported, never raised as a trace
        raise LLMUnavailable(diagnose(exc, llm)) from exc
    seconds = time.perf_counter() - t0
    if not reply.strip():
        raise LLMUnavailable(f"The LLM {llm.name} at {llm.base_url or 'the OpenAI API'} answered with empty text.")
    return DoctorReport(
        llm.name,
        True,
        f"{llm.name} at {llm.base_url or 'the OpenAI API'} answered in {seconds:.1f} s: {reply.strip()[:60]!r}",
        seconds,
    )
