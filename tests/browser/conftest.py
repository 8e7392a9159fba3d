"""Browser tests: Debian's Chromium (/usr/bin/chromium) driven by Playwright, against the real stack.

No browser is downloaded (never `playwright install`): `make test` installs Debian's `chromium` package
(tools/system_deps.sh). The quick exit goes to a neutral page served on a free loopback port (the tests
have no internet; `neutral_site` in tests/conftest.py). Screenshots are kept under
data/tmp/artifacts/screenshots/ (git-ignored), named after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tools.paths import DATA
from tools.stack import Stack

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = DATA / "tmp" / "artifacts" / "screenshots"
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def stack(shared_stack: Stack) -> Stack:
    """The session's shared stack (tests/conftest.py): its quick exit goes to `neutral_site`."""
    return shared_stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: run `make system-deps` as root"
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
