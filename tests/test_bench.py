"""The benchmark's serving process: a real worker subprocess over the session index (no timings asserted)."""

from __future__ import annotations

import json

from briefqa.bench import _settings_file, _Worker


def test_a_worker_loads_answers_timed_runs_and_reports_its_own_peak_rss(built_settings, tmp_path):
    questions = ["What was Korea's GDP in 2016?", "Which ministry oversees cluster policy?"]
    (tmp_path / "q.json").write_text(json.dumps(questions))
    files = [_settings_file(built_settings, tmp_path / "s.json"), str(tmp_path / "q.json"), str(tmp_path / "none")]
    worker = _Worker("briefqa", files, tmp_path, 1)
    try:
        assert worker.read() == {"event": "ready"}
        worker.send({"cmd": "run", "seconds": 0.5, "offset": 1})
        run = worker.read()
        assert run["count"] >= 1 and run["elapsed"] >= 0.5
        worker.send({"cmd": "rss"})
        rss_mb = worker.read()["maxrss_kb"] / 1024
        # A loaded model and index, and not a copy of this (parent) process's figure.
        assert 100 < rss_mb < 4000
    finally:
        worker.stop()
    assert worker.proc.returncode == 0
