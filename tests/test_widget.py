"""The embeddable widget: examples/intranet.html on one loopback port, `briefqa serve` on another, headless Chromium.

An allowed origin gets the chat panel and cited answers; any other origin is refused the frame
(frame-ancestors) and CORS.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from briefqa.loadtest import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "intranet.html"
EXAMPLE_SERVER = "http://127.0.0.1:7860/"  # the address the example page points at
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
QUESTION = "What was Korea's GDP in 2016?"


class Page:
    """A static intranet page served by http.server on its own loopback port (its own origin)."""

    def __init__(self, html: str) -> None:
        body = html.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def site(built_settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Page, Page, ServerProcess]]:
    tmp = tmp_path_factory.mktemp("widget")
    port = free_port()
    html = EXAMPLE.read_text(encoding="utf-8")
    assert html.count(EXAMPLE_SERVER + "widget.js") == 1
    html = html.replace(EXAMPLE_SERVER, f"http://127.0.0.1:{port}/")
    allowed, other = Page(html), Page(html)
    env = {
        "BRIEFQA_INDEX_DIR": str(built_settings.index_dir),
        "BRIEFQA_CORPUS_DIR": str(built_settings.corpus_dir),
        "BRIEFQA_DATA_DIR": str(tmp / "data"),
        "BRIEFQA_UI_PATH": "",
        "BRIEFQA_API_OPEN": "false",  # the widget needs no key: its session cookie is enough
        "BRIEFQA_ALLOWED_ORIGINS": allowed.origin,
    }
    server = ServerProcess(env, port=port, log_path=tmp / "server.log")
    server.start("/readyz", timeout=180)
    yield allowed, other, server
    server.stop()
    allowed.close()
    other.close()


def test_example_page_has_one_script_tag_for_the_widget() -> None:
    html = EXAMPLE.read_text(encoding="utf-8")
    tags = re.findall(r"<script\b[^>]*>", html)
    assert len(tags) == 1 and 'src="http://127.0.0.1:7860/widget.js"' in tags[0] and "data-title=" in tags[0]


def test_only_the_allowed_origin_may_frame_the_widget_or_call_the_api(site: Any) -> None:
    allowed, other, server = site
    page = httpx.get(server.url + "/widget", timeout=10)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    ancestors = re.search(r"frame-ancestors ([^;]*)", csp)
    assert ancestors is not None and ancestors.group(1).split() == ["'self'", allowed.origin]
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = httpx.options(server.url + "/api/v1/ask", headers={"Origin": allowed.origin, **preflight}, timeout=10)
    refused = httpx.options(server.url + "/api/v1/ask", headers={"Origin": other.origin, **preflight}, timeout=10)
    assert ok.headers.get("access-control-allow-origin") == allowed.origin
    assert "access-control-allow-origin" not in refused.headers
    # Without the widget's session cookie and with the API closed, no answer.
    assert httpx.post(server.url + "/api/v1/ask", json={"question": QUESTION}, timeout=10).status_code == 401


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip(f"no Chromium here ({CHROMIUM} and {CHROMEDRIVER} needed; CI installs Debian's chromium)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--disable-background-networking", "--disable-extensions", "--no-first-run",
                "--window-size=1280,900", f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


def _open_panel(driver: Any, url: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    wait = WebDriverWait(driver, 30)
    wait.until(ec.element_to_be_clickable((By.ID, "briefqa-button"))).click()
    frame = wait.until(ec.visibility_of_element_located((By.ID, "briefqa-frame")))
    assert driver.find_element(By.ID, "briefqa-button").get_attribute("aria-expanded") == "true"
    return frame


def test_chat_button_opens_the_panel_and_answers_with_a_cited_source_link(
    browser: Any, site: Any, assistant: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    allowed, _, server = site
    expected = assistant.ask(QUESTION)
    source_url = next(u for c in expected.citations for f in c.footnotes for u in f.urls)
    assert not browser.find_elements(By.ID, "briefqa-frame")
    frame = _open_panel(browser, allowed.origin + "/")
    assert frame.get_attribute("src") == server.url + "/widget"
    browser.switch_to.frame(frame)
    wait = WebDriverWait(browser, 60)
    box = wait.until(lambda d: next((e for e in d.find_elements(By.ID, "question") if e.is_displayed()), None))
    box.send_keys(QUESTION)
    browser.find_element(By.ID, "send").click()
    marker = wait.until(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, ".turn p.a sup a.cite")), None))
    assert marker.text == "[1]"
    answer = browser.find_element(By.CSS_SELECTOR, ".turn p.a").text
    assert expected.answer.split(" [1]")[0] in answer
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "li.citation a[target=_blank]")]
    assert source_url in links
    assert browser.find_element(By.ID, "c-1-1").text.startswith(expected.citations[0].title)
    # The rating goes through the same session cookie.
    browser.find_element(By.CSS_SELECTOR, ".rate button[aria-label=Helpful]").click()
    wait.until(lambda d: "Thanks" in d.find_element(By.CSS_SELECTOR, ".rate").text)


def test_a_page_from_another_origin_cannot_frame_the_widget(browser: Any, site: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _, other, _ = site
    frame = _open_panel(browser, other.origin + "/")

    def refused(d: Any) -> bool:
        return any("frame-ancestors" in e.get("message", "") for e in d.get_log("browser"))

    WebDriverWait(browser, 30).until(refused)
    browser.switch_to.frame(frame)
    assert browser.find_elements(By.ID, "question") == []
