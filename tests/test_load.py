"""A real `briefqa serve` process on loopback under bounded load: no 5xx, 429 past the limit, durable feedback.

Latencies are printed, never asserted; `briefqa loadtest` measures the figures (README).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from briefqa.keys import KeyStore
from briefqa.loadtest import ServerProcess, feedback_across_restart, http_load

REQUESTS = 160  # bounded for the suite; `briefqa loadtest --requests 1000` runs the full count
KEY_LIMIT = 5


@pytest.fixture(scope="module")
def server(built_settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("load")
    _, key = KeyStore(tmp / "keys.json").create("load-test")
    env = {
        "BRIEFQA_INDEX_DIR": str(built_settings.index_dir),
        "BRIEFQA_CORPUS_DIR": str(built_settings.corpus_dir),
        "BRIEFQA_DATA_DIR": str(tmp / "data"),
        "BRIEFQA_KEYS_FILE": str(tmp / "keys.json"),
        "BRIEFQA_UI_PATH": "",
        "BRIEFQA_API_OPEN": "true",
        # Keyless clients are unlimited so the load part measures the server, not the limiter;
        # the key gets a low limit for the 429 part.
        "BRIEFQA_RATE_LIMIT_ADDRESS": "0",
        "BRIEFQA_RATE_LIMIT_KEY": str(KEY_LIMIT),
    }
    proc = ServerProcess(env, log_path=tmp / "server.log")
    proc.start("/readyz", timeout=180)
    yield proc, key
    proc.stop()


def test_eight_concurrent_clients_get_answers_and_no_server_errors(server: Any) -> None:
    proc, _ = server
    report = http_load(proc.url, REQUESTS, concurrency=8)
    print(
        f"\n{REQUESTS} asks, 8 clients: {report.per_second:.1f}/s, p50 {report.p50:.0f} ms, p95 {report.p95:.0f} ms"
    )
    assert report.server_errors == 0 and report.failed == 0, report.statuses
    assert report.statuses == {200: REQUESTS}
    assert len(report.latencies_ms) == REQUESTS


def test_past_the_key_limit_429_with_retry_after_then_the_server_still_answers(server: Any) -> None:
    proc, key = server
    report = http_load(proc.url, 4 * KEY_LIMIT, concurrency=4, headers={"Authorization": f"Bearer {key}"})
    assert report.server_errors == 0 and report.failed == 0, report.statuses
    assert KEY_LIMIT <= report.statuses[200] <= KEY_LIMIT + 1  # the bucket refills 1 per 12 s
    assert report.statuses[429] == 4 * KEY_LIMIT - report.statuses[200]
    assert report.retry_after and all(v.isdigit() and 1 <= int(v) <= 60 for v in report.retry_after)
    # The limit is per key: the server keeps answering everyone else.
    after = httpx.post(proc.url + "/api/v1/ask", json={"question": "What is the ICCP?"}, timeout=60)
    assert after.status_code == 200 and "[1]" in after.json()["answer"]
    assert httpx.get(proc.url + "/readyz", timeout=10).status_code == 200


def test_feedback_acknowledged_before_a_sigterm_restart_is_all_stored(tmp_path: Path) -> None:
    from briefqa.feedback import FeedbackStore

    # No index: feedback does not need one, and each start then takes seconds instead of a model load.
    env = {
        "BRIEFQA_INDEX_DIR": str(tmp_path / "no-index"),
        "BRIEFQA_DATA_DIR": str(tmp_path / "data"),
        "BRIEFQA_UI_PATH": "",
        "BRIEFQA_API_OPEN": "true",
        "BRIEFQA_RATE_LIMIT_ADDRESS": "0",
    }
    proc = ServerProcess(env, log_path=tmp_path / "server.log")
    proc.start("/healthz")
    try:
        before = httpx.get(proc.url + "/healthz", timeout=10).json()["pid"]
        report = feedback_across_restart(proc, tmp_path / "data" / "feedback.sqlite3", posts=240, concurrency=8)
        after = httpx.get(proc.url + "/healthz", timeout=10).json()["pid"]
    finally:
        proc.stop()
    assert before != after  # it really was another process
    assert report.acknowledged == 240, report.statuses
    assert report.missing == [] and report.stored == 240
    assert not any(s >= 500 for s in report.statuses)
    assert len(FeedbackStore(tmp_path / "data" / "feedback.sqlite3").all("up")) == 240
