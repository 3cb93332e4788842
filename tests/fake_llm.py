"""A FAKE OpenAI-compatible LLM server for tests: no real LLM can run here.

Real HTTP on a free 127.0.0.1 port, real server-sent-event streaming. It
replays scripted replies in order (``FakeLLMServer.script``); each request it
received is kept in ``requests`` so tests can read the prompt.

A reply is text, or one of the special scripts:
``Fail(status)`` answers with an HTTP error, ``Hang()`` never answers (until
the server stops), ``Echo(fn)`` computes the reply from the request body.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fail:
    status: int = 500
    message: str = "fake server error"


@dataclass
class Hang:
    seconds: float = 30.0


@dataclass
class Echo:
    fn: Callable[[dict[str, Any]], str]


Reply = str | Fail | Hang | Echo


class FakeLLMServer:
    """A fake OpenAI-compatible chat-completions server on 127.0.0.1 (tests only)."""

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.script: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.default: Reply = "The briefing does not cover this."
        self._stop = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": f"no route {self.path}"}})
                    return
                if body.get("model") != server.model:
                    self._json(404, {"error": {"message": f"model {body.get('model')} not found"}})
                    return
                with server._lock:
                    server.requests.append(body)
                    reply = server.script.pop(0) if server.script else server.default
                if isinstance(reply, Hang):
                    server._stop.wait(reply.seconds)
                    return
                if isinstance(reply, Fail):
                    self._json(reply.status, {"error": {"message": reply.message, "type": "server_error"}})
                    return
                text = reply.fn(body) if isinstance(reply, Echo) else reply
                if body.get("stream"):
                    self._stream(text)
                else:
                    self._json(200, server._completion(text))

            def _json(self, status: int, obj: dict[str, Any]) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                words = text.split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)] if text else []
                first = [{"delta": {"role": "assistant", "content": ""}}]
                self._event(server._chunk(first))
                for piece in pieces:
                    self._event(server._chunk([{"delta": {"content": piece}}]))
                    time.sleep(0.002)
                self._event(server._chunk([{"delta": {}, "finish_reason": "stop"}]))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _event(self, obj: dict[str, Any]) -> None:
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _chunk(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        for i, c in enumerate(choices):
            c.setdefault("index", i)
            c.setdefault("finish_reason", None)
        return {
            "id": "fake-1",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.model,
            "choices": choices,
        }

    def _completion(self, text: str) -> dict[str, Any]:
        return {
            "id": "fake-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
