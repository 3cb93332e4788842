"""Bounded load tests of ``briefqa serve`` on loopback: errors, latency, throughput, durable feedback.

``briefqa loadtest`` runs them against a server process it starts itself, and
compares the HTTP throughput with calling the library directly (``briefqa.ask``)
at the same concurrency. Everything is bounded: a fixed number of requests, a
deadline, 127.0.0.1 only.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from briefqa.errors import BriefqaError, ConfigError
from briefqa.settings import Settings

log = logging.getLogger(__name__)

# A mix of answerable questions, a follow-up-free rewording, and one the briefing does not cover (abstains).
QUESTIONS = (
    "What is the ICCP?",
    "What was Korea's GDP in 2016?",
    "What are Mini Clusters?",
    "Which ministry supervises the ICCP?",
    "Where does Korea rank among the world's richest countries?",
    "What fuelled Korea's rapid expansion from the early sixties to the mid-nineties?",
    "Who is this briefing primarily written to help?",
    "What is the capital of France?",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class LoadReport:
    """Outcome of one bounded run: status counts (0 = no response), latencies of the answered requests."""

    requests: int
    concurrency: int
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    retry_after: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)

    @property
    def failed(self) -> int:
        """Requests that got no HTTP response at all (connection refused or reset, client timeout)."""
        return self.statuses.get(0, 0)

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 95)


# The server process ---------------------------------------------------------------------------


class ServerProcess:
    """``briefqa serve`` as a child process on 127.0.0.1, with the given BRIEFQA_ settings."""

    def __init__(self, env: Mapping[str, str], port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.env = {**os.environ, **env, "BRIEFQA_HOST": "127.0.0.1", "BRIEFQA_PORT": str(self.port)}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready: str = "/healthz", timeout: float = 120.0) -> ServerProcess:
        cmd = [sys.executable, "-c", "from briefqa.cli import main; main()", "serve"]
        if self.log_path:
            with open(self.log_path, "ab") as out:  # the child has its own copy of the descriptor
                self.proc = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        else:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait(ready, timeout)
        return self

    def wait(self, path: str, timeout: float) -> None:
        """Until ``path`` answers 200 (``/readyz``: the index is loaded); raises if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise ConfigError(f"`briefqa serve` exited with {self.proc.returncode}{self._log_hint()}.")
            try:
                if httpx.get(self.url + path, timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise ConfigError(f"`briefqa serve` did not answer {path} within {timeout:g} s{self._log_hint()}.")

    def _log_hint(self) -> str:
        return f" (log: {self.log_path})" if self.log_path else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int | None:
        """Send ``sig`` and wait for the exit (uvicorn finishes requests in flight on SIGTERM)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# Load -----------------------------------------------------------------------------------------


def http_load(
    url: str,
    requests: int,
    concurrency: int = 8,
    questions: Sequence[str] = QUESTIONS,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> LoadReport:
    """``requests`` POSTs to /api/v1/ask from ``concurrency`` clients, each with its own keep-alive connection."""
    report = LoadReport(requests, concurrency, 0.0)
    counter = iter(range(requests))
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=url, headers=dict(headers or {}), timeout=timeout) as http:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                try:
                    resp = http.post("/api/v1/ask", json={"question": questions[i % len(questions)]})
                    status = resp.status_code
                except httpx.HTTPError:
                    status = 0
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    report.statuses[status] += 1
                    if status == 200:
                        report.latencies_ms.append(ms)
                    elif status == 429:
                        report.retry_after.append(resp.headers.get("retry-after", ""))

    t0 = time.perf_counter()
    _run_clients(client, concurrency)
    report.seconds = time.perf_counter() - t0
    return report


def library_load(
    settings: Settings, requests: int, concurrency: int = 8, questions: Sequence[str] = QUESTIONS
) -> LoadReport:
    """The same mix through ``briefqa.ask`` in this process, from ``concurrency`` threads (the baseline)."""
    import briefqa

    briefqa.assistant(settings)  # loaded before the clock starts, as the server's is
    report = LoadReport(requests, concurrency, 0.0)
    lock = threading.Lock()

    def one(i: int) -> None:
        t0 = time.perf_counter()
        try:
            briefqa.ask(questions[i % len(questions)], settings)
            status = 200
        except BriefqaError as exc:
            status = exc.http_status
        ms = (time.perf_counter() - t0) * 1000
        with lock:
            report.statuses[status] += 1
            if status == 200:
                report.latencies_ms.append(ms)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    report.seconds = time.perf_counter() - t0
    return report


def _run_clients(client: Callable[[], None], concurrency: int) -> None:
    threads = [threading.Thread(target=client, name=f"loadtest-{n}", daemon=True) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# Feedback across a restart --------------------------------------------------------------------


@dataclass
class DurabilityReport:
    """Feedback posted while the server was stopped with SIGTERM and started again."""

    attempts: int
    acknowledged: int
    stored: int
    missing: list[str]
    statuses: Counter[int]
    restart_seconds: float
    exit_code: int | None

    @property
    def ok(self) -> bool:
        return not self.missing and self.acknowledged > 0


def feedback_across_restart(
    server: ServerProcess,
    db: Path,
    posts: int = 400,
    concurrency: int = 8,
    restart_after: float = 0.4,
    ask_every: int = 0,
    deadline_s: float = 300.0,
) -> DurabilityReport:
    """Post ``posts`` ratings from ``concurrency`` clients; after ``restart_after`` of them, stop the server with
    SIGTERM and start it again on the same port; then check that every rating acknowledged with 2xx is in ``db``.

    Each rating carries a unique comment, so the check is exact. Clients retry a refused connection until the
    server is back; ``ask_every`` > 0 also sends a question every that many ratings (load besides the writes).
    """
    run = uuid.uuid4().hex[:8]
    acked: list[str] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    counter = iter(range(posts))
    sent = 0
    restart_at = max(1, int(posts * restart_after))
    deadline = time.monotonic() + deadline_s

    def client() -> None:
        nonlocal sent
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while time.monotonic() < deadline:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                token = f"loadtest-{run}-{i}"
                body = {"question": QUESTIONS[i % len(QUESTIONS)], "rating": "up", "comment": token}
                while time.monotonic() < deadline:
                    try:
                        if ask_every and i % ask_every == 0:
                            http.post("/api/v1/ask", json={"question": body["question"]})
                        resp = http.post("/api/v1/feedback", json=body)
                    except httpx.HTTPError:
                        with lock:
                            statuses[0] += 1
                        time.sleep(0.05)  # the server is restarting: try the same rating again
                        continue
                    with lock:
                        statuses[resp.status_code] += 1
                        sent += 1
                        if 200 <= resp.status_code < 300:
                            acked.append(token)
                    break

    threads = [threading.Thread(target=client, name=f"feedback-{n}", daemon=True) for n in range(concurrency)]
    for t in threads:
        t.start()
    while time.monotonic() < deadline:
        with lock:
            if sent >= restart_at:
                break
        time.sleep(0.01)
    t0 = time.perf_counter()
    code = server.stop(signal.SIGTERM)
    server.start("/healthz")
    restart_seconds = time.perf_counter() - t0
    for t in threads:
        t.join(max(1.0, deadline - time.monotonic()))

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT comment FROM feedback WHERE comment LIKE ?", (f"loadtest-{run}-%",)).fetchall()
    stored = {r[0] for r in rows}
    missing = sorted(set(acked) - stored)
    log.info("feedback across restart: %d acknowledged, %d stored, %d missing", len(acked), len(stored), len(missing))
    return DurabilityReport(sum(statuses.values()), len(acked), len(stored), missing, statuses, restart_seconds, code)


# The whole measurement (``briefqa loadtest``) -------------------------------------------------


@dataclass
class Measurement:
    http: LoadReport
    library: LoadReport
    durability: DurabilityReport | None
    server_log: Path

    @property
    def ratio(self) -> float:
        return self.http.per_second / self.library.per_second if self.library.per_second else 0.0


def measure(
    settings: Settings,
    requests: int = 1000,
    concurrency: int = 8,
    workers: int = 1,
    feedback_posts: int = 400,
    work_dir: Path | None = None,
) -> Measurement:
    """Start ``briefqa serve`` on a free loopback port over ``settings``' index, load it, compare with the library.

    Rate limits are switched off in the server under test (they are tested separately); feedback goes to a
    temporary data folder, never to ``settings.data_dir``.
    """
    from briefqa.index import read_state

    if read_state(settings) is None:
        raise ConfigError("No index to load-test; build it with `briefqa ingest` first.")
    work = work_dir or Path(tempfile.mkdtemp(prefix="briefqa-loadtest-"))
    data = work / "data"
    env = {
        "BRIEFQA_INDEX_DIR": str(settings.index_dir.resolve()),
        "BRIEFQA_CORPUS_DIR": str(settings.corpus_dir.resolve()),
        "BRIEFQA_DATA_DIR": str(data),
        "BRIEFQA_WORKERS": str(workers),
        "BRIEFQA_UI_PATH": "",
        "BRIEFQA_API_OPEN": "true",
        "BRIEFQA_RATE_LIMIT_ADDRESS": "0",
        "BRIEFQA_RATE_LIMIT_KEY": "0",
    }
    if settings.chroma_url:
        env["BRIEFQA_CHROMA_URL"] = settings.chroma_url
    server = ServerProcess(env, log_path=work / "server.log")
    with server:
        server.start("/readyz", timeout=300)
        # Every worker loads its assistant lazily on its first requests: warm them all before the clock starts.
        http_load(server.url, max(16, 8 * workers), concurrency)
        http = http_load(server.url, requests, concurrency)
        library = library_load(settings, requests, concurrency)
        durability = None
        if feedback_posts:
            durability = feedback_across_restart(
                server, data / "feedback.sqlite3", posts=feedback_posts, concurrency=concurrency, ask_every=2
            )
    return Measurement(http, library, durability, server.log_path or work / "server.log")


def summary(m: Measurement) -> list[str]:
    """Lines for a person: what ``briefqa loadtest`` prints."""

    def line(name: str, r: LoadReport) -> str:
        codes = ", ".join(f"{s or 'no response'}: {n}" for s, n in sorted(r.statuses.items()))
        return (
            f"{name}: {r.requests} requests, {r.concurrency} concurrent, {r.seconds:.1f} s, {r.per_second:.1f}/s, "
            f"p50 {r.p50:.0f} ms, p95 {r.p95:.0f} ms; {codes}"
        )

    out = [line("HTTP /api/v1/ask", m.http), line("library briefqa.ask", m.library)]
    out.append(f"HTTP / library throughput: {m.ratio:.2f}")
    d = m.durability
    if d is not None:
        codes = ", ".join(f"{s or 'no response'}: {n}" for s, n in sorted(d.statuses.items()))
        out.append(
            f"feedback across a SIGTERM restart: {d.acknowledged} acknowledged, {d.stored} stored, "
            f"{len(d.missing)} missing; restart {d.restart_seconds:.1f} s (exit {d.exit_code}); {codes}"
        )
    out.append(f"server log: {m.server_log}")
    return out


def passed(m: Measurement) -> bool:
    d = m.durability
    return (
        m.http.server_errors == 0
        and m.http.failed == 0
        and m.library.server_errors == 0
        and (d is None or d.ok)
    )

