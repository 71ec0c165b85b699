"""The built site in a real browser: every page, in the light and the dark scheme, loads without an
error, from loopback only, under 1 MB, with its charts filling the column, a copy button on every
code block, the reader's machine kept from page to page, and search finding it by its title.
Needs Chromium at /usr/bin/chromium (CI installs it).

Screenshots of every page in both schemes, and a report of load times and sizes, are written to
.cache/browser/ (not committed); load times are reported there, never asserted."""

import functools
import gzip
import http.server
import ipaddress
import json
import os
import re
import shutil
import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.discover import ROOT
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
SHOTS = ROOT / ".cache" / "browser"
SCHEMES = {"light": "default", "dark": "slate"}  # Playwright's colour scheme: Material's data-md-color-scheme
VIEWPORT = {"width": 1280, "height": 900}
SEARCH_INDEX = "/search/search_index.json"
MOST_BYTES = 1_000_000
COLUMN_SHARE = 0.9
# GitHub Pages, where the site is published, sends these gzip-compressed; so does the test's server.
COMPRESSED = ("text/", "application/javascript", "application/json", "application/xml", "image/svg+xml")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("BIM_REQUIRE_BROWSER"),
        reason="no /usr/bin/chromium: apt-get install chromium (CI sets BIM_REQUIRE_BROWSER and installs it)",
    ),
]


@functools.cache
def gzipped(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), mtime=0)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site as a static host does: text gzip-compressed when the browser accepts it,
    and with caching off, so that every page load transfers everything the page uses."""

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir() and urlsplit(self.path).path.endswith("/"):
            path /= "index.html"
        kind = self.guess_type(str(path))
        if not (path.is_file() and kind.startswith(COMPRESSED) and "gzip" in self.headers.get("Accept-Encoding", "")):
            return super().do_GET()
        body = gzipped(path)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url(built_site):
    """The built site on a loopback port for the duration of this module."""
    handler = functools.partial(SiteHandler, directory=str(built_site))
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
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def pages(built_site: Path) -> list[str]:
    """Every page of the build, as its URL path: each index.html, whatever the nav holds today."""
    paths = (index.parent.relative_to(built_site).as_posix() for index in sorted(built_site.rglob("index.html")))
    return ["" if path == "." else f"{path}/" for path in paths]


def second_machine() -> str:
    return REFERENCES[1].name.split(".")[0]


def offering_page(built_site: Path, machine: str) -> str:
    """The first page with a tab set that offers the machine's tab without opening it by default."""
    for path in pages(built_site):
        html = (built_site / path / "index.html").read_text()
        for labels in re.findall(r'<div class="tabbed-labels">(.*?)</div>', html, flags=re.S):
            names = re.findall(r"<label[^>]*>(.*?)</label>", labels)
            if machine in names and names[0] != machine:
                return path
    raise AssertionError(f"no page offers {machine}'s tab beside another machine's: check its results and pages")


@dataclass
class Visit:
    """What one page showed in one colour scheme."""

    path: str
    scheme: str
    body_scheme: str = ""
    title: str = ""
    errors: list[str] = field(default_factory=list)  # console errors, page errors, failed requests
    foreign: list[str] = field(default_factory=list)  # requests to a host other than loopback
    transfer: int = 0  # bytes on the wire: the Content-Length of every response, gzip-compressed where text
    requests: int = 0
    charts: list[dict] = field(default_factory=list)
    code_blocks: int = 0
    uncopyable: int = 0
    machine_tabs: list[str] = field(default_factory=list)  # the open tab of each set that offers the machine
    timing: dict = field(default_factory=dict)


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    try:
        return ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return False


class Recorder:
    """Notes, on one browser tab, every error, failed request, foreign host and byte received by the
    visit under way, and whether the page has settled: the search index (the last thing the theme
    fetches, after the load event) arrived, and no request is still in flight."""

    def __init__(self, page):
        self.visit, self.pending, self.indexed = Visit("", ""), set(), False
        page.on("request", self.request)
        page.on("response", self.response)
        page.on("requestfinished", self.finished)
        page.on("requestfailed", self.failed)
        page.on("console", lambda message: message.type == "error" and self.note(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.note(f"page error: {error}"))

    def start(self, visit: Visit) -> None:
        self.visit, self.indexed = visit, False

    def note(self, problem: str) -> None:
        self.visit.errors.append(problem)

    def request(self, request) -> None:
        self.pending.add(request)
        self.visit.requests += 1
        if not is_loopback(request.url):
            self.visit.foreign.append(request.url)

    def response(self, response) -> None:
        self.visit.transfer += int(response.headers.get("content-length", 0))  # SiteHandler always sends it
        if response.status >= 400:
            self.note(f"HTTP {response.status} {response.url}")

    def finished(self, request) -> bool:
        """Whether the request was the visit's own."""
        if request not in self.pending:
            return False
        self.pending.discard(request)
        self.indexed |= request.url.endswith(SEARCH_INDEX)
        return True

    def failed(self, request) -> None:
        if self.finished(request):
            self.note(f"failed {request.url}: {request.failure}")

    def settle(self, page) -> None:
        deadline = time.monotonic() + 30
        while not self.indexed or self.pending:
            assert time.monotonic() < deadline, f"/{self.visit.path}: no search index, or a request hung, in 30 s"
            page.wait_for_timeout(20)


# Every chart, shown where a closed <details> or an unselected tab hides it, measured against the
# article's content box (its width inside the padding).
MEASURE_CHARTS = """() => {
  const article = document.querySelector('article');
  const style = getComputedStyle(article);
  const column = article.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [...document.querySelectorAll('figure.bim-chart')].map(figure => {
    const revealed = [];
    for (let el = figure.parentElement; el; el = el.parentElement) {
      if (el.tagName === 'DETAILS' && !el.open) { el.open = true; revealed.push('details'); }
      if (el.classList.contains('tabbed-block')) {
        const index = [...el.parentElement.children].indexOf(el);
        const input = el.closest('.tabbed-set').querySelectorAll(':scope > input')[index];
        if (!input.checked) { input.checked = true; revealed.push('tab'); }
      }
    }
    const svg = figure.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    const caption = figure.querySelector('figcaption');
    return {width: box.width, height: box.height, column, revealed,
            caption: caption ? caption.textContent.trim().slice(0, 60) : ''};
  });
}"""
# What the tests assert on a page, read before MEASURE_CHARTS opens anything.
READ_PAGE = """machine => {
  const h1 = document.querySelector('article h1');
  const timing = performance.getEntriesByType('navigation')[0];
  const openTabs = [...document.querySelectorAll('.tabbed-set')]
    .filter(set => [...set.querySelectorAll(':scope > .tabbed-labels > label')]
      .some(label => label.textContent.trim() === machine))
    .map(set => {
      const input = set.querySelector(':scope > input:checked');
      return input ? set.querySelector(`:scope > .tabbed-labels > label[for="${input.id}"]`).textContent.trim() : '';
    });
  const copyable = [...document.querySelectorAll('article pre > code')]
    .map(code => code.parentElement.querySelector('button.md-code__button[data-md-type="copy"]') !== null);
  return {
    body_scheme: document.body.getAttribute('data-md-color-scheme'),
    title: h1 ? [...h1.childNodes].filter(n => !n.classList?.contains('headerlink'))
      .map(n => n.textContent).join('').trim() : '',
    machine_tabs: openTabs,
    code_blocks: copyable.length,
    uncopyable: copyable.filter(has => !has).length,
    timing: {dom_content_loaded_ms: Math.round(timing.domContentLoadedEventEnd),
             load_ms: Math.round(timing.loadEventEnd)},
  };
}"""


def inspect(page, visit: Visit, machine: str) -> None:
    """Read the page, screenshot it, then measure its charts (which opens what hides them)."""
    for name, value in page.evaluate(READ_PAGE, machine).items():
        setattr(visit, name, value)
    name = visit.path.strip("/").replace("/", "-") or "home"
    page.screenshot(path=SHOTS / visit.scheme / f"{name}.png")
    visit.charts = page.evaluate(MEASURE_CHARTS)


def pick_machine(context, site_url: str, path: str, machine: str) -> None:
    """Click the machine's tab on one page, as a reader would; the browser keeps the choice."""
    page = context.new_page()
    page.goto(f"{site_url}/{path}", wait_until="load")
    label = page.locator(".tabbed-labels label", has_text=machine).first
    label.click()
    assert page.locator(f"#{label.get_attribute('for')}").is_checked()
    page.close()


def sweep(page, site_url: str, paths: list[str], scheme: str, machine: str) -> list[Visit]:
    """Load every page in one tab, one after the other, and inspect it once it has settled."""
    recorder, visits = Recorder(page), []
    for path in paths:
        visits.append(Visit(path, scheme))
        recorder.start(visits[-1])
        page.goto(f"{site_url}/{path}", wait_until="load")
        recorder.settle(page)
        inspect(page, visits[-1], machine)
    return visits


@pytest.fixture(scope="module")
def visits(browser, site_url, built_site, pytestconfig) -> list[Visit]:
    """Every page in both schemes, each in a browser whose reader picked the second reference
    machine on one page; screenshots and a report of load times and sizes to .cache/browser/."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    machine, paths = second_machine(), pages(built_site)
    seen = []
    for scheme in SCHEMES:
        (SHOTS / scheme).mkdir(parents=True)
        context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)
        pick_machine(context, site_url, offering_page(built_site, machine), machine)
        seen += sweep(context.new_page(), site_url, paths, scheme, machine)
        context.close()
    report(seen, pytestconfig)
    return seen


def report(visits: list[Visit], config) -> None:
    """Load times and sizes: a JSON file beside the screenshots, and one line on the terminal (in
    the captured output where xdist runs this file on a worker)."""
    (SHOTS / "report.json").write_text(json.dumps([asdict(v) for v in visits], indent=1))
    loads = sorted(visits, key=lambda v: v.timing["load_ms"])
    heaviest = max(visits, key=lambda v: v.transfer)
    line = (
        f"browser: {len(visits)} page loads, load event median "
        f"{statistics.median(v.timing['load_ms'] for v in visits)} ms, slowest {loads[-1].timing['load_ms']} ms "
        f"(/{loads[-1].path}, {loads[-1].scheme}), heaviest {heaviest.transfer / 1e3:.0f} kB (/{heaviest.path}); "
        f"screenshots and report.json in {SHOTS}"
    )
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None:  # an xdist worker: the line goes to its captured output
        print(line)
        return
    with config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        terminal.write_line(line)


def failures(visits: list[Visit], wrong) -> list[str]:
    """'/path (scheme): what is wrong' for each visit where wrong(visit) says something."""
    return [f"/{v.path} ({v.scheme}): {problem}" for v in visits if (problem := wrong(v))]


def test_every_page_shows_its_scheme(visits):
    """The browser asked for light or dark, and Material drew the page in that palette."""
    assert failures(visits, lambda v: v.body_scheme != SCHEMES[v.scheme] and f"drawn as {v.body_scheme}") == []


def test_no_console_error_and_no_failed_request(visits):
    assert failures(visits, lambda v: "; ".join(v.errors)) == []


def test_no_request_leaves_loopback(visits):
    """Every request of every page, the late ones too (the search index): nothing from a third party."""
    assert failures(visits, lambda v: ", ".join(v.foreign)) == []


def test_every_chart_fills_the_column(visits):
    """At a 1280 px viewport, every chart's SVG is drawn at least 90 % as wide as the article's content
    box. That leaves room for the padding of an admonition, <details> or tab around a chart, and
    fails a chart that shrinks to its caption's width or to the browser's 300 px default for an SVG
    sized only in percent, as inside Material's `figure { width: fit-content }`. Charts in a closed
    <details> or an unselected tab are measured after opening it: a reader who opens it sees that."""

    def narrow(visit):
        return ", ".join(
            f"chart '{c['caption']}' {c['width']:.0f}x{c['height']:.0f} px in a {c['column']:.0f} px column"
            for c in visit.charts
            if c["height"] <= 0 or c["width"] < COLUMN_SHARE * c["column"]
        )

    assert any(v.charts for v in visits), "no page has a chart: is figure.bim-chart still what charts render?"
    assert failures(visits, narrow) == []


def test_every_code_block_has_a_copy_button(visits):
    assert any(v.code_blocks for v in visits), "no page has a code block: is `article pre > code` still the markup?"
    assert failures(visits, lambda v: v.uncopyable and f"{v.uncopyable} of {v.code_blocks} without a copy button") == []


def test_a_machine_picked_once_is_picked_on_every_page(visits):
    """Linked content tabs: the second reference machine's tab, picked on one page, is the open one in
    every tab set that offers it, on every page."""
    machine = second_machine()
    assert any(v.machine_tabs for v in visits), f"no page has a tab for {machine}"
    assert failures(visits, lambda v: [t for t in v.machine_tabs if t != machine] and f"open: {v.machine_tabs}") == []


def test_every_page_is_under_1_mb(visits):
    """Every response body one page load receives until it settles, nothing served from a cache (the
    server says no-store): the page, its styles, scripts, images, sitemap, the search worker and its
    index, as sent over the wire, gzip-compressed where GitHub Pages compresses (text). Headers are
    not counted."""
    assert failures(visits, lambda v: v.transfer > MOST_BYTES and f"{v.transfer / 1e6:.2f} MB") == []


LISTED = """path => [...document.querySelectorAll('.md-search-result__link')]
  .some(a => new URL(a.href).pathname === path)"""


def search(page, query: str) -> None:
    page.locator("input.md-search__input").fill(query)
    page.keyboard.press("End")  # Material searches on keyup


def test_search_finds_every_page_by_its_title(page, site_url, visits):
    """Every page, through the search box: typed the page's title (its h1), the results Material
    lists (the first ten documents, before the reader scrolls for more) include that page. The
    list is emptied between titles, so that one title's results never answer for the next."""
    from playwright.sync_api import TimeoutError as Timeout

    page.goto(f"{site_url}/", wait_until="networkidle")
    page.keyboard.press("/")
    missed = []
    for visit in (v for v in visits if v.scheme == "light"):
        assert visit.title, f"/{visit.path} has no h1 to search for"
        search(page, "")
        page.wait_for_function("!document.querySelector('.md-search-result__link')")
        search(page, visit.title)
        try:
            page.wait_for_function(LISTED, arg=f"/{visit.path}", timeout=3_000)
        except Timeout:
            missed.append(f"/{visit.path} for '{visit.title}'")
    assert missed == []


def test_chart_follows_the_palette_toggle(page, site_url, visits):
    """A chart is drawn in the text colour, so the header's palette toggle recolours it."""
    charted = next(v for v in visits if any(not chart["revealed"] for chart in v.charts))
    page.goto(f"{site_url}/{charted.path}", wait_until="load")
    chart = page.locator("figure.bim-chart svg:visible").first.element_handle()
    before = chart.evaluate("el => getComputedStyle(el).color")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    page.wait_for_function("([el, before]) => getComputedStyle(el).color !== before", arg=[chart, before])
