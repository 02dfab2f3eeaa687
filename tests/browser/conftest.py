"""Browser tests: Playwright for Python driving the system Chromium against pytest-django's live server.

Chromium is the distribution's (`apt-get install chromium`), never one downloaded by `playwright install`.
Without it these tests skip locally, but fail when COS_REQUIRE_BROWSER=1 (CI sets it in .ci/run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("COS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def chromium_missing(path: str, *, required: bool) -> tuple[str, str] | None:
    """None when Chromium is there; else ("skip", why) locally, or ("fail", why) when the browser is required."""
    if Path(path).exists():
        return None
    reason = f"Chromium not found at {path} (apt-get install chromium)"
    return ("fail", f"COS_REQUIRE_BROWSER=1 but {reason}") if required else ("skip", reason)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    missing = chromium_missing(CHROMIUM, required=os.environ.get("COS_REQUIRE_BROWSER") == "1")
    if missing:
        action, reason = missing
        pytest.fail(reason) if action == "fail" else pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls from it.
    # Only while the browser runs: the variable must not leak into other tests (or their subprocesses).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def _reference_data_restored(django_db_setup, django_db_blocker) -> Iterator[None]:
    """live_server tests are transactional and flush the database; put the reference data back for later tests."""
    yield
    from django.db import connections

    from outcomes.services.reference_data import reference_data_load

    with django_db_blocker.unblock():
        reference_data_load()
        # Made while Playwright's event loop runs in this thread, this connection lives in a context of its own
        # (Django keeps connections per context, not per thread): pytest-django's teardown would not close it and
        # could not drop the test database ("being accessed by other users").
        connections.close_all()


@pytest.fixture
def site(_reference_data_restored, live_server, reference_data) -> str:
    return live_server.url


@pytest.fixture
def page(browser, site) -> Iterator:
    """A desktop page that fails the test on any Content-Security-Policy violation or JavaScript error."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert not problems, problems


def screenshots_wanted() -> bool:
    return os.environ.get("COS_SCREENSHOTS") == "1"


# The main pages, whose screenshots docs/web.md (and docs/consensus.md, for the panel in German) shows.
SCREENSHOT_PAGES = {
    "home",
    "disease-area",
    "search",
    "search-pages",
    "set-heart-failure",
    "compare",
    "domains",
    "instrument",
    "panel-round-de",
    "set-languages",
}


def screenshot(page, name: str) -> None:
    """Full-page screenshots for docs/screenshots, only when COS_SCREENSHOTS=1 (normal runs leave the tree clean)."""
    if screenshots_wanted() and name.rsplit("-", 1)[0] in SCREENSHOT_PAGES:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)


def axe_violations(page, site: str) -> list[dict]:
    """Run the vendored axe-core on the current page; return its serious and critical violations."""
    page.add_script_tag(url=f"{site}/static/vendor/axe-core/axe.min.js")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
