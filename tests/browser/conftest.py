"""Browser tests: Debian's Chromium (/usr/bin/chromium) driven by Playwright, against the real stack.

No browser is downloaded (never `playwright install`): CI installs Debian's `chromium` package (.ci/run).
The quick exit goes to a neutral page this module serves on a free loopback port (the tests have no
internet). Screenshots are kept under data/tmp/artifacts/screenshots/ (git-ignored), named after the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.stacks import running_stack
from tools.paths import DATA
from tools.stack import Stack, free_port

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = DATA / "tmp" / "artifacts" / "screenshots"
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NEUTRAL_PAGE = (
    b"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Weather forecast</title></head>"
    b"<body><h1>Weather forecast</h1><p>Sunny spells, light winds.</p></body></html>"
)


class _Neutral(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(NEUTRAL_PAGE)))
        self.end_headers()
        self.wfile.write(NEUTRAL_PAGE)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def neutral_site() -> Iterator[str]:
    """A stand-in for the neutral public site of QUICK_EXIT_URL: its address."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Neutral)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/weather"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, neutral_site: str) -> Iterator[Stack]:
    with running_stack(tmp_path_factory, {"QUICK_EXIT_URL": neutral_site}) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: apt-get install chromium (.ci/run does)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[dict[str, int]], BrowserContext]]:
    """A fresh browser profile (no cookies, no storage) with the given viewport; closed after the test."""
    made: list[BrowserContext] = []

    def make(viewport: dict[str, int]) -> BrowserContext:
        context = browser.new_context(viewport=viewport, locale="en-GB", device_scale_factor=1)
        context.set_default_timeout(60_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Save a full-page screenshot as <test-name>[-<step>].png and print where it went."""

    def save(page: Page, step: str = "") -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = request.node.name.replace("[", "-").replace("]", "") + (f"-{step}" if step else "")
        path = SCREENSHOTS / f"{name}.png"
        page.evaluate("window.scrollTo(0, 0)")  # the sticky exit bar at the top of a full-page shot
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path.relative_to(DATA.parent)}")
        return path

    return save
