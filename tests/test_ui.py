"""The chat UI, launched for real on a loopback port and driven with gradio_client and headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from briefqa.types import Answer, Citation, FootnoteRef, RankedPassage, Timings
from conftest import children, running

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ui_url(built_settings):
    """The app as app.py serves it: the page here, the assistant in a child process."""
    from briefqa import ui
    from briefqa.worker import AssistantProcess

    settings = built_settings.model_copy(update={"port": free_port()})
    engine = AssistantProcess(settings)
    app = ui.build_app(settings, engine)
    engine.wait_ready(timeout=120)
    _, url, _ = app.launch(prevent_thread_lock=True, quiet=True, **ui.launch_kwargs(settings))
    yield url
    app.close()
    engine.close()


@pytest.fixture()
def client(ui_url):
    from gradio_client import Client

    return Client(ui_url, verbose=False)


def _text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def _ask(client, question: str, k: int = 10, show_retrieved: bool = False):
    messages, box, which = client.predict(question, k, show_retrieved, api_name="/ask")
    return messages, box, which


def _titles(messages: list[dict]) -> list[str]:
    return [(m.get("metadata") or {}).get("title", "") for m in messages]


def test_ask_answers_with_markers_and_the_cited_passage(client, assistant):
    messages, box, which = _ask(client, "What is the ICCP?")
    expected = assistant.ask("What is the ICCP?")
    assert box == ""
    assert [m["role"] for m in messages][:2] == ["user", "assistant"]
    answer = _text(messages[1])
    assert re.search(r"\[1\]", answer)
    assert expected.answer.split(" [")[0] in answer
    sources = [m for m in messages if (m.get("metadata") or {}).get("title", "").startswith("Sources")]
    assert len(sources) == 1
    panel = _text(sources[0])
    assert "August 2018" in sources[0]["metadata"]["title"]
    assert sources[0]["metadata"]["status"] == "done"  # collapsed until opened
    cited = expected.citations[0]
    assert "<mark>" in panel and f"§{cited.section}" in panel
    assert cited.sentences[0] in panel
    assert which["value"] and len(which["choices"]) == 1


def test_follow_up_is_resolved_and_shown(client):
    _ask(client, "What is the ICCP?")
    messages, _, which = _ask(client, "Which ministry supervises it?")
    assert len(which["choices"]) == 2
    answers = [m for m in messages if m["role"] == "assistant" and not m.get("metadata")]
    assert len(answers) == 2
    answer = _text(answers[-1])
    assert "Which ministry supervises the ICCP?" in answer
    assert "Ministry of Trade, Industry and Energy" in answer
    # The first turn keeps its own Sources panel: citations stay attached to their turn.
    assert sum(t.startswith("Sources") for t in _titles(messages)) == 2


def test_feedback_is_stored_in_sqlite(client, built_settings):
    from briefqa.feedback import FeedbackStore

    _, _, which = _ask(client, "What are Mini Clusters?")
    answer_id = which["value"]
    status = client.predict(answer_id, "down", "Too short <b>answer</b>", api_name="/feedback")
    assert "stored" in status
    fb = FeedbackStore(built_settings).get(answer_id)
    assert fb is not None and fb.rating == "down"
    assert fb.comment == "Too short <b>answer</b>"
    assert fb.question == "What are Mini Clusters?" and fb.cited


def test_empty_question_is_a_message_not_a_trace(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as err:
        _ask(client, "   ")
    assert "question is empty" in str(err.value)
    assert "Traceback" not in str(err.value)


def test_feedback_without_an_answer_is_refused(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="ask a question first"):
        client.predict("no-such-answer", "up", "", api_name="/feedback")


def test_abstention_offers_the_closest_passages(client):
    messages, _, _ = _ask(client, "What is the capital of France?")
    assert "does not cover" in _text(messages[1])
    assert "You may be looking for" in _titles(messages)
    assert not any(t.startswith("Sources") for t in _titles(messages))


def test_show_retrieved_lists_every_retrieved_passage(client):
    messages, _, _ = _ask(client, "What was Korea's GDP in 2016?", k=3, show_retrieved=True)
    retrieved = [m for m in messages if _titles([m])[0].startswith("Retrieved passages")]
    assert len(retrieved) == 1
    assert _text(retrieved[0]).count('class="bq-source"') == 3


def test_html_in_questions_shows_as_text(client):
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)"> What is the ICCP?'
    messages, _, _ = _ask(client, attack)
    everything = "".join(_text(m) for m in messages)
    assert "<script" not in everything and "<img" not in everything
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _text(messages[0])


def test_sources_search_filters_the_registry(client, built_settings):
    from briefqa.sources import registry

    everything = client.predict("", api_name="/search_sources")
    found = client.predict("atlas.cid.harvard", api_name="/search_sources")
    total = len(registry(built_settings))
    assert f"of {total} footnotes" in everything
    assert found.count("<tr>") < everything.count("<tr>")
    assert 'href="http://atlas.cid.harvard.edu' in found


def test_corpus_text_is_escaped_in_the_sources_panel():
    from briefqa import ui

    evil = 'Clusters <script>alert("x")</script> grow. <img src=x onerror=alert(1)> end.'
    ans = Answer(
        question="q",
        answer='Clusters <script>alert("x")</script> grow. [1]',
        abstained=False,
        citations=[
            Citation(
                n=1,
                text=evil,
                document="d.txt",
                title="<b>T</b>",
                section="1",
                section_title="S",
                page=3,
                url=None,
                sentences=['Clusters <script>alert("x")</script> grow.'],
                footnotes=[
                    FootnoteRef(number=2, text="<i>x</i>", urls=["javascript:alert(1)", "https://e.org/?a=1&b=<2>"])
                ],
            )
        ],
        passages=[RankedPassage(rank=1, text=evil, score=1.0, document="d.txt", section="1")],
        timings_ms=Timings(retrieve=0, answer=0, total=0),
    )
    panel = ui.render_citations(ans, "August 2018") + ui.render_answer(ans.answer) + ui.render_passages(ans)
    assert "<script" not in panel and "<img" not in panel and "<i>" not in panel and "<b>T" not in panel
    assert 'href="javascript:' not in panel
    assert 'href="https://e.org/?a=1&amp;b=&lt;2&gt;"' in panel
    assert "<mark>Clusters &lt;script&gt;" in panel
    assert "p. 3" in panel


def test_app_py_starts_on_the_configured_port_and_says_where(built_settings, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "BRIEFQA_INDEX_DIR": str(built_settings.index_dir),
        "BRIEFQA_PORT": str(port),
        "BRIEFQA_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    kids: list[int] = []
    try:
        lines = []
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "open http" in line:
                break
        assert f"open http://127.0.0.1:{port}/" in "".join(lines), "".join(lines)
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200 and "August 2018" in page.text
        from gradio_client import Client

        messages, _, _ = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            "What is the ICCP?", 10, False, api_name="/ask"
        )
        assert re.search(r"\[1\]", _text(messages[1]))
        kids = children(proc.pid)
        assert kids, "the answering process should be a child of app.py"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    deadline = time.monotonic() + 10
    while [pid for pid in kids if running(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in kids if running(pid)], "app.py left its child behind"


def test_app_py_bad_setting_is_one_line():
    env = {**os.environ, "BRIEFQA_PORT": "not-a-port"}
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 5
    assert "BRIEFQA_PORT" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# Browser -------------------------------------------------------------------------------------------


@pytest.fixture()
def browser(tmp_path):
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip(f"no Chromium here ({CHROMIUM} and {CHROMEDRIVER} needed; CI installs Debian's chromium)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1500",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


def _submit(driver, question: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    box = WebDriverWait(driver, 60).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#bq-question textarea")))
    box.send_keys(question)
    box.send_keys(Keys.ENTER)


def test_browser_asks_and_opens_the_sources_panel(browser, ui_url, tmp_path, assistant):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(ui_url)
    _submit(browser, "What is the ICCP?")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: any("[1]" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".bq-answer")))
    heading = wait.until(
        lambda d: next(
            (
                e
                for e in d.find_elements(By.XPATH, "//*[starts-with(normalize-space(.), 'Sources:')]")
                if e.is_displayed()
            ),
            None,
        )
    )
    passage_sentence = assistant.ask("What is the ICCP?").citations[0].sentences[0]
    assert not any(e.is_displayed() for e in browser.find_elements(By.CSS_SELECTOR, ".bq-passage mark"))
    heading.click()
    mark = wait.until(
        lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, ".bq-passage mark") if e.is_displayed()), None)
    )
    assert mark.text.strip() == passage_sentence
    assert "August 2018" in browser.find_element(By.ID, "bq-footer").text
    shot = tmp_path / "answer.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("BRIEFQA_UI_SCREENSHOT"):
        shutil.copy(shot, os.environ["BRIEFQA_UI_SCREENSHOT"])


def test_browser_shows_injected_html_as_text(browser, ui_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(ui_url)
    # Gradio sets the title after load; read it once it is there, so a change made by the attack would show.
    title = WebDriverWait(browser, 30).until(lambda d: d.title)
    attack = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b> What is the ICCP?"
    _submit(browser, attack)
    WebDriverWait(browser, 60).until(
        lambda d: any("[1]" in e.text for e in d.find_elements(By.CSS_SELECTOR, ".bq-answer"))
    )
    chat = browser.find_element(By.ID, "bq-chat")
    assert "<img src=x" in chat.text and "<b>bold</b>" in chat.text
    assert not chat.find_elements(By.CSS_SELECTOR, ".message img[src='x'], .message b")
    assert browser.title == title != "pwned"
