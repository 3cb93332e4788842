"""The HTTP server: REST API under /api/v1, the embeddable widget, the Gradio UI.

A thin front end: it parses requests, calls the library and formats JSON.
Library errors become JSON ``{"error": message}`` with the error's
``http_status`` in ``error_response`` and nowhere else; no stack trace ever
reaches a client.

Access to /api/v1: an API key (``Authorization: Bearer KEY``), a widget
session cookie (set by the /widget page, sent with the ``X-Briefqa-Widget``
header from the same origin), or nothing when ``api_open`` is on.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import logging
import os
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import briefqa
from briefqa import access
from briefqa.errors import (
    BriefqaError,
    Forbidden,
    InputTooLarge,
    InvalidInput,
    NotFound,
    RateLimited,
    RequestTimeout,
    Unauthorized,
)
from briefqa.keys import KeyStore, keys_path
from briefqa.settings import Settings, configure_offline
from briefqa.types import Answer, RankedPassage, Source

log = logging.getLogger(__name__)

API = "/api/v1"
WIDGET_HEADER = "x-briefqa-widget"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
T = TypeVar("T")


# Request and response bodies ------------------------------------------------------------------


class Turn(BaseModel):
    role: Literal["user", "assistant"] = Field(description="Who said it.")
    content: str = Field(max_length=20000, description="What was said (an answer's text for the assistant).")
    searched: str = Field(
        "", max_length=4000, description="For a user turn: its answer's `searched` field, so chains of follow-ups work."
    )


class AskRequest(BaseModel):
    question: str = Field(description="The question, in any wording.")
    top_k: int | None = Field(None, ge=1, le=50, description="Ranked passages to return (default: Settings.top_k).")
    history: list[Turn] = Field(
        default_factory=list, max_length=50, description="Earlier turns, oldest first, so follow-ups can be resolved."
    )


class FeedbackRequest(BaseModel):
    question: str = Field(max_length=4000, description="The question that was answered.")
    answer: str = Field("", max_length=20000, description="The answer text shown.")
    rating: Literal["up", "down"] = Field(description="Whether the answer helped.")
    comment: str = Field("", max_length=4000, description="Optional free text.")
    index: str = Field("", max_length=64, description="Index identity from the answer, if known.")


class FeedbackReceipt(BaseModel):
    id: int
    stored: bool = True


class SearchResult(BaseModel):
    query: str
    passages: list[RankedPassage]
    index: str


class Health(BaseModel):
    status: str
    pid: int


class Ready(BaseModel):
    status: str
    index: str
    passages: int
    pid: int


class ErrorBody(BaseModel):
    error: str


# Errors: the one place library errors become HTTP responses -------------------------------------


def error_response(exc: BriefqaError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return JSONResponse({"error": exc.message}, status_code=exc.http_status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
    return f"Invalid {where}: {first.get('msg', 'malformed request')}."


def _install_error_handlers(app: FastAPI) -> None:
    async def on_briefqa(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, BriefqaError)
        return error_response(exc)

    async def on_validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(InvalidInput(_validation_message(exc)))

    async def on_http(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        err = NotFound("No such page or API route.") if exc.status_code == 404 else BriefqaError(str(exc.detail))
        err.http_status = exc.status_code
        return error_response(err)

    async def on_other(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error in a request")
        return error_response(BriefqaError("Internal error; the server log has the details."))

    app.add_exception_handler(BriefqaError, on_briefqa)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_other)


# ASGI middleware: body size and security headers ------------------------------------------------


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API):
            await self.app(scope, receive, send)
            return
        too_large = InputTooLarge(f"The request body is over {self.limit} bytes (BRIEFQA_MAX_BODY_BYTES).")
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await error_response(too_large)(scope, receive, send)
            return
        seen = 0
        refused = False

        async def limited() -> Message:
            nonlocal seen, refused
            msg = await receive()
            if msg["type"] == "http.request" and not refused:
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    # Answer 413 now; the app downstream sees a disconnected client and its reply is dropped.
                    refused = True
                    await error_response(too_large)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return msg

        async def guarded_send(msg: Message) -> None:
            if not refused:
                await send(msg)

        await self.app(scope, limited, guarded_send)


class SecurityHeaders:
    """frame-ancestors on every HTML page so only allowed origins can embed them."""

    def __init__(self, app: ASGIApp, ancestors: str) -> None:
        self.app = app
        self.csp = f"frame-ancestors {ancestors}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers", []))
                names = {k.lower() for k, _ in headers}
                ctype = dict(headers).get(b"content-type", b"")
                if ctype.startswith(b"text/html") and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.csp))
                headers.append((b"x-content-type-options", b"nosniff"))
                msg["headers"] = headers
            await send(msg)

        await self.app(scope, receive, send_with_headers)


# The app ----------------------------------------------------------------------------------------


def origins(settings: Settings) -> list[str]:
    return [o.strip().rstrip("/") for o in settings.allowed_origins.split(",") if o.strip()]


def api_is_open(settings: Settings) -> bool:
    if settings.api_open is not None:
        return settings.api_open
    return settings.host in LOOPBACK


# Settings that change how the server behaves but never an answer: processes (and tests) that differ only
# in these share one loaded assistant.
SERVER_FIELDS = (
    "host", "port", "workers", "root_path", "ui_path", "allowed_origins", "keys_file", "api_open", "ui_users_file",
    "ui_identity_header", "max_body_bytes", "rate_limit_key", "rate_limit_address", "request_timeout",
    "session_secret",
)  # fmt: skip


def library_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={f: Settings.model_fields[f].default for f in SERVER_FIELDS})


class State:
    """What one server process holds: the loaded assistant, key store, limiters, feedback store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = KeyStore(keys_path(settings))
        self.key_limit = access.RateLimiter(settings.rate_limit_key)
        self.address_limit = access.RateLimiter(settings.rate_limit_address)
        self.secret = access.session_secret(settings)
        self.open = api_is_open(settings)
        self.ready = threading.Event()
        self.loading = threading.Event()
        self.load_error: BriefqaError | None = None
        self._feedback: Any = None
        self._lock = threading.Lock()

    def assistant(self) -> Any:
        return briefqa.assistant(library_settings(self.settings))

    def load(self) -> None:
        self.loading.set()
        try:
            self.assistant()
            self.ready.set()
        except BriefqaError as exc:
            self.load_error = exc
            log.warning("index not loaded: %s", exc.message)
        finally:
            self.loading.clear()

    def feedback(self) -> Any:
        with self._lock:
            if self._feedback is None:
                from briefqa.feedback import FeedbackStore

                self._feedback = FeedbackStore(self.settings)
            return self._feedback


def _state(request: Request) -> State:
    return request.app.state.briefqa  # type: ignore[no-any-return]


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def authorize(request: Request) -> str:
    """Who is calling (for logs and limits); raises 401/403/429."""
    st = _state(request)
    auth = request.headers.get("authorization")
    if auth:
        rec = st.keys.verify(auth)
        st.key_limit.hit(f"key:{rec.id}", "API key")
        return f"key:{rec.name}"
    if request.headers.get(WIDGET_HEADER) and request.headers.get("sec-fetch-site", "same-origin") == "same-origin":
        sid = access.check_session(st.secret, request.cookies.get(access.SESSION_COOKIE))
        if sid is not None:
            st.address_limit.hit(f"addr:{_client_address(request)}", "address")
            return f"widget:{sid}"
    if st.open:
        st.address_limit.hit(f"addr:{_client_address(request)}", "address")
        return f"open:{_client_address(request)}"
    st.keys.verify(None)  # raises Unauthorized
    raise Unauthorized("An API key is required.")  # pragma: no cover


async def _run(request: Request, fn: Callable[[], T]) -> T:
    """Run blocking library work in a thread, within the request timeout."""
    timeout = _state(request).settings.request_timeout
    try:
        return await asyncio.wait_for(run_in_threadpool(fn), timeout)
    except TimeoutError as exc:
        raise RequestTimeout(f"The request took over {timeout:g} s (BRIEFQA_REQUEST_TIMEOUT); try again.") from exc


def _searched(question: str, history: list[Turn]) -> str | None:
    """The standalone form of a follow-up, from the earlier questions (as they were searched)."""
    earlier = [t.searched or t.content for t in history if t.role == "user"]
    if not earlier:
        return None
    from briefqa.followup import condense

    return condense(question, earlier)


def _ask(st: State, body: AskRequest) -> Answer:
    ans: Answer = st.assistant().ask(body.question, k=body.top_k, searched=_searched(body.question, body.history))
    return ans


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _stream_events(ans: Answer) -> Iterator[str]:
    """The answer sentence by sentence (each with its [n] marker), then citations, then the whole answer."""
    yield _sse("meta", {"question": ans.question, "searched": ans.searched, "index": ans.index})
    pieces = re.findall(r"\S.*?\[\d+\]", ans.answer) if not ans.abstained else []
    if "".join(pieces).replace(" ", "") != ans.answer.replace(" ", ""):
        pieces = [ans.answer]
    for i, piece in enumerate(pieces):
        yield _sse("answer", {"text": piece if i == 0 else " " + piece})
    yield _sse("citations", [c.model_dump() for c in ans.citations])
    yield _sse("done", ans.model_dump())


router = APIRouter(
    prefix=API,
    dependencies=[Depends(authorize)],
    responses={
        400: {"model": ErrorBody},
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        413: {"model": ErrorBody},
        429: {"model": ErrorBody},
        503: {"model": ErrorBody},
        504: {"model": ErrorBody},
    },
)


@router.post("/ask", response_model=Answer, summary="Answer a question (same JSON as `briefqa ask --json`)")
async def ask(body: AskRequest, request: Request) -> Answer:
    st = _state(request)
    return await _run(request, lambda: _ask(st, body))


@router.post("/ask/stream", summary="Answer as server-sent events: answer pieces, citations, done")
async def ask_stream(body: AskRequest, request: Request) -> StreamingResponse:
    st = _state(request)
    ans = await _run(request, lambda: _ask(st, body))  # errors surface as JSON before the stream starts
    return StreamingResponse(_stream_events(ans), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.get("/search", response_model=SearchResult, summary="Ranked passages only, no answer")
async def search(
    request: Request,
    q: str = Query(description="What to search for."),
    k: int | None = Query(None, ge=1, le=50, description="Passages to return."),
) -> SearchResult:
    st = _state(request)
    ans = await _run(request, lambda: st.assistant().ask(q, k=k))
    return SearchResult(query=ans.question, passages=ans.passages, index=ans.index)


@router.get("/sources", response_model=list[Source], summary="The source registry: one record per footnote")
async def list_sources(request: Request) -> list[Source]:
    from briefqa.sources import registry

    st = _state(request)
    return await _run(request, lambda: registry(st.settings))


@router.get("/sources/{number}", response_model=Source, summary="One footnote's source record")
async def get_source(
    number: int, request: Request, document: str | None = Query(None, description="Document, if several.")
) -> Source:
    from briefqa.sources import registry

    st = _state(request)
    recs = await _run(request, lambda: registry(st.settings))
    for r in recs:
        if r.number == number and (document is None or r.document == document):
            return r
    raise NotFound(f"No source with footnote number {number}; GET {API}/sources lists them.")


@router.post("/feedback", response_model=FeedbackReceipt, status_code=201, summary="Store a rating of an answer")
async def feedback(body: FeedbackRequest, request: Request, who: str = Depends(authorize)) -> FeedbackReceipt:
    st = _state(request)
    store = st.feedback()
    fid = await _run(request, lambda: store.add(**body.model_dump(), user=who))
    return FeedbackReceipt(id=int(fid))


def _static(name: str) -> str:
    return resources.files("briefqa").joinpath("static", name).read_text(encoding="utf-8")


def _build_ui(app: FastAPI, settings: Settings) -> None:
    """Mount the Gradio chat UI when the UI module is present."""
    if not settings.ui_path or importlib.util.find_spec("briefqa.ui") is None:
        return
    import gradio as gr

    ui = importlib.import_module("briefqa.ui")
    blocks = ui.build_app(settings)
    kwargs: dict[str, Any] = {}
    if settings.ui_users_file:
        kwargs["auth"] = access.PasswordCheck(settings.ui_users_file)
    elif settings.ui_identity_header:
        header = settings.ui_identity_header

        def identity(request: Request) -> str | None:
            return request.headers.get(header) or None

        kwargs["auth_dependency"] = identity
    gr.mount_gradio_app(app, blocks, path=settings.ui_path.rstrip("/") or "/", **kwargs)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The whole server as one ASGI app; ``briefqa serve`` runs it under uvicorn."""
    configure_offline()
    settings = settings or Settings()
    state = State(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Load in the background so /healthz answers while the model and index load.
        threading.Thread(target=state.load, name="briefqa-load", daemon=True).start()
        yield

    app = FastAPI(
        title="briefqa",
        version=briefqa.__dict__.get("__version__", "0.1.0"),
        description="Cited answers about the Korean cluster landscape, from the 2018 briefing.",
        lifespan=lifespan,
        root_path=settings.root_path,
    )
    app.state.briefqa = state
    allowed = origins(settings)
    ancestors = " ".join(["'self'", *allowed])
    _install_error_handlers(app)

    @app.get("/healthz", response_model=Health, summary="The process is alive")
    async def healthz() -> Health:
        return Health(status="ok", pid=os.getpid())

    @app.get("/readyz", response_model=Ready, responses={503: {"model": ErrorBody}}, summary="Index loaded, queryable")
    async def readyz(request: Request) -> Ready:
        def check() -> Ready:
            a = state.assistant()  # raises IndexNotBuilt (503) when there is no index
            n = int(a.index.pcol.count())
            state.ready.set()
            return Ready(status="ready", index=a.identity, passages=n, pid=os.getpid())

        if state.loading.is_set():
            # Still loading: answer at once instead of queueing behind the model load.
            err = BriefqaError("Loading the index; try again in a few seconds.")
            err.http_status = 503
            raise err
        return await _run(request, check)

    app.include_router(router)

    @app.get("/widget.js", include_in_schema=False)
    async def widget_js() -> Response:
        return Response(
            _static("widget.js"),
            media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
        )

    @app.get("/widget/app.js", include_in_schema=False)
    async def widget_app_js() -> Response:
        return Response(_static("widget-app.js"), media_type="application/javascript")

    @app.get("/widget/app.css", include_in_schema=False)
    async def widget_css() -> Response:
        return Response(_static("widget.css"), media_type="text/css")

    @app.get("/widget", include_in_schema=False)
    async def widget_page(request: Request) -> Response:
        user = None
        if settings.ui_identity_header:
            user = request.headers.get(settings.ui_identity_header)
            if not user:
                raise Forbidden(f"Sign in through the intranet first (no {settings.ui_identity_header} header).")
        html = _static("widget.html").replace("{{title}}", "Briefing assistant")
        resp = Response(html, media_type="text/html")
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            f"frame-ancestors {ancestors}"
        )
        secure = request.url.scheme == "https"
        resp.set_cookie(
            access.SESSION_COOKIE,
            access.new_session(state.secret),
            max_age=access.SESSION_SECONDS,
            path=(request.scope.get("root_path") or "") + "/",
            httponly=True,
            secure=secure,
            samesite="none" if secure else "lax",
        )
        return resp

    _build_ui(app, settings)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, ancestors=ancestors)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=allowed,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory for ``briefqa serve`` (each worker builds its Settings from BRIEFQA_ variables)."""
    return create_app(Settings())
