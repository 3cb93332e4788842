"""A real HTTP server on a free loopback port that plays the web of 2018 sources for fetch tests.

Routes: fixture pages and PDFs registered by the test, a redirect, a redirect loop,
a 404, a slow response, a slow drip, an oversized file (declared and undeclared),
a wrong content type, and generated pages under /bench/ and /drip/.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

NAV_HTML = """<!doctype html><html><head><title>{title}</title>
<script>var tracker = "SCRIPT-NOISE-TOKEN";</script><style>body {{ color: red }}</style></head>
<body><nav><a href="/">Home</a> NAVIGATION-NOISE-TOKEN</nav>
<header>HEADER-NOISE-TOKEN</header>
<main><h1>{title}</h1>{body}</main>
<footer>FOOTER-NOISE-TOKEN</footer></body></html>"""


def html_page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return NAV_HTML.format(title=title, body=body).encode("utf-8")


def pdf_bytes(lines: list[str]) -> bytes:
    """A real one-page PDF made with reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    y = 800
    for line in lines:
        c.drawString(40, y, line)
        y -= 18
    c.showPage()
    c.save()
    return buf.getvalue()


class SourcesServer:
    def __init__(self, max_bytes: int = 1_000_000) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}  # path -> (content type, body)
        self.hits: Counter[str] = Counter()
        self.big = max_bytes * 3
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, ctype: str, body: bytes, extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                path = self.path.split("?")[0]
                server.hits[path] += 1
                try:
                    self._route(path)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _route(self, path: str) -> None:
                if path in server.files:
                    ctype, body = server.files[path]
                    self._send(200, ctype, body)
                elif path == "/redirect":
                    self._send(302, "text/html", b"", {"Location": "/page.html"})
                elif path == "/loop":
                    self._send(302, "text/html", b"", {"Location": "/loop"})
                elif path == "/slow":
                    time.sleep(3)
                    self._send(200, "text/html", b"<p>too late</p>")
                elif path == "/big":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/pdf")
                    self.send_header("Content-Length", str(server.big))
                    self.end_headers()
                    self.wfile.write(b"%PDF-1.4\n")
                elif path == "/big-undeclared":  # no Content-Length: the cap must hold while streaming
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"x" * 65536
                    for _ in range(server.big // len(chunk) + 1):
                        self.wfile.write(chunk)
                    self.close_connection = True
                elif path == "/archive.zip":
                    self._send(200, "application/zip", b"PK\x03\x04 not a document")
                elif path.startswith("/bench/"):
                    n = path.rsplit("/", 1)[-1]
                    self._send(200, "text/html; charset=utf-8", html_page(f"Bench {n}", [f"Bench page {n}. " * 40]))
                elif path.startswith("/drip/"):  # each page takes about a second, sent in pieces
                    body = html_page("Drip", ["Drip page. " * 200])
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    step = len(body) // 10 + 1
                    for i in range(0, len(body), step):
                        self.wfile.write(body[i : i + step])
                        self.wfile.flush()
                        time.sleep(0.1)
                else:
                    self._send(404, "text/html", b"<p>Not Found</p>")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add(self, path: str, ctype: str, body: bytes) -> str:
        self.files[path] = (ctype, body)
        return self.base + path

    def __enter__(self) -> SourcesServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
