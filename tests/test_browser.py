"""The built site in a real browser: nothing loads from a third-party host, the chart follows the
light/dark toggle, search and code copy work. Needs Chromium at /usr/bin/chromium (CI installs it)."""

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REFERENCES

CHROMIUM = Path(os.environ.get("BIM_CHROMIUM", "/usr/bin/chromium"))  # CI on GitHub: Playwright's own
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("BIM_REQUIRE_BROWSER"),
        reason="no /usr/bin/chromium: apt-get install chromium (CI sets BIM_REQUIRE_BROWSER and installs it)",
    ),
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url(built_site):
    """The built site on a loopback port for the duration of this module."""
    handler = functools.partial(QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_no_request_leaves_loopback(page, site_url, built_site):
    """Every page, loaded whole (its images, styles and scripts); the first also until the network
    is idle, for what the theme's scripts fetch later (the search index), the same on every page."""
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
    for i, index in enumerate(sorted(built_site.rglob("index.html"))):
        path = index.parent.relative_to(built_site).as_posix()
        page.goto(f"{site_url}/{'' if path == '.' else path + '/'}", wait_until="networkidle" if i == 0 else "load")
    assert hosts == {"127.0.0.1"}


def test_chart_follows_the_palette_toggle(page, site_url, tmp_path):
    page.goto(f"{site_url}/computing-units/vectorization/", wait_until="networkidle")
    chart = page.locator("figure.bim-chart svg")
    assert chart.is_visible()
    ink = "el => getComputedStyle(el).color"
    before = chart.evaluate(ink)
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    page.wait_for_function(f"getComputedStyle(document.querySelector('figure.bim-chart svg')).color !== '{before}'")
    after = chart.evaluate(ink)
    assert before != after
    chart.screenshot(path=tmp_path / "chart.png")


def test_search_finds_a_page(page, site_url):
    page.goto(f"{site_url}/", wait_until="networkidle")
    page.keyboard.press("/")
    page.keyboard.type("numexpr")
    result = page.locator(".md-search-result__item").first
    result.wait_for()
    assert "numexpr" in page.locator(".md-search-result").inner_text().lower()


def test_code_blocks_have_copy_buttons(page, site_url):
    page.goto(f"{site_url}/computing-units/vectorization/", wait_until="networkidle")
    assert page.locator("button.md-code__button[data-md-type='copy']").count() >= 2


def test_a_machine_picked_once_is_picked_on_every_page(page, site_url):
    """Linked content tabs: pick the second reference machine's tab on one page, and the next page's
    tables open on that machine too."""
    second = REFERENCES[1].name.split(".")[0]
    page.goto(f"{site_url}/computing-units/vectorization/", wait_until="networkidle")
    page.locator(".tabbed-labels label", has_text=second).first.click()
    page.goto(f"{site_url}/memory/latency/", wait_until="networkidle")
    label = page.locator(".tabbed-labels label", has_text=second).first
    assert page.locator(f"#{label.get_attribute('for')}").is_checked()
