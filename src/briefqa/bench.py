"""``briefqa bench``: speed and memory on this machine, next to the plain llama-index baseline.

Every figure is measured for briefqa and for the baseline (baseline.py) in the
same run, on a fresh index built in a temporary folder:

- cold start: a fresh Python process that imports, loads the index and the
  model and answers one question (wall time from spawn; the OS file cache is warm);
- warm latency: each timed question asked once in this process after a warm-up,
  p50/p95 of ``timings_ms`` split into retrieval and answering, on a pool thread as
  the server and the UI answer; the total again on the main thread, as the CLI
  answers (the baseline's torch threads, and earlier briefqa's, made the two differ on a busy machine);
- throughput with 1, 2, 4 and 8 concurrent askers, two ways: threads sharing one
  loaded assistant (like one server worker, whose thread pool runs requests) and
  one process per asker (like ``briefqa serve --workers N``, answering on a pool
  thread as uvicorn runs sync endpoints); each asker loops
  over the questions for a fixed time;
- ingest: a full build into an empty folder, then an unchanged re-ingest, both
  after imports and model load; the baseline cannot tell what changed, so its
  re-ingest is a full rebuild;
- peak RSS (VmHWM) of a serving process: the largest of the per-asker
  processes after their throughput runs.

Answers are extractive here (no LLM), whatever BRIEFQA_LLM says.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from briefqa.errors import BriefqaError
from briefqa.evaluation import Progress, load_questions, percentile
from briefqa.settings import Settings, configure_offline
from briefqa.types import Answer

log = logging.getLogger(__name__)

SYSTEMS = ("briefqa", "baseline")
LEVELS = (1, 2, 4, 8)
WORKER_TIMEOUT_S = 600.0
TARGET_P50_MS = 50.0
TARGET_SCALING = 1.6


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _spread(items: list[str], n: int) -> list[str]:
    """``n`` items spread evenly over the list, so every kind and section is timed."""
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


# The per-asker serving process ---------------------------------------------------------------------


def _load_system(system: str, settings: Settings, persist_dir: Path) -> Callable[[str], Answer]:
    if system == "briefqa":
        import briefqa

        assistant = briefqa.assistant(settings)
        return lambda q: assistant.ask(q)
    from briefqa.baseline import Baseline

    return Baseline.load(settings, persist_dir, top_k=settings.top_k).ask


def _worker_main(argv: list[str]) -> None:
    """Load one system, answer the first question, then serve timed runs asked for on stdin."""
    system, settings_file, questions_file, persist_dir = argv
    # The protocol owns the real stdout; anything a library prints goes to stderr.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    configure_offline()
    settings = Settings(**json.loads(Path(settings_file).read_text()), _env_file=None)
    questions: list[str] = json.loads(Path(questions_file).read_text())
    ask = _load_system(system, settings, Path(persist_dir))
    # Questions are answered on a pool thread, as a uvicorn worker runs sync endpoints: torch's
    # intra-op threads (the baseline's) behave differently on the main thread (see warm latency, main thread).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(ask, questions[0]).result()
        proto.write(json.dumps({"event": "ready"}) + "\n")
        pool.submit(_serve, ask, questions, proto).result()


def _serve(ask: Callable[[str], Answer], questions: list[str], proto: IO[str]) -> None:
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "run":
            count, i = 0, cmd["offset"]
            t0 = time.perf_counter()
            deadline = t0 + cmd["seconds"]
            while time.perf_counter() < deadline:
                ask(questions[i % len(questions)])
                count, i = count + 1, i + 1
            proto.write(json.dumps({"count": count, "elapsed": time.perf_counter() - t0}) + "\n")
        elif cmd["cmd"] == "rss":
            proto.write(json.dumps({"maxrss_kb": peak_rss_kb()}) + "\n")


def peak_rss_kb() -> int:
    """This process's peak RSS. Linux's ru_maxrss carries the parent's peak over fork and exec, so a
    worker spawned by a big benchmark process would report the parent's; VmHWM is the new image's own."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class _Worker:
    def __init__(self, system: str, files: list[str], log_dir: Path, n: int) -> None:
        self.log = (log_dir / f"{system}-{n}.log").open("w")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "briefqa.bench", "worker", system, *files],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put("")

    def read(self, timeout: float = WORKER_TIMEOUT_S) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            line = ""
        if not line:
            self.stop()
            tail = Path(self.log.name).read_text(errors="replace")[-800:]
            raise BriefqaError(f"A benchmark worker stopped or hung (exit {self.proc.poll()}): {tail.strip()}")
        out: dict[str, Any] = json.loads(line)
        return out

    def send(self, cmd: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            if self.proc.stdin:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _processes(
    system: str, files: list[str], log_dir: Path, levels: tuple[int, ...], seconds: float, tick: Callable[[], None]
) -> dict[str, Any]:
    """Cold start (the first worker, alone), then throughput with 1..N workers, then their peak RSS."""
    first = _Worker(system, files, log_dir, 1)
    workers = [first]
    try:
        first.read()
        cold = time.perf_counter() - first.t0
        tick()
        # The others load together: only the timed runs below need them all ready.
        workers += [_Worker(system, files, log_dir, n) for n in range(2, max(levels) + 1)]
        for w in workers[1:]:
            w.read()
        tick()
        qps: dict[str, float] = {}
        for c in levels:
            for i, w in enumerate(workers[:c]):
                w.send({"cmd": "run", "seconds": seconds, "offset": i * 7})
            runs = [w.read() for w in workers[:c]]
            qps[str(c)] = round(sum(r["count"] for r in runs) / max(r["elapsed"] for r in runs), 2)
            tick()
        for w in workers:
            w.send({"cmd": "rss"})
        rss_mb = max(w.read()["maxrss_kb"] for w in workers) / 1024
    finally:
        for w in workers:
            w.stop()
    return {"cold_start_s": round(cold, 2), "qps": qps, "peak_rss_mb": round(rss_mb, 1)}


# In-process measurements --------------------------------------------------------------------------


def _latency(ask: Callable[[str], Answer], questions: list[str], tick: Callable[[], None]) -> dict[str, Any]:
    for q in questions[:3]:  # warm-up: first-call allocations are not what a user waits for
        ask(q)
    parts: dict[str, list[float]] = {"total": [], "retrieve": [], "answer": []}
    for q in questions:
        t = ask(q).timings_ms
        parts["total"].append(t.total)
        parts["retrieve"].append(t.retrieve)
        parts["answer"].append(t.answer)
        tick()
    return {name: {"p50": percentile(v, 50), "p95": percentile(v, 95)} for name, v in parts.items()}


def _latencies(ask: Callable[[str], Answer], questions: list[str], tick: Callable[[], None]) -> dict[str, Any]:
    """On a pool thread, as the server and the UI answer; then the total on the main thread, as the CLI does."""
    with ThreadPoolExecutor(1) as pool:
        out = pool.submit(_latency, ask, questions, tick).result()
    out["total_main_thread"] = _latency(ask, questions, tick)["total"]
    return out


def _threads(ask: Callable[[str], Answer], questions: list[str], c: int, seconds: float) -> float:
    def loop(offset: int) -> int:
        count, i = 0, offset
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            ask(questions[i % len(questions)])
            count, i = count + 1, i + 1
        return count

    t0 = time.perf_counter()
    with ThreadPoolExecutor(c) as pool:
        total = sum(pool.map(loop, [i * 7 for i in range(c)]))
    return round(total / (time.perf_counter() - t0), 2)


def _settings_file(settings: Settings, path: Path) -> str:
    data = settings.model_dump(mode="json", exclude={"llm_api_key"})
    data["llm"] = "none"
    path.write_text(json.dumps(data))
    return str(path)


def run_bench(
    settings: Settings,
    questions_path: Path,
    quick: bool = False,
    progress: Progress | None = None,
    levels: tuple[int, ...] = LEVELS,
    seconds: float | None = None,
    warm_questions: int | None = None,
) -> dict[str, Any]:
    """Measure both systems on a fresh index in a temporary folder; see the module docstring."""
    import briefqa
    from briefqa.baseline import Baseline
    from briefqa.embeddings import load_embedder

    configure_offline()
    questions = [q.question for q in load_questions(questions_path)]
    seconds = seconds or (2.0 if quick else 5.0)
    timed = _spread(questions, warm_questions or (20 if quick else 90))
    done: dict[str, int] = {}

    def phase(label: str, total: int) -> Callable[[], None]:
        done[label] = 0
        if progress:
            progress(label, 0, total)

        def tick() -> None:
            done[label] += 1
            if progress:
                progress(label, done[label], total)

        return tick

    out: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "method": {
            "questions": str(questions_path),
            "timed_questions": len(timed),
            "seconds_per_level": seconds,
            "levels": list(levels),
            "quick": quick,
        },
    }
    with tempfile.TemporaryDirectory(prefix="briefqa-bench-") as tmp_name:
        tmp = Path(tmp_name)
        bench_settings = settings.model_copy(update={"index_dir": tmp / "index", "llm": "none"})
        persist = tmp / "baseline"
        load_embedder(str(settings.model_path))  # model load is part of cold start, not of ingest

        tick = phase("Ingesting (full and unchanged, both systems)", 4)
        t0 = time.perf_counter()
        report = briefqa.ingest(bench_settings)
        ours_full = time.perf_counter() - t0
        tick()
        t0 = time.perf_counter()
        again = briefqa.ingest(bench_settings)
        ours_again = time.perf_counter() - t0
        tick()
        if not again.unchanged:
            log.warning("the second ingest was not a no-op; the corpus changed during the benchmark")
        base = Baseline.build(bench_settings, top_k=settings.top_k)
        base_full = base.build_seconds
        tick()
        base = Baseline.build(bench_settings, top_k=settings.top_k, persist_dir=persist)
        base_again = base.build_seconds
        tick()
        out["ingest_s"] = {
            "full": {"briefqa": round(ours_full, 2), "baseline": round(base_full, 2)},
            "unchanged": {"briefqa": round(ours_again, 3), "baseline": round(base_again, 2)},
            "passages": {"briefqa": report.passages, "baseline": base.nodes},
        }

        assistant = briefqa.assistant(bench_settings)
        asks: dict[str, Callable[[str], Answer]] = {"briefqa": lambda q: assistant.ask(q), "baseline": base.ask}
        out["warm_latency_ms"] = {}
        for name in SYSTEMS:
            out["warm_latency_ms"][name] = _latencies(asks[name], timed, phase(f"Warm latency: {name}", 2 * len(timed)))

        out["throughput_qps"] = {"threads": {}, "processes": {}}
        for name in SYSTEMS:
            tick = phase(f"Throughput, threads: {name}", len(levels))
            curve = {}
            for c in levels:
                curve[str(c)] = _threads(asks[name], questions, c, seconds)
                tick()
            out["throughput_qps"]["threads"][name] = curve

        files = [
            _settings_file(bench_settings, tmp / "settings.json"),
            str(tmp / "questions.json"),
            str(persist),
        ]
        (tmp / "questions.json").write_text(json.dumps(questions))
        log_dir = tmp / "logs"
        log_dir.mkdir()
        out["cold_start_s"], out["peak_rss_mb"] = {}, {}
        for name in SYSTEMS:
            tick = phase(f"Cold start and processes: {name}", len(levels) + 2)
            res = _processes(name, files, log_dir, levels, seconds, tick)
            out["cold_start_s"][name] = res["cold_start_s"]
            out["peak_rss_mb"][name] = res["peak_rss_mb"]
            out["throughput_qps"]["processes"][name] = res["qps"]
    out["ratios"] = _ratios(out)
    out["targets"] = _targets(out)
    return out


def _ratios(r: dict[str, Any]) -> dict[str, Any]:
    """briefqa / baseline for every figure (times: below 1 is better; throughput: above 1 is better)."""
    lat = r["warm_latency_ms"]
    tp = r["throughput_qps"]
    return {
        "cold_start_s": _ratio(r["cold_start_s"]["briefqa"], r["cold_start_s"]["baseline"]),
        "warm_latency_ms": {
            part: {p: _ratio(lat["briefqa"][part][p], lat["baseline"][part][p]) for p in ("p50", "p95")}
            for part in ("total", "retrieve", "answer", "total_main_thread")
        },
        "throughput_qps": {
            mode: {c: _ratio(tp[mode]["briefqa"][c], tp[mode]["baseline"].get(c)) for c in tp[mode]["briefqa"]}
            for mode in tp
        },
        "ingest_s": {k: _ratio(v["briefqa"], v["baseline"]) for k, v in r["ingest_s"].items() if k != "passages"},
        "peak_rss_mb": _ratio(r["peak_rss_mb"]["briefqa"], r["peak_rss_mb"]["baseline"]),
    }


def _targets(r: dict[str, Any]) -> dict[str, Any]:
    p50 = r["warm_latency_ms"]["briefqa"]["total"]["p50"]
    out: dict[str, Any] = {"warm_p50_ms": {"target": TARGET_P50_MS, "measured": p50, "met": p50 <= TARGET_P50_MS}}
    for mode, curves in r["throughput_qps"].items():
        curve = curves["briefqa"]
        if "1" in curve and "2" in curve:
            scale = _ratio(curve["2"], curve["1"])
            out[f"scaling_2v1_{mode}"] = {
                "target": TARGET_SCALING,
                "measured": scale,
                "baseline": _ratio(curves["baseline"].get("2"), curves["baseline"].get("1")),
                "met": scale is not None and scale >= TARGET_SCALING,
            }
    return out


# Reports ------------------------------------------------------------------------------------------


def rows(r: dict[str, Any]) -> list[list[str]]:
    """(figure, briefqa, baseline, ratio) rows, in the order of the issue."""

    def f(v: Any) -> str:
        return "–" if v is None else f"{v:g}" if isinstance(v, float) else str(v)

    def row(label: str, a: Any, b: Any, ratio: Any = None) -> list[str]:
        return [label, f(a), f(b), f(ratio if ratio is not None else _ratio(a, b))]

    out = [row("cold start to first answer (s)", r["cold_start_s"]["briefqa"], r["cold_start_s"]["baseline"])]
    lat = r["warm_latency_ms"]
    for part in ("total", "retrieve", "answer", "total_main_thread"):
        label = "total, main thread (CLI)" if part == "total_main_thread" else part
        for p in ("p50", "p95"):
            out.append(row(f"warm latency {label} {p} (ms)", lat["briefqa"][part][p], lat["baseline"][part][p]))
    for mode, curves in r["throughput_qps"].items():
        for c in curves["briefqa"]:
            out.append(row(f"throughput, {c} {mode} (questions/s)", curves["briefqa"][c], curves["baseline"].get(c)))
        a = _ratio(curves["briefqa"].get("2"), curves["briefqa"].get("1"))
        b = _ratio(curves["baseline"].get("2"), curves["baseline"].get("1"))
        out.append(row(f"throughput 2 / 1 {mode}", a, b))
    ing = r["ingest_s"]
    out.append(row("full ingest (s)", ing["full"]["briefqa"], ing["full"]["baseline"]))
    out.append(row("unchanged re-ingest (s)", ing["unchanged"]["briefqa"], ing["unchanged"]["baseline"]))
    out.append(row("peak RSS of a serving process (MB)", r["peak_rss_mb"]["briefqa"], r["peak_rss_mb"]["baseline"]))
    return out


def bench_markdown(r: dict[str, Any]) -> str:
    m = r["method"]
    lines = [
        "# briefqa bench",
        "",
        f"{r['machine']['cpus']} CPUs, Python {r['machine']['python']}, {r['machine']['platform']}; "
        f"{m['timed_questions']} timed questions from `{m['questions']}`; throughput runs of {m['seconds_per_level']} s "
        f"per level{' (--quick)' if m['quick'] else ''}. Ratios are briefqa / baseline.",
        "",
        "| figure | briefqa | baseline | ratio |",
        "|---|---|---|---|",
        *("| " + " | ".join(x) + " |" for x in rows(r)),
        "",
        "Targets:",
        "",
    ]
    for name, t in r["targets"].items():
        lines.append(f"- {name}: measured {t['measured']}, target {t['target']}: {'met' if t['met'] else 'NOT met'}")
    return "\n".join(lines) + "\n"


def summary_lines(r: dict[str, Any]) -> list[str]:
    width = max(len(x[0]) for x in rows(r))
    out = [f"{'figure':<{width}}  {'briefqa':>9}  {'baseline':>9}  {'ratio':>7}"]
    out += [f"{a:<{width}}  {b:>9}  {c:>9}  {d:>7}" for a, b, c, d in rows(r)]
    return out


def write_bench(out: Path, r: dict[str, Any]) -> list[Path]:
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench.json").write_text(json.dumps(r, indent=2), encoding="utf-8")
        (out / "bench.md").write_text(bench_markdown(r), encoding="utf-8")
    except OSError as exc:
        raise BriefqaError(f"Cannot write the benchmark into {out}: {exc.strerror}.") from exc
    return [out / "bench.json", out / "bench.md"]


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    _worker_main(sys.argv[2:])
