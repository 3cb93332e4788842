"""Time the chat UI as a user meets it (issue 4): page interactive after start, answer after Enter.

Run: ``make bench-ui`` or ``.venv/bin/python bench/ui_timing.py [--starts 2] [--out reports/ui-timing.json]``.

For each start (``make run`` and ``python app.py``, alternately) Chromium is started
and the machine left to settle until idle (a just-started Chromium keeps both cores busy
for a second or two; a user's open browser does not), then the clock starts when the
process is spawned; "interactive" is when headless Chromium, polling
the page, finds the question box clickable. Then, for each question on a fresh
page: the question is typed, the clock starts at Enter, and we record when the
first answer text is visible in the chat, when a [1] marker is visible, and
when the final answer (with its Sources panel) is there. A measurement script,
not a test: it prints and writes figures, it asserts no target.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
PY = ROOT / ".venv" / "bin" / "python"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
QUESTIONS = [
    "What was Korea's GDP in 2016?",
    "What is the ICCP?",
    "What are Mini Clusters?",
    "Which ministry supervises the Industrial Complex Cluster Programme?",
    "How did the EU's trade deficit with Korea change between 2008 and 2017?",
]
BOX = "#bq-question textarea"
# What the chat shows, read in one round trip: visible answer texts and Sources panels.
PROBE = """
const vis = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
const answers = [...document.querySelectorAll('#bq-chat .bq-answer')].filter(vis).map(e => e.innerText.trim());
const sources = [...document.querySelectorAll('#bq-chat *')].filter(
    e => e.children.length === 0 && vis(e) && e.textContent.trim().startsWith('Sources:')).length;
return [answers, sources];
"""


def _cpu() -> tuple[int, int]:
    """Total and idle jiffies of all CPUs since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]


def wait_quiet(busy_below: float = 0.15, window: float = 0.5, limit: float = 20) -> float:
    """Wait until the machine is idle (under ``busy_below`` of all CPUs over ``window`` s); seconds waited.

    A freshly started Chromium keeps both cores busy for about 1.5 s after WebDriver returns; the previous
    start's processes take a moment to go. Timing the app against them would measure them, not it.
    """
    t0 = time.perf_counter()
    before = _cpu()
    while time.perf_counter() - t0 < limit:
        time.sleep(window)
        now = _cpu()
        total = now[0] - before[0]
        if total and 1 - (now[1] - before[1]) / total < busy_below:
            break
        before = now
    return round(time.perf_counter() - t0, 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def browser(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1500", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def wait_interactive(driver: Any, url: str, t0: float, proc: subprocess.Popen[str], limit: float = 120) -> dict[str, float]:
    """Seconds from ``t0`` until the server answers HTTP, and until the question box is clickable in the page."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    http = None
    while time.perf_counter() - t0 < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode} before serving")
        if http is None:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    http = time.perf_counter() - t0
                    driver.get(url)
            except httpx.HTTPError:
                time.sleep(0.05)
                continue
        try:
            box = driver.find_elements(By.CSS_SELECTOR, BOX)
            if http is not None and box and box[0].is_displayed() and box[0].is_enabled():
                return {"http_s": round(http, 3), "interactive_s": round(time.perf_counter() - t0, 3)}
        except WebDriverException:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"the page was not interactive within {limit:.0f} s")


def time_question(driver: Any, url: str, question: str, limit: float = 60) -> dict[str, Any]:
    """Seconds from Enter until the first answer text, the first [1] and the final answer are visible."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)  # a fresh page: a new conversation, so no follow-up rewriting
    box = WebDriverWait(driver, 60).until(ec.element_to_be_clickable((By.CSS_SELECTOR, BOX)))
    box.send_keys(question)
    t0 = time.perf_counter()
    box.send_keys(Keys.ENTER)
    first = marker = final = None
    text = ""
    while time.perf_counter() - t0 < limit:
        answers, sources = driver.execute_script(PROBE)
        now = time.perf_counter() - t0
        text = answers[-1] if answers else ""
        if first is None and text:
            first = now
        if marker is None and "[1]" in text:
            marker = now
        if sources and "[1]" in text:
            final = now
            break
        time.sleep(0.005)
    return {
        "question": question,
        "first_text_s": _r(first),
        "first_marker_s": _r(marker),
        "final_s": _r(final),
        "answer": text[:200],
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def one_start(how: str, questions: list[str], profile: Path) -> dict[str, Any]:
    port = free_port()
    env = {**os.environ, "BRIEFQA_PORT": str(port), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False"}
    cmd = ["make", "--no-print-directory", "run"] if how == "make run" else [str(PY), "app.py"]
    url = f"http://127.0.0.1:{port}/"
    driver = browser(profile)  # Chromium starts before the clock: a user's browser is already open, and idle
    quiet = wait_quiet()
    log = profile / f"{how.replace(' ', '-')}.log"
    try:
        with log.open("w") as out:
            t0 = time.perf_counter()
            # Own session, so the whole tree (make, then python) is stopped by the group id we got.
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True)
            try:
                start = wait_interactive(driver, url, t0, proc)
                load = os.getloadavg()[0]
                asked = [time_question(driver, url, q) for q in questions]
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
    finally:
        driver.quit()
    ready = [ln.strip() for ln in log.read_text().splitlines() if "is ready after" in ln]
    return {"how": how, **start, "app_says": ready[0] if ready else "", "load_avg_1m": round(load, 2),
            "waited_for_idle_s": quiet, "questions": asked}


def summary(values: list[float | None]) -> dict[str, float | int | None]:
    got = [v for v in values if v is not None]
    return {
        "n": len(values),
        "missing": len(values) - len(got),
        "median": round(statistics.median(got), 3) if got else None,
        "max": round(max(got), 3) if got else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=2, help="starts of each kind (make run, python app.py)")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "ui-timing.json")
    args = ap.parse_args()
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        print(f"Error: needs {CHROMIUM} and {CHROMEDRIVER} (Debian's chromium and chromium-driver).", file=sys.stderr)
        return 2
    fresh = subprocess.run([str(ROOT / ".venv" / "bin" / "briefqa"), "ingest", "--check"], cwd=ROOT)
    if fresh.returncode != 0:  # build outside the clock: the target is a start on a built index
        subprocess.run([str(ROOT / ".venv" / "bin" / "briefqa"), "ingest"], cwd=ROOT, check=True)
    import tempfile

    runs = []
    with tempfile.TemporaryDirectory(prefix="bq-ui-timing-") as tmp:
        for i in range(args.starts):
            for how in ("make run", "python app.py"):
                run = one_start(how, QUESTIONS, Path(tmp) / f"{i}-{how.replace(' ', '-')}")
                runs.append(run)
                q = run["questions"]
                print(f"{how:<14} interactive {run['interactive_s']:.2f} s (HTTP {run['http_s']:.2f} s); "
                      f"first text after Enter: {', '.join(str(x['first_text_s']) for x in q)} s; "
                      f"final: {', '.join(str(x['final_s']) for x in q)} s (load {run['load_avg_1m']})", flush=True)
    result: dict[str, Any] = {"runs": runs, "cpus": os.cpu_count()}
    for how in ("make run", "python app.py"):
        mine = [r for r in runs if r["how"] == how]
        result[how] = {"interactive_s": summary([r["interactive_s"] for r in mine])}
    qs = [q for r in runs for q in r["questions"]]
    result["after_enter"] = {k: summary([q[k] for q in qs]) for k in ("first_text_s", "first_marker_s", "final_s")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for how in ("make run", "python app.py"):
        s = result[how]["interactive_s"]
        print(f"{how}: page interactive median {s['median']} s, max {s['max']} s over {s['n']} starts")
    for k, s in result["after_enter"].items():
        print(f"after Enter, {k}: median {s['median']} s, max {s['max']} s over {s['n']} questions"
              + (f" ({s['missing']} never seen)" if s["missing"] else ""))
    print(f"Report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
