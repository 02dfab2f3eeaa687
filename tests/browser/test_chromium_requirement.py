"""Without Chromium the browser tests skip locally, but fail when COS_REQUIRE_BROWSER=1 (as in CI)."""

from __future__ import annotations

from tests.browser.conftest import chromium_missing


def test_missing_chromium_skips_the_browser_tests_locally(tmp_path):
    action, reason = chromium_missing(str(tmp_path / "chromium"), required=False)
    assert action == "skip"
    assert "apt-get install chromium" in reason


def test_missing_chromium_fails_the_browser_tests_when_the_browser_is_required(tmp_path):
    action, reason = chromium_missing(str(tmp_path / "chromium"), required=True)
    assert action == "fail"
    assert reason.startswith("COS_REQUIRE_BROWSER=1")


def test_present_chromium_runs_the_browser_tests(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("")
    assert chromium_missing(str(chromium), required=True) is None
