"""The HTTP API in-process through httpx's ASGI transport: every route, status and error."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from briefqa.feedback import FeedbackStore
from briefqa.keys import KeyStore
from briefqa.server import create_app

Q = "What was Korea's GDP in 2016?"


def server_settings(built_settings: Any, tmp_path: Path, **kw: Any) -> Any:
    base = {"ui_path": "", "keys_file": tmp_path / "keys.json", "api_open": False}
    return built_settings.model_copy(update={**base, **kw})


def call(settings: Any, method: str, url: str, raise_app_exceptions: bool = True, **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        app = create_app(settings)
        # uvicorn logs what the app re-raises after its 500 reply; the transport would raise it here.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.request(method, url, **kw)

    return asyncio.run(go())


class Client:
    """One app, many requests (keeps rate-limit and session state between them)."""

    def __init__(self, settings: Any) -> None:
        self.app = create_app(settings)

    def __call__(self, method: str, url: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
                return await client.request(method, url, **kw)

        return asyncio.run(go())


@pytest.fixture
def keyed(built_settings: Any, tmp_path: Path) -> tuple[Any, dict[str, str]]:
    settings = server_settings(built_settings, tmp_path)
    _, key = KeyStore(tmp_path / "keys.json").create("tests")
    return settings, {"Authorization": f"Bearer {key}"}


def assert_error(resp: httpx.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and body["error"]
    assert "Traceback" not in resp.text
    return str(body["error"])


def test_healthz_answers_without_key(built_settings: Any, tmp_path: Path) -> None:
    resp = call(server_settings(built_settings, tmp_path), "GET", "/healthz")
    assert resp.status_code == 200 and resp.json()["status"] == "ok"


def test_readyz_reports_the_loaded_index(built_settings: Any, tmp_path: Path, assistant: Any) -> None:
    resp = call(server_settings(built_settings, tmp_path), "GET", "/readyz")
    assert resp.status_code == 200
    assert resp.json()["index"] == assistant.identity and resp.json()["passages"] > 10


def test_readyz_is_503_without_an_index(built_settings: Any, tmp_path: Path) -> None:
    settings = server_settings(built_settings, tmp_path, index_dir=tmp_path / "empty")
    assert "briefqa ingest" in assert_error(call(settings, "GET", "/readyz"), 503)


def test_ask_returns_the_same_json_as_the_library(keyed: Any, assistant: Any) -> None:
    settings, auth = keyed
    resp = call(settings, "POST", "/api/v1/ask", json={"question": Q, "top_k": 5}, headers=auth)
    assert resp.status_code == 200
    got = resp.json()
    want = assistant.ask(Q, k=5).model_dump()
    for part in (got, want):
        part.pop("timings_ms")
    assert got == want
    assert got["citations"] and len(got["passages"]) == 5


def test_ask_resolves_a_follow_up_from_history(keyed: Any) -> None:
    settings, auth = keyed
    history = [{"role": "user", "content": "What is the ICCP?"}, {"role": "assistant", "content": "…"}]
    body = {"question": "Which ministry supervises it?", "history": history}
    resp = call(settings, "POST", "/api/v1/ask", json=body, headers=auth)
    assert resp.status_code == 200
    assert "ICCP" in resp.json()["searched"] and resp.json()["question"] == body["question"]


def test_api_without_key_is_401_and_unknown_key_403(built_settings: Any, tmp_path: Path) -> None:
    settings = server_settings(built_settings, tmp_path)
    assert "Bearer" in assert_error(call(settings, "POST", "/api/v1/ask", json={"question": Q}), 401)
    bad = {"Authorization": "Bearer bqa_00000000_nope"}
    assert_error(call(settings, "POST", "/api/v1/ask", json={"question": Q}, headers=bad), 403)
    assert_error(call(settings, "GET", "/api/v1/sources", headers={"Authorization": "Basic abc"}), 401)


def test_revoked_key_is_403(built_settings: Any, tmp_path: Path) -> None:
    settings = server_settings(built_settings, tmp_path)
    store = KeyStore(tmp_path / "keys.json")
    _, key = store.create("temp")
    auth = {"Authorization": f"Bearer {key}"}
    client = Client(settings)
    assert client("GET", "/api/v1/sources", headers=auth).status_code == 200
    store.revoke("temp")
    assert "revoked" in assert_error(client("GET", "/api/v1/sources", headers=auth), 403)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"question": ""}, 400),
        ({"question": "   "}, 400),
        ({"question": "x" * 1500}, 413),
        ({"question": Q, "top_k": 0}, 400),
        ({"question": Q, "top_k": 51}, 400),
        ({}, 400),
        ({"question": Q, "history": [{"role": "robot", "content": "hi"}]}, 400),
    ],
)
def test_ask_rejects_bad_input_with_a_message(keyed: Any, body: dict[str, Any], status: int) -> None:
    settings, auth = keyed
    assert_error(call(settings, "POST", "/api/v1/ask", json=body, headers=auth), status)


def test_malformed_json_is_400(keyed: Any) -> None:
    settings, auth = keyed
    headers = {**auth, "Content-Type": "application/json"}
    assert_error(call(settings, "POST", "/api/v1/ask", content=b"{not json", headers=headers), 400)


def test_body_over_the_limit_is_413(keyed: Any) -> None:
    settings, auth = keyed
    settings = settings.model_copy(update={"max_body_bytes": 1000})
    body = {"question": Q, "history": [{"role": "user", "content": "y" * 2000}]}
    assert "BRIEFQA_MAX_BODY_BYTES" in assert_error(call(settings, "POST", "/api/v1/ask", json=body, headers=auth), 413)

    async def chunks() -> Any:  # no Content-Length: the limit counts streamed bytes
        yield b'{"question": "' + b"z" * 800
        yield b"z" * 800 + b'"}'

    resp = call(settings, "POST", "/api/v1/ask", content=chunks(), headers={**auth, "Content-Type": "application/json"})
    assert_error(resp, 413)


def test_stream_sends_answer_pieces_then_citations(keyed: Any, assistant: Any) -> None:
    settings, auth = keyed
    resp = call(settings, "POST", "/api/v1/ask/stream", json={"question": Q}, headers=auth)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
    events = []
    for block in resp.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    names = [e for e, _ in events]
    assert names[0] == "meta" and names[-2:] == ["citations", "done"]
    want = assistant.ask(Q)
    assert names.count("answer") == len(re.findall(r"\[\d+\]", want.answer)) >= 1  # sentence by sentence
    assert "".join(d["text"] for e, d in events if e == "answer") == want.answer
    assert [c["n"] for c in events[-2][1]] == [c.n for c in want.citations]


def test_stream_errors_are_json_before_the_stream(keyed: Any) -> None:
    settings, auth = keyed
    assert_error(call(settings, "POST", "/api/v1/ask/stream", json={"question": ""}, headers=auth), 400)


def test_search_returns_passages_only(keyed: Any) -> None:
    settings, auth = keyed
    resp = call(settings, "GET", "/api/v1/search", params={"q": "mini clusters", "k": 3}, headers=auth)
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"query", "passages", "index"} and [p["rank"] for p in body["passages"]] == [1, 2, 3]
    assert_error(call(settings, "GET", "/api/v1/search", headers=auth), 400)
    assert_error(call(settings, "GET", "/api/v1/search", params={"q": "x", "k": 99}, headers=auth), 400)


def test_sources_list_and_one(keyed: Any) -> None:
    settings, auth = keyed
    client = Client(settings)
    recs = client("GET", "/api/v1/sources", headers=auth).json()
    assert len(recs) > 50 and all("number" in r and "urls" in r for r in recs)
    one = client("GET", f"/api/v1/sources/{recs[3]['number']}", headers=auth)
    assert one.status_code == 200 and one.json() == recs[3]
    assert "sources" in assert_error(client("GET", "/api/v1/sources/99999", headers=auth), 404)
    assert_error(client("GET", "/api/v1/sources/abc", headers=auth), 400)


def test_feedback_is_stored(keyed: Any) -> None:
    settings, auth = keyed
    store = FeedbackStore(settings)
    before = len(store.all())
    body = {"question": Q, "answer": "USD 1,414b", "rating": "up", "comment": "good"}
    resp = call(settings, "POST", "/api/v1/feedback", json=body, headers=auth)
    assert resp.status_code == 201 and resp.json()["stored"] is True
    rows = store.all()
    assert len(rows) == before + 1 and rows[-1].id == resp.json()["id"]
    assert rows[-1].rating == "up" and rows[-1].comment == "good" and rows[-1].user == "key:tests"
    assert_error(call(settings, "POST", "/api/v1/feedback", json={**body, "rating": "meh"}, headers=auth), 400)


def test_unknown_route_is_json_404(keyed: Any) -> None:
    settings, auth = keyed
    assert_error(call(settings, "GET", "/api/v1/nothing", headers=auth), 404)
    assert_error(call(settings, "GET", "/nothing-here"), 404)


def test_internal_errors_hide_the_stack_trace(keyed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from briefqa import server

    def broken(self: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(server.State, "assistant", broken)
    settings, auth = keyed
    resp = call(settings, "POST", "/api/v1/ask", json={"question": Q}, headers=auth, raise_app_exceptions=False)
    msg = assert_error(resp, 500)
    assert "secret internals" not in msg


def test_slow_requests_time_out_with_504(keyed: Any) -> None:
    settings, auth = keyed
    settings = settings.model_copy(update={"request_timeout": 0.0005})
    assert "BRIEFQA_REQUEST_TIMEOUT" in assert_error(
        call(settings, "POST", "/api/v1/ask", json={"question": Q}, headers=auth), 504
    )


def test_rate_limit_per_key_is_429_with_retry_after(keyed: Any) -> None:
    settings, auth = keyed
    client = Client(settings.model_copy(update={"rate_limit_key": 3}))
    codes = [client("GET", "/api/v1/sources", headers=auth).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = client("GET", "/api/v1/sources", headers=auth)
    assert_error(resp, 429)
    assert int(resp.headers["Retry-After"]) >= 1


def test_rate_limit_per_address_when_open(built_settings: Any, tmp_path: Path) -> None:
    client = Client(server_settings(built_settings, tmp_path, api_open=True, rate_limit_address=2))
    codes = [client("GET", "/api/v1/sources").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_api_is_open_by_default_only_on_loopback(built_settings: Any, tmp_path: Path) -> None:
    loop = server_settings(built_settings, tmp_path, api_open=None, host="127.0.0.1")
    wide = server_settings(built_settings, tmp_path, api_open=None, host="0.0.0.0")
    assert call(loop, "GET", "/api/v1/sources").status_code == 200
    assert_error(call(wide, "GET", "/api/v1/sources"), 401)


def test_openapi_docs_list_the_api(built_settings: Any, tmp_path: Path) -> None:
    settings = server_settings(built_settings, tmp_path)
    assert call(settings, "GET", "/docs").status_code == 200
    paths = call(settings, "GET", "/openapi.json").json()["paths"]
    for route in ("/api/v1/ask", "/api/v1/ask/stream", "/api/v1/search", "/api/v1/sources", "/api/v1/feedback"):
        assert route in paths


def test_cors_allows_only_allowed_origins(keyed: Any) -> None:
    settings, _ = keyed
    settings = settings.model_copy(update={"allowed_origins": "https://intranet.example"})
    pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    ok = call(settings, "OPTIONS", "/api/v1/ask", headers={**pre, "Origin": "https://intranet.example"})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://intranet.example"
    bad = call(settings, "OPTIONS", "/api/v1/ask", headers={**pre, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in bad.headers


def test_pages_carry_frame_ancestors_of_allowed_origins(built_settings: Any, tmp_path: Path) -> None:
    settings = server_settings(built_settings, tmp_path, allowed_origins="https://intranet.example,http://a.test:8080")
    for path in ("/widget", "/docs"):
        csp = call(settings, "GET", path).headers["content-security-policy"]
        assert "frame-ancestors 'self' https://intranet.example http://a.test:8080" in csp
        assert "evil" not in csp
    alone = call(server_settings(built_settings, tmp_path), "GET", "/widget").headers["content-security-policy"]
    assert alone.endswith("frame-ancestors 'self'")


def test_widget_script_is_served(built_settings: Any, tmp_path: Path) -> None:
    resp = call(server_settings(built_settings, tmp_path), "GET", "/widget.js")
    assert resp.status_code == 200 and "javascript" in resp.headers["content-type"]
    assert "briefqa-button" in resp.text and "Bearer" not in resp.text


def test_widget_session_reaches_the_api_without_a_key(built_settings: Any, tmp_path: Path) -> None:
    client = Client(server_settings(built_settings, tmp_path))
    page = client("GET", "/widget")
    assert page.status_code == 200 and "bqa_" not in page.text
    cookie = page.cookies["briefqa_widget"]
    assert "httponly" in page.headers["set-cookie"].lower()
    jar = {"Cookie": f"briefqa_widget={cookie}"}
    widget = {**jar, "X-Briefqa-Widget": "1", "Sec-Fetch-Site": "same-origin"}
    assert client("POST", "/api/v1/ask", json={"question": Q}, headers=widget).status_code == 200
    # The cookie alone, a cross-site request or a forged cookie get nothing.
    assert_error(client("POST", "/api/v1/ask", json={"question": Q}, headers=jar), 401)
    assert_error(client("GET", "/api/v1/sources", headers={**widget, "Sec-Fetch-Site": "cross-site"}), 401)
    forged = {**widget, "Cookie": "briefqa_widget=abc." + cookie.split(".", 1)[1]}
    assert_error(client("GET", "/api/v1/sources", headers=forged), 401)


def test_identity_header_guards_the_widget_page(built_settings: Any, tmp_path: Path) -> None:
    settings = server_settings(built_settings, tmp_path, ui_identity_header="X-Remote-User")
    assert "X-Remote-User" in assert_error(call(settings, "GET", "/widget"), 403)
    assert call(settings, "GET", "/widget", headers={"X-Remote-User": "kim"}).status_code == 200


def test_root_path_serves_under_a_sub_path(keyed: Any) -> None:
    settings, auth = keyed
    client = Client(settings.model_copy(update={"root_path": "/assistant"}))
    # A proxy that strips the prefix and one that passes it on both reach the routes.
    assert client("GET", "/api/v1/sources", headers=auth).status_code == 200
    assert client("GET", "/assistant/api/v1/sources", headers=auth).status_code == 200
    assert client("GET", "/openapi.json").json()["servers"] == [{"url": "/assistant"}]
    page = client("GET", "/widget")
    assert "Path=/assistant/" in page.headers["set-cookie"]
